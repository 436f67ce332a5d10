// The state rules and the append planner: ranks, terminal states, deleted, redelivery window.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_MARKER_ROW_CAPACITY, markerPath, planAppend } from '../../shared/record/appendPlan';
import { emptySummary, type NewCallEvent } from '../../shared/record/callModel';
import { applyEvent, normalizeCallState } from '../../shared/record/callState';

const t0 = new Date('2026-11-29T10:00:00Z');

function callEvent(callState: string | undefined, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    return { kind: 'notification', resourceKind: 'call', changeType: 'updated', receivedAt: t0, ...(callState ? { callState } : {}), ...fields };
}

function stateAfter(...events: NewCallEvent[]) {
    return events.reduce(applyEvent, emptySummary('c1'));
}

describe('applyEvent', () => {
    test('states move forward by rank; a lower rank never wins', () => {
        assert.equal(stateAfter(callEvent('establishing'), callEvent('established')).callState, 'established');
        assert.equal(stateAfter(callEvent('terminated'), callEvent('terminating')).callState, 'terminated');
        assert.equal(stateAfter(callEvent('established'), callEvent('incoming')).callState, 'established');
    });

    test('within rank 2 the latest arrival wins, unknown states included', () => {
        assert.equal(stateAfter(callEvent('established'), callEvent('hold')).callState, 'hold');
        assert.equal(stateAfter(callEvent('hold'), callEvent('established')).callState, 'established');
        assert.equal(stateAfter(callEvent('established'), callEvent('somethingNew')).callState, 'somethingNew');
        assert.equal(stateAfter(callEvent('somethingNew'), callEvent('terminating')).callState, 'terminating');
    });

    test('the etag and reason are those of the notification that set the state', () => {
        const summary = stateAfter(
            callEvent('terminated', { graphEtag: 'W/"2"', terminationReason: 'AppInitiated', resultCode: 200, resultSubcode: 7000 }),
            callEvent('terminating', { graphEtag: 'W/"1"', terminationReason: 'Other', resultCode: 500 }),
        );
        assert.equal(summary.graphEtag, 'W/"2"');
        assert.equal(summary.terminationReason, 'AppInitiated');
        assert.equal(summary.resultCode, 200);
        assert.equal(summary.resultSubcode, 7000);
    });

    test('deleted sets the flag, and terminated when no terminal state was seen', () => {
        const summary = stateAfter(callEvent('established'), callEvent(undefined, { changeType: 'deleted' }));
        assert.equal(summary.deleted, true);
        assert.equal(summary.callState, 'terminated');
        assert.equal(summary.lastChangeType, 'deleted');
    });

    test('sub-resources and rejected events count but do not change the state', () => {
        const summary = stateAfter(callEvent('established'), callEvent(undefined, { resourceKind: 'participants', changeType: 'deleted' }), { kind: 'rejected', receivedAt: t0 });
        assert.equal(summary.callState, 'established');
        assert.equal(summary.deleted, false);
        assert.equal(summary.eventCount, 3);
    });

    test('a hang-up request records its time and status', () => {
        const at = new Date('2026-11-29T11:00:00Z');
        const summary = stateAfter(callEvent('established'), { kind: 'hangupRequest', receivedAt: at, httpStatus: 204 });
        assert.equal(summary.hangupStatus, 204);
        assert.deepEqual(summary.hangupRequestedAt, at);
        assert.deepEqual(summary.lastEventAt, at);
        assert.deepEqual(summary.firstEventAt, t0);
        assert.equal(summary.callState, 'established');

        const unanswered = applyEvent(summary, { kind: 'hangupRequest', receivedAt: new Date('2026-11-29T11:01:00Z') });
        assert.equal(unanswered.hangupStatus, undefined);
    });

    test('normalizeCallState', () => {
        assert.equal(normalizeCallState(' Established '), 'established');
        assert.equal(normalizeCallState('transferaccepted'), 'transferAccepted');
        assert.equal(normalizeCallState('Brand'), 'brand');
    });
});

