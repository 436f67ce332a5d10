// The console's timeline geometry: one mark per event, the call's state by the app's own rules, where it
// ended and who ended it (Graph or the reconciler), a live tail for an active call, readable gaps.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CallEventView } from '../../console/src/apiTypes';
import { gapWidth, isCallResource, isLabelled, timelineModel } from '../../console/src/timelineModel';

const T0 = Date.parse('2026-11-29T10:00:00Z');
const CALL = '/communications/calls/c1';

function event(sequence: number, atMs: number, fields: Partial<CallEventView> = {}): CallEventView {
    return { sequence, kind: 'notification', receivedAt: new Date(T0 + atMs).toISOString(), resourceUrl: CALL, ...fields };
}

describe('console timeline model', () => {
    test('a hung-up call: one mark per event, states as steps, the hang-up with its status, ended by Graph', () => {
        // prepare
        const events = [
            event(1, 0, { changeType: 'updated', callState: 'establishing' }),
            event(2, 1200, { changeType: 'updated', callState: 'established' }),
            event(3, 1700, { kind: 'hangupRequest', httpStatus: 204 }),
            event(4, 1750, { changeType: 'updated', callState: 'terminating' }),
            event(5, 1800, { changeType: 'deleted', callState: 'terminated' }),
        ];

        // act
        const model = timelineModel(events, { now: T0 + 60_000 });

        // assess
        assert.deepEqual(
            model.marks.map((mark) => [mark.sequence, mark.shape]),
            [
                [1, 'call'],
                [2, 'call'],
                [3, 'hangup'],
                [4, 'call'],
                [5, 'call'],
            ],
        );
        assert.deepEqual(model.lanes, ['establishing', 'established', 'terminating', 'terminated']);
        assert.deepEqual(
            model.steps.map((step) => step.state),
            ['establishing', 'established', 'terminating', 'terminated'],
        );
        assert.equal(model.marks[2]?.ok, true);
        assert.equal(model.marks[2]?.httpStatus, 204);
        assert.equal(model.ended?.sequence, 5);
        assert.equal(model.ended?.by, 'graph');
        assert.equal(model.liveUntil, undefined, 'an ended call has no live tail');
        const xs = model.marks.map((mark) => mark.x);
        assert.deepEqual(
            [...xs].sort((a, b) => a - b),
            xs,
            'marks go left to right in sequence order',
        );
        assert.ok(new Set(xs).size === xs.length, 'no two marks on top of each other');
    });

    test('a late, lower state does not move the line back (the state rules), but still gets its mark', () => {
        // act
        const model = timelineModel(
            [event(1, 0, { callState: 'established' }), event(2, 10, { callState: 'establishing' }), event(3, 20, { callState: 'terminated', changeType: 'deleted' })],
            {
                now: T0,
            },
        );

        // assess
        assert.equal(model.marks.length, 3);
        assert.deepEqual(
            model.steps.map((step) => step.state),
            ['established', 'terminated'],
        );
        assert.equal(model.marks[1]?.callState, 'establishing');
    });

    test('a call closed by the reconciler: the reconciliation mark, its 404, ended by the reconciler', () => {
        // prepare
        const events = [
            event(1, 0, { callState: 'established' }),
            event(2, 46 * 60_000, { kind: 'reconciliation', httpStatus: 404, callState: 'terminated', resultMessage: 'Graph answered 404 8522' }),
        ];

        // act
        const model = timelineModel(events, { now: T0 + 50 * 60_000 });

        // assess
        assert.equal(model.marks[1]?.shape, 'reconciliation');
        assert.equal(model.marks[1]?.ok, true, "the reconciler's 404 closed the call as it should");
        assert.deepEqual(
            model.steps.map((step) => step.state),
            ['established', 'terminated'],
        );
        assert.deepEqual(model.ended && { sequence: model.ended.sequence, by: model.ended.by }, { sequence: 2, by: 'reconciler' });
        assert.deepEqual(
            model.gaps.map((gap) => gap.ms),
            [46 * 60_000],
        );
        assert.ok(isLabelled(model.gaps[0]!), 'the 46-minute silence is labelled');
    });

    test('an active call runs on to now; rosters, sub-resources and failed hang-ups are marked as such', () => {
        // prepare
        const events = [
            event(1, 0, { callState: 'established' }),
            event(2, 100, { resourceUrl: `${CALL}/participants`, changeType: 'updated' }),
            event(3, 200, { kind: 'hangupRequest', httpStatus: 503 }),
            event(4, 300, { kind: 'hangupRequest' }),
            event(5, 400, { resourceUrl: `${CALL}/operations/op-1`, changeType: 'deleted' }),
        ];

        // act
        const model = timelineModel(events, { now: T0 + 5 * 60_000 });

        // assess
        assert.deepEqual(
            model.marks.map((mark) => [mark.shape, mark.ok]),
            [
                ['call', undefined],
                ['roster', undefined],
                ['hangup', false],
                ['hangup', false],
                ['subResource', undefined],
            ],
        );
        assert.equal(model.ended, undefined);
        assert.ok(model.liveUntil !== undefined && model.liveUntil.x > (model.marks[3]?.x ?? Infinity));
        assert.deepEqual(
            model.steps.map((step) => step.state),
            ['established'],
        );
        assert.equal(model.steps[0]?.x2, model.liveUntil?.x, "the state's line reaches now");
    });

    test('spacing grows with the gap but slowly: a burst stays apart, an hour stays on screen', () => {
        // assess
        assert.equal(gapWidth(0), 0);
        assert.ok(gapWidth(1000) > gapWidth(100) && gapWidth(100) > 0);
        assert.ok(gapWidth(3600_000) < 120, `an hour takes ${gapWidth(3600_000)} px`);
        const burst = timelineModel([event(1, 0), event(2, 0), event(3, 0)], { now: T0, minStep: 6 });
        assert.deepEqual(
            burst.marks.map((mark) => mark.x),
            [12, 18, 24],
        );
    });

    test('a short call is stretched to the width it is given; a long one keeps its natural width', () => {
        // prepare
        const short = [event(1, 0, { callState: 'established' }), event(2, 500, { callState: 'terminated', changeType: 'deleted' })];
        const long = Array.from({ length: 2500 }, (_, i) => event(i + 1, i * 40, { callState: 'established' }));

        // act
        const stretched = timelineModel(short, { now: T0, fitWidth: 1000 });
        const natural = timelineModel(long, { now: T0 + 100_000, fitWidth: 1000 });

        // assess
        assert.equal(stretched.width, 1000);
        assert.ok((stretched.marks[1]?.x ?? 0) > 900, `the last event is at ${stretched.marks[1]?.x}`);
        assert.ok(stretched.marks.every((mark) => mark.x < 1000));
        assert.equal(natural.marks.length, 2500);
        assert.ok(natural.width > 1000 * 10, 'thousands of events scroll rather than pile up');
    });

    test('only the call itself counts as the call; participants and operations do not', () => {
        assert.equal(isCallResource('/communications/calls/abc'), true);
        assert.equal(isCallResource('/communications/calls/abc/participants'), false);
        assert.equal(isCallResource('/communications/calls/abc/operations/op1'), false);
        assert.equal(isCallResource(undefined), false);
    });

    test('joins and leaves are drawn at the roster notification that brought them', () => {
        // prepare: joinedAt and leftAt are the receive times of the notifications that said so
        const events = [
            event(1, 0, { callState: 'established' }),
            event(2, 1000, { resourceUrl: `${CALL}/participants` }),
            event(3, 2000, { resourceUrl: `${CALL}/participants` }),
            event(4, 3000, { resourceUrl: `${CALL}/participants` }),
        ];
        const at = (ms: number) => new Date(T0 + ms).toISOString();
        const roster = [{ joinedAt: at(1000) }, { joinedAt: at(1000), leftAt: at(3000) }, { joinedAt: at(2000), leftAt: at(3000) }, { joinedAt: at(1000) }];

        // act
        const model = timelineModel(events, { now: T0 + 5000, roster });

        // assess
        assert.deepEqual(
            model.marks.map((mark) => [mark.shape, mark.joined, mark.left]),
            [
                ['call', undefined, undefined],
                ['roster', 3, undefined],
                ['roster', 1, undefined],
                ['roster', undefined, 2],
            ],
        );
    });
});
