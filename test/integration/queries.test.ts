// The read side against real Azurite, over rows the real CallStore wrote: paging a long history at several
// page sizes, continuation tokens that are forged, corrupted or from another query, hostile filter input,
// and unknown calls. Listing calls is in callList.test.ts.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { callSummaryJson } from '../../shared/query/callJson';
import type { NewCallEvent } from '../../shared/record/callModel';
import { getCall, listCallHistory, listUnroutedNotifications, type HistoryPage } from '../../shared/query/callQueries';
import { CallStore } from '../../shared/record/callStore';
import { BadRequestError, NotFoundError } from '../../shared/errors';
import { parseCallListOptions, type PageOptions } from '../../shared/query/queryOptions';
import { testTableClient, uniqueTableName } from '../support/storage';

const LONG_CALL = 'call-long';
const LONG_CALL_EVENTS = 2500;
const T0 = Date.parse('2026-11-29T10:00:00Z');

function event(n: number, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    return {
        kind: 'notification',
        resourceKind: 'call',
        changeType: 'updated',
        callState: 'established',
        receivedAt: new Date(T0 + n * 1000),
        dedupeKey: createHash('sha256')
            .update(`event ${n} ${JSON.stringify(fields)}`)
            .digest('hex'),
        resourceData: JSON.stringify({ n }),
        ...fields,
    };
}

/** Walks a history page by page; `limit` stops early (a top=1 walk of 2,500 requests would only add time). */
async function walk(list: (options: PageOptions) => Promise<HistoryPage>, top: number, limit = Infinity): Promise<{ sequences: number[]; pages: number }> {
    const sequences: number[] = [];
    let pages = 0;
    let continuationToken: string | undefined;
    do {
        const page = await list({ top, ...(continuationToken === undefined ? {} : { continuationToken }) });
        assert.ok(page.events.length <= top, `a page of top=${top} held ${page.events.length} events`);
        sequences.push(...page.events.map((e) => e.sequence));
        continuationToken = page.continuationToken;
        pages++;
    } while (continuationToken !== undefined && sequences.length < limit);
    return { sequences, pages };
}