describe('planAppend', () => {
    // Dedupe keys are SHA-256 hex; these stand-ins differ in their first 128 bits and pick their marker row.
    const key = (bucket: string, n: number) => `${bucket}${String(n).padStart(31, '0')}${'0'.repeat(32)}`;
    const marker = (k: string) => k.slice(0, 32);
    const options = { windowSeconds: 600, rowCapacity: DEFAULT_MARKER_ROW_CAPACITY };
    const row = (entries: Array<[string, number]>, fields: { splitAt?: number } = {}) => ({ exists: true, entries: new Map(entries), ...fields });
    /** The marker rows as the table holds them after these plans, by prefix. */
    const afterWrites = (...plans: Array<{ markers: Array<{ prefix: string; row: { entries: ReadonlyMap<string, number>; splitAt?: number } }> }>) => {
        const rows = new Map<string, { exists: boolean; entries: ReadonlyMap<string, number>; splitAt?: number }>();
        for (const plan of plans) for (const write of plan.markers) rows.set(write.prefix, { exists: true, ...write.row });
        return rows;
    };

    test('new events get consecutive sequences after the stored ones, and marker rows by first hex digit', () => {
        const summary = { ...emptySummary('c1'), eventCount: 7 };
        const plan = planAppend(summary, [callEvent('established', { dedupeKey: key('a', 1) }), callEvent('hold', { dedupeKey: key('b', 2) })], new Map(), options);
        assert.deepEqual(plan.outcomes, [
            { outcome: 'stored', sequence: 8 },
            { outcome: 'stored', sequence: 9 },
        ]);
        assert.equal(plan.summary.eventCount, 9);
        assert.deepEqual(
            plan.markers.map((m) => [m.prefix, [...m.row.entries.keys()], m.exists]),
            [
                ['a', [marker(key('a', 1))], false],
                ['b', [marker(key('b', 2))], false],
            ],
        );
    });

    test('a known marker inside the window makes a redelivery; outside it, a new event', () => {
        const recent = key('c', 1);
        const old = key('c', 2);
        const markers = new Map([
            [
                'c',
                row([
                    [marker(recent), t0.getTime() - 599_000],
                    [marker(old), t0.getTime() - 601_000],
                ]),
            ],
        ]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: recent }), callEvent('hold', { dedupeKey: old })], markers, options);
        assert.deepEqual(plan.outcomes, [{ outcome: 'duplicate' }, { outcome: 'stored', sequence: 1 }]);
        assert.equal(plan.summary.duplicateCount, 1);
        assert.equal(plan.summary.callState, 'hold');
        assert.equal(plan.markers.length, 1);
        assert.equal(plan.markers[0]!.exists, true);
        // The row keeps what is still inside the window and the new arrival.
        assert.deepEqual(
            [...plan.markers[0]!.row.entries],
            [
                [marker(recent), t0.getTime() - 599_000],
                [marker(old), t0.getTime()],
            ],
        );
    });

    test('keys older than the window leave the row when it is written', () => {
        const expired = key('d', 1);
        const markers = new Map([['d', row([[marker(expired), t0.getTime() - 700_000]])]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: key('d', 2) })], markers, options);
        assert.deepEqual([...plan.markers[0]!.row.entries.keys()], [marker(key('d', 2))]);
    });

    // Issue 9, "Why" 6: a full marker row dropped its oldest keys, even inside the window.
    test('marker capacity: a full row splits one hex digit deeper and no key inside the window is dropped', () => {
        const capacity = 4;
        const keys = Array.from({ length: 40 }, (_, n) => `e${n.toString(16).padStart(2, '0')}${'0'.repeat(61)}`);
        const plans = [];
        let markers = new Map<string, { exists: boolean; entries: ReadonlyMap<string, number>; splitAt?: number }>();
        for (const [n, k] of keys.entries()) {
            const plan = planAppend({ ...emptySummary('c1'), eventCount: n }, [callEvent('established', { dedupeKey: k, receivedAt: new Date(t0.getTime() + n) })], markers, {
                windowSeconds: 600,
                rowCapacity: capacity,
            });
            assert.deepEqual(plan.outcomes, [{ outcome: 'stored', sequence: n + 1 }]);
            plans.push(plan);
            markers = afterWrites(...plans);
        }

        const again = planAppend(
            emptySummary('c1'),
            keys.map((k) => callEvent('established', { dedupeKey: k, receivedAt: new Date(t0.getTime() + 100) })),
            markers,
            { windowSeconds: 600, rowCapacity: capacity },
        );
        assert.deepEqual(again.outcomes, Array(40).fill({ outcome: 'duplicate' }));
        assert.ok([...markers.values()].every((r) => r.entries.size <= capacity));
        assert.equal(markers.get('e')?.splitAt, t0.getTime() + capacity);
        // 40 keys, 4 per row: the first row and 16 at most below each row that split, never a row per key.
        assert.ok(markers.size < 40, `${markers.size} marker rows`);
        assert.deepEqual(
            [...markers.keys()].filter((prefix) => prefix.length > 3),
            [],
        );
    });

    test('marker capacity: a split row still answers for the keys it holds until they leave the window', () => {
        const held = key('f', 1);
        const markers = new Map([['f', row([[marker(held), t0.getTime() - 1000]], { splitAt: t0.getTime() - 500 })]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: held }), callEvent('established', { dedupeKey: key('f', 2) })], markers, options);
        assert.deepEqual(plan.outcomes, [{ outcome: 'duplicate' }, { outcome: 'stored', sequence: 1 }]);
        // The new key goes below the split row, which itself is not written again.
        assert.deepEqual(
            plan.markers.map((m) => [m.prefix, m.exists, [...m.row.entries.keys()]]),
            [['f0', false, [marker(key('f', 2))]]],
        );
    });

    test('marker capacity: at the deepest level (the whole key) a row takes its key whatever it holds', () => {
        const at = (ms: number) => ({ receivedAt: new Date(t0.getTime() + ms) });
        const shortKeys = ['ab', 'ac', 'a'];
        let markers = new Map<string, { exists: boolean; entries: ReadonlyMap<string, number>; splitAt?: number }>();
        const plans = [];
        for (const [n, k] of shortKeys.entries()) {
            plans.push(planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: k, ...at(n) })], markers, { windowSeconds: 600, rowCapacity: 1 }));
            markers = afterWrites(...plans);
        }
        const again = planAppend(
            emptySummary('c1'),
            shortKeys.map((k) => callEvent('established', { dedupeKey: k, ...at(10) })),
            markers,
            { windowSeconds: 600, rowCapacity: 1 },
        );
        assert.deepEqual(again.outcomes, Array(3).fill({ outcome: 'duplicate' }));
        assert.deepEqual([...markers.get('a')!.entries.keys()].sort(), ['a', 'ab']);
    });

    test('markerPath follows split rows one digit deeper', () => {
        const k = key('9', 1);
        assert.deepEqual(markerPath(marker(k), new Map()), ['9']);
        assert.deepEqual(
            markerPath(
                marker(k),
                new Map([
                    ['9', row([], { splitAt: 1 })],
                    ['90', row([], { splitAt: 2 })],
                ]),
            ),
            ['9', '90', '900'],
        );
    });

    test('the same notification twice in one batch is stored once', () => {
        const k = key('f', 1);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: k }), callEvent('established', { dedupeKey: k })], new Map(), options);
        assert.deepEqual(plan.outcomes, [{ outcome: 'stored', sequence: 1 }, { outcome: 'duplicate' }]);
        assert.equal(plan.markers.length, 1);
    });

    test('a window of 0 turns redelivery checks off', () => {
        const k = key('0', 1);
        const markers = new Map([['0', row([[marker(k), t0.getTime()]])]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: k }), callEvent('established', { dedupeKey: k })], markers, {
            ...options,
            windowSeconds: 0,
        });
        assert.deepEqual(plan.outcomes, [
            { outcome: 'stored', sequence: 1 },
            { outcome: 'stored', sequence: 2 },
        ]);
        assert.equal(plan.markers.length, 0);
    });
});

