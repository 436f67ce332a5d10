// The command line's pure parts: its grammar (with the API's own input checks) and its text output.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseArguments } from '../../cli/arguments';
import { CliError } from '../../cli/cliError';
import { formatCallEnded, formatCallEndedHeading, formatCallList, formatSummary, formatTimeline, printable } from '../../cli/timeline';
import type { CallEvent } from '../../shared/record/callModel';

const now = new Date('2026-11-29T12:00:00Z');
const parse = (...args: string[]) => parseArguments(args, now);

function usageError(args: string[], message: RegExp): void {
    assert.throws(
        () => parseArguments(args, now),
        (err: unknown) => err instanceof CliError && err.exitCode === 2 && message.test(err.message),
        args.join(' '),
    );
}

describe('parseArguments', () => {
    test('commands and their options', () => {
        assert.deepEqual(parse('show', 'call-1'), { name: 'show', callId: 'call-1', json: false });
        assert.deepEqual(parse('history', '--json', 'call-1'), { name: 'history', callId: 'call-1', json: true });
        assert.deepEqual(parse('unrouted'), { name: 'unrouted', json: false });
        assert.deepEqual(parse('list', '--state', 'Terminated', '--top=5', '--since', '2026-11-29', '--until', '2026-11-29T11:00:00Z'), {
            name: 'list',
            json: false,
            options: { state: 'terminated', top: 5, since: new Date('2026-11-29T00:00:00Z'), until: new Date('2026-11-29T11:00:00Z') },
            filters: [
                ['--state', 'Terminated'],
                ['--top', '5'],
                ['--since', '2026-11-29'],
                ['--until', '2026-11-29T11:00:00Z'],
            ],
        });
        assert.deepEqual(parse('list', '--continuation-token', 'a.b'), { name: 'list', json: false, options: { continuationToken: 'a.b' }, filters: [] });
        assert.deepEqual(parse('events'), { name: 'events', follow: false, consume: false, json: false });
        assert.deepEqual(parse('events', '--follow', '--consume', '--json'), { name: 'events', follow: true, consume: true, json: true });
    });

    test('times back from now: 30m, 2h, 7d', () => {
        const since = (value: string) => (parse('list', '--since', value) as { options: { since?: Date } }).options.since?.toISOString();
        assert.equal(since('30m'), '2026-11-29T11:30:00.000Z');
        assert.equal(since('2h'), '2026-11-29T10:00:00.000Z');
        assert.equal(since('7d'), '2026-11-22T12:00:00.000Z');
    });

    test('a relative time is fixed once: the filters to repeat for the next page hold the instant', () => {
        const command = parse('list', '--since', '1h', '--state', 'established', '--continuation-token', 'tok');
        assert.deepEqual((command as { filters: unknown }).filters, [
            ['--since', '2026-11-29T11:00:00.000Z'],
            ['--state', 'established'],
        ]);
    });

    test('help in any position; no command at all is help that was not asked for', () => {
        assert.deepEqual(parse(), { name: 'help', asked: false });
        assert.deepEqual(parse('--help'), { name: 'help', asked: true });
        assert.deepEqual(parse('help'), { name: 'help', asked: true });
        assert.deepEqual(parse('list', '-h'), { name: 'help', asked: true });
    });

    test('mistakes are usage errors (exit 2) that say what is wrong', () => {
        usageError(['show'], /show takes one call id/);
        usageError(['show', 'a', 'b'], /show takes one call id/);
        usageError(['show', '../x'], /Refused call id/);
        usageError(['show', 'call-1', '--state', 'terminated'], /show does not take --state/);
        usageError(['list', 'extra'], /list takes no arguments/);
        usageError(['list', '--state'], /--state needs a value/);
        usageError(['list', '--state', '--json'], /--state needs a value/);
        usageError(['list', '--state', "terminated' or true or 'a' eq 'a"], /is not a call state/);
        usageError(['list', '--top', '5000'], /top must be a whole number from 1 to 1000/);
        usageError(['list', '--since', '2h ago'], /not an ISO 8601 date/);
        usageError(['list', '--nope'], /Unknown option --nope/);
        usageError(['delete', 'call-1'], /Unknown command "delete"/);
        usageError(['events', '--state', 'terminated'], /events does not take --state/);
        usageError(['list', '--follow'], /list does not take --follow/);
    });
});