function range(from: number, to: number): number[] {
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('call record queries against Azurite', () => {
    const tableName = uniqueTableName('queries');
    let table: TableClient;

    before(async () => {
        table = testTableClient(tableName);
        const store = new CallStore(testTableClient(tableName), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(
            LONG_CALL,
            range(1, LONG_CALL_EVENTS).map((n) => event(n)),
        );
        // Calls for the list filters: state, last event time, and a neighbour whose id sorts after the long call.
        await store.appendCallEvents('call-ended-early', [
            event(1, { callState: 'terminated', terminationReason: 'AppInitiated', resultCode: 200, resultSubcode: 5_000_000_000, receivedAt: new Date(T0 - 3600_000) }),
        ]);
        await store.appendCallEvents('call-ended-late', [event(1, { callState: 'terminated', receivedAt: new Date(T0 + 3600_000) })]);
        await store.appendCallEvents('call-ringing', [event(1, { callState: 'ringing', receivedAt: new Date(T0 + 3600_000) })]);
        await store.appendCallEvents(
            'call-short',
            range(1, 30).map((n) => event(n)),
        );
        await store.appendCallEvents('_unrouted', [
            { kind: 'rejected', receivedAt: new Date(T0), rejectReason: 'The notification has no resourceUrl or resource.', resourceData: '{"x":1}' },
        ]);
    });

    for (const top of [1000, 500, 7]) {
        test(`a ${LONG_CALL_EVENTS}-event history pages through in order with no gap or repeat at top=${top}`, async () => {
            const { sequences, pages } = await walk((options) => listCallHistory(table, LONG_CALL, options), top);

            assert.deepEqual(sequences, range(1, LONG_CALL_EVENTS));
            assert.ok(pages >= Math.ceil(LONG_CALL_EVENTS / top), `${pages} pages`);
        });
    }

    test('top=1 walks a 30-event call one event per page, and the first 120 events of the long call', async () => {
        const short = await walk((options) => listCallHistory(table, 'call-short', options), 1);
        const long = await walk((options) => listCallHistory(table, LONG_CALL, options), 1, 120);

        assert.deepEqual(short.sequences, range(1, 30));
        assert.deepEqual(long.sequences, range(1, 120));
        assert.equal(long.pages, 120);
    });

    test('a page size may change between pages of one query; the position does not', async () => {
        const first = await listCallHistory(table, LONG_CALL, { top: 10 });
        const second = await listCallHistory(table, LONG_CALL, { top: 995, continuationToken: first.continuationToken! });

        assert.deepEqual(
            second.events.map((e) => e.sequence),
            range(11, 1005),
        );
    });

    test('history events carry their stored fields and parsed resourceData', async () => {
        const page = await listCallHistory(table, 'call-ended-early');

        assert.equal(page.continuationToken, undefined);
        assert.equal(page.events.length, 1);
        const [only] = page.events;
        assert.equal(only?.terminationReason, 'AppInitiated');
        assert.equal(only?.resourceData, '{"n":1}');
        assert.equal(only?.receivedAt.toISOString(), new Date(T0 - 3600_000).toISOString());
    });

    test('forged and corrupted continuation tokens are 400', async () => {
        const { continuationToken } = await listCallHistory(table, LONG_CALL, { top: 5 });
        const token = continuationToken!;
        const flipped = token.slice(0, 8) + (token[8] === 'A' ? 'B' : 'A') + token.slice(9);
        const forgedSdkToken = Buffer.from(JSON.stringify({ nextPartitionKey: 'call-other', nextRowKey: 'event-0000000001' })).toString('base64');
        const forged = `${Buffer.from(JSON.stringify({ v: 1, p: forgedSdkToken })).toString('base64url')}.${token.split('.')[1]}`;

        for (const bad of [flipped, token.slice(0, -3), `${token}x`, 'not-a-token', forged, forgedSdkToken, 'a'.repeat(5000)]) {
            await assert.rejects(listCallHistory(table, LONG_CALL, { top: 5, continuationToken: bad }), BadRequestError, bad.slice(0, 40));
        }
    });

    test('a token from one call is refused on another, and a history token on the call list', async () => {
        const { continuationToken } = await listCallHistory(table, LONG_CALL, { top: 5 });

        await assert.rejects(listCallHistory(table, 'call-short', { continuationToken: continuationToken! }), BadRequestError);
        await assert.rejects(listUnroutedNotifications(table, { continuationToken: continuationToken! }), BadRequestError);
    });

    test('filter input that tries to change the query is refused', async () => {
        for (const query of [
            "state=terminated' or true or 'a' eq 'a",
            "state=terminated' or PartitionKey ne '",
            "since=2026-11-29T10:00:00Z' or true or 'a' eq 'a",
            'until=datetime%272026-01-01T00:00:00Z%27',
            'top=1 or true',
            "filter=PartitionKey eq '_unrouted'",
        ]) {
            assert.throws(() => parseCallListOptions(new URLSearchParams(query)), BadRequestError, query);
        }
        await assert.rejects(getCall(table, "x' or true or 'a' eq 'a"), BadRequestError);
        await assert.rejects(listCallHistory(table, "call-long' or PartitionKey ne '"), BadRequestError);
    });

    test('an unknown call is 404 for its summary and its history; the _unrouted partition is not a call', async () => {
        await assert.rejects(getCall(table, 'call-nobody'), NotFoundError);
        await assert.rejects(listCallHistory(table, 'call-nobody'), NotFoundError);
        await assert.rejects(getCall(table, '_unrouted'), BadRequestError);
    });

    test('the summary comes back as the store wrote it', async () => {
        const summary = await getCall(table, LONG_CALL);

        assert.equal(summary.eventCount, LONG_CALL_EVENTS);
        assert.equal(summary.callState, 'established');
        assert.equal(summary.lastEventAt?.toISOString(), new Date(T0 + LONG_CALL_EVENTS * 1000).toISOString());
    });

    test('an Int64 column (a result subcode beyond 32 bits) comes back as a JSON number', async () => {
        const json = JSON.parse(JSON.stringify(callSummaryJson(await getCall(table, 'call-ended-early'))));

        assert.equal(json.resultSubcode, 5_000_000_000);
        assert.equal(json.resultCode, 200);
        assert.equal(json.lastEventAt, new Date(T0 - 3600_000).toISOString());
    });

    test('unrouted notifications are listed from their own partition', async () => {
        const page = await listUnroutedNotifications(table);

        assert.deepEqual(
            page.events.map((e) => [e.kind, e.rejectReason]),
            [['rejected', 'The notification has no resourceUrl or resource.']],
        );
    });

    test('a table that does not exist yet holds no calls, and no call', async () => {
        const missing = testTableClient(uniqueTableName('missing'));

        assert.deepEqual(await listUnroutedNotifications(missing), { callId: '_unrouted', events: [] });
        await assert.rejects(getCall(missing, 'call-1'), NotFoundError);
        await assert.rejects(listCallHistory(missing, 'call-1'), NotFoundError);
    });
});