describe('keepAlive in the state rules', () => {
    const keepAlive = (httpStatus: number, fields: Partial<NewCallEvent> = {}): NewCallEvent => ({
        kind: 'reconciliation',
        checkedBy: 'keepAlive',
        receivedAt: t0,
        httpStatus,
        ...fields,
    });

    test("a keepAlive Graph answered 200 records keptAliveAt and stores no event; the reconciler's fields stay as they were", () => {
        const summary = stateAfter(callEvent('established'));
        const plan = planAppend(summary, [keepAlive(200)], new Map(), { windowSeconds: 600, rowCapacity: DEFAULT_MARKER_ROW_CAPACITY });
        assert.deepEqual(plan.outcomes, [{ outcome: 'unchanged' }]);
        assert.deepEqual(plan.summary.keptAliveAt, t0);
        assert.equal(plan.summary.keepAliveStatus, 200);
        assert.equal(plan.summary.reconciledAt, undefined);
        assert.equal(plan.summary.eventCount, 1);
    });

    test('a keepAlive Graph answered 404 for closes the call: stored, closedBy keepAlive; a refused one changes no time', () => {
        const summary = stateAfter(callEvent('established'));
        const plan = planAppend(summary, [keepAlive(404, { callState: 'terminated' })], new Map(), { windowSeconds: 600, rowCapacity: DEFAULT_MARKER_ROW_CAPACITY });
        assert.deepEqual(plan.outcomes, [{ outcome: 'stored', sequence: 2 }]);
        assert.equal(plan.summary.callState, 'terminated');
        assert.equal(plan.summary.closedBy, 'keepAlive');
        assert.equal(plan.summary.keepAliveStatus, 404);
        assert.equal(plan.summary.keptAliveAt, undefined);
    });
});

describe("Graph's callChainId from the app's own GETs", () => {
    const CHAIN = 'f6ae1338-4b2a-4aaf-80f9-80d9f2833afb';
    const reconciled = (fields: Partial<NewCallEvent> = {}): NewCallEvent => ({ kind: 'reconciliation', checkedBy: 'reconciler', receivedAt: t0, httpStatus: 200, ...fields });

    test("a reconciler's GET that changes nothing else still keeps Graph's chain id on the summary, without a history event", () => {
        const summary = stateAfter(callEvent('established'));
        const plan = planAppend(summary, [reconciled({ callState: 'established', callChainId: CHAIN })], new Map(), {
            windowSeconds: 600,
            rowCapacity: DEFAULT_MARKER_ROW_CAPACITY,
        });
        assert.deepEqual(plan.outcomes, [{ outcome: 'unchanged' }]);
        assert.equal(plan.summary.callChainId, CHAIN);
    });

    test('a hang-up that read the chain id first keeps it; a value that cannot name a call record is not kept', () => {
        assert.equal(stateAfter(callEvent('established'), { kind: 'hangupRequest', receivedAt: t0, httpStatus: 204, callChainId: CHAIN }).callChainId, CHAIN);
        assert.equal(stateAfter(callEvent('established'), reconciled({ callChainId: 'not a chain id' })).callChainId, undefined);
    });
});