describe('text output', () => {
    const call = '/communications/calls/c1';
    const event = (sequence: number, fields: Partial<CallEvent>): CallEvent => ({
        callId: 'c1',
        sequence,
        kind: 'notification',
        receivedAt: new Date(Date.UTC(2026, 10, 29, 10, 0, sequence)),
        ...fields,
    });

    test('the timeline has one aligned line per event with every column', () => {
        const text = formatTimeline([
            event(1, { resourceUrl: call, changeType: 'created', callState: 'establishing', graphEtag: 'W/"1"' }),
            event(2, { resourceUrl: `${call}/participants`, changeType: 'updated' }),
            event(10, { kind: 'hangupRequest', httpStatus: 503, graphRequestId: 'r-9' }),
            event(11, { resourceUrl: call, changeType: 'deleted', callState: 'terminated', terminationReason: 'AppInitiated', resultCode: 0, resultSubcode: 540000 }),
        ]);

        assert.equal(
            text,
            [
                'SEQ  RECEIVED (UTC)            KIND           RESOURCE      CHANGE   STATE         ETAG   REASON / RESULT',
                '  1  2026-11-29T10:00:01.000Z  notification   call          created  establishing  W/"1"  -',
                '  2  2026-11-29T10:00:02.000Z  notification   participants  updated  -             -      -',
                ' 10  2026-11-29T10:00:10.000Z  hangupRequest  -             -        -             -      Graph 503 request-id r-9',
                ' 11  2026-11-29T10:00:11.000Z  notification   call          deleted  terminated    -      AppInitiated; result 0/540000',
                '',
            ].join('\n'),
        );
    });

    test('a hang-up line says who asked and why: a person, an application, the function key', () => {
        // act
        const text = formatTimeline([
            event(1, {
                kind: 'hangupRequest',
                httpStatus: 204,
                resultMessage: 'Graph answered 204.',
                requestedByKind: 'user',
                requestedById: 'b1f9',
                requestedByName: 'Ada Lovelace',
                requestReason: 'caller asked',
            }),
            event(2, { kind: 'hangupRequest', httpStatus: 204, resultMessage: 'Graph answered 204.', requestedByKind: 'application', requestedById: 'a7e2' }),
            event(3, { kind: 'hangupRequest', httpStatus: 404, resultMessage: 'Graph answered 404.', requestedByKind: 'functionKey' }),
        ]);

        // assess
        const reasons = text
            .split('\n')
            .slice(1, 4)
            .map((line) => line.slice(line.indexOf('Graph answered')));
        assert.deepEqual(reasons, [
            'Graph answered 204. by Ada Lovelace (b1f9): "caller asked"',
            'Graph answered 204. by application (a7e2)',
            'Graph answered 404. by function key',
        ]);
    });

    test('summary and list show state, reason and counts', () => {
        const summary = { callId: 'c1', callState: 'terminated', deleted: true, eventCount: 4, duplicateCount: 2, terminationReason: 'AppInitiated', resultCode: 0 };

        assert.match(formatSummary(summary), /^Call c1\n {2}state {8}terminated \(deleted\)\n {2}termination {2}AppInitiated\n {2}result {7}0\/\?\n/);
        assert.match(formatSummary(summary), /events {7}4 \(2 redeliveries not stored again\)\n/);
        const [heading, row] = formatCallList([{ ...summary, firstEventAt: new Date('2026-11-29T10:00:00Z') }]).split('\n');
        assert.match(heading!, /^CALL ID {2}STATE +STARTED \(UTC\) +LAST EVENT \(UTC\) +EVENTS {2}REASON \/ RESULT$/);
        assert.equal(row, 'c1       terminated (deleted)  2026-11-29T10:00:00.000Z  -                      4  AppInitiated; result 0/?');
    });

    test('a reconciliation reads like a hang-up: what Graph answered, what it meant, the request id', () => {
        const line = formatTimeline([
            event(4, { kind: 'reconciliation', callState: 'terminated', httpStatus: 404, resultMessage: 'Graph has no such call (9997).', graphRequestId: 'r-4' }),
        ]).split('\n')[1];
        assert.equal(
            line,
            '  4  2026-11-29T10:00:04.000Z  reconciliation  -         -       terminated  -     reconciler: Graph answered 404. Graph has no such call (9997). request-id r-4',
        );
    });

    test('the summary says who closed the call and when the reconciler last checked it', () => {
        const text = formatSummary({
            callId: 'c1',
            callState: 'terminated',
            deleted: false,
            eventCount: 4,
            duplicateCount: 0,
            closedBy: 'reconciler',
            reconciledAt: new Date('2026-12-01T10:15:21.077Z'),
            reconcileStatus: 404,
        });
        assert.match(text, /\n {2}closed by {3}reconciler\n {2}reconciled {2}2026-12-01T10:15:21\.077Z \(Graph answered 404\)\n$/);
    });

    test('call-ended lines keep fixed columns, since they are printed one at a time as events arrive', () => {
        const byGraph = {
            callId: 'c1',
            callState: 'terminated',
            deleted: true,
            eventCount: 5,
            duplicateCount: 0,
            closedBy: 'graph' as const,
            resultCode: 200,
            resultSubcode: 7000,
            resultMessage: 'Ended.',
        };
        const byReconciler = {
            callId: 'a-much-longer-call-id-than-any-graph-gives-0123',
            callState: 'terminated',
            deleted: false,
            eventCount: 4,
            duplicateCount: 0,
            closedBy: 'reconciler' as const,
            reconcileStatus: 404,
        };

        assert.equal(formatCallEndedHeading(), `TIME (UTC)${' '.repeat(16)}CALL ID${' '.repeat(31)}STATE${' '.repeat(17)}CLOSED BY${' '.repeat(3)}REASON / RESULT\n`);
        assert.equal(
            formatCallEnded('2026-12-01T09:00:01.123Z', byGraph),
            `2026-12-01T09:00:01.123Z  c1${' '.repeat(36)}terminated (deleted)  graph       result 200/7000 Ended.\n`,
        );
        assert.equal(
            formatCallEnded('2026-12-01T09:00:02.000Z', byReconciler, 'repeat: same id as above'),
            '2026-12-01T09:00:02.000Z  a-much-longer-call-id-than-any-graph-gives-0123  terminated            reconciler  reconciler: Graph answered 404.  (repeat: same id as above)\n',
        );
    });

    test('control characters from Graph are spelled out, not sent to the terminal', () => {
        assert.equal(printable('ok\u001b[2J\nnext\u0007'), 'ok\\x1b[2J\\x0anext\\x07');
        // biome-ignore lint/suspicious/noControlCharactersInRegex: the test looks for the control characters the printer must escape
        assert.doesNotMatch(formatTimeline([event(1, { rejectReason: 'evil\u001b]0;title\u0007' })]), /\u001b|\u0007/);
    });
});
