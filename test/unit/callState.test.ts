// The state rules and the append planner: ranks, terminal states, deleted, redelivery window.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_MARKERS_PER_BUCKET, planAppend } from '../../shared/appendPlan';
import { emptySummary, type NewCallEvent } from '../../shared/callModel';
import { applyEvent, normalizeCallState } from '../../shared/callState';

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
        const summary = stateAfter(
            callEvent('established'),
            callEvent(undefined, { resourceKind: 'participants', changeType: 'deleted' }),
            { kind: 'rejected', receivedAt: t0 },
        );
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

    test('new events get consecutive sequences after the stored ones, and marker rows by first hex digit', () => {
        const summary = { ...emptySummary('c1'), eventCount: 7 };
        const plan = planAppend(summary, [callEvent('established', { dedupeKey: key('a', 1) }), callEvent('hold', { dedupeKey: key('b', 2) })], new Map(), 600);
        assert.deepEqual(plan.outcomes, [
            { outcome: 'stored', sequence: 8 },
            { outcome: 'stored', sequence: 9 },
        ]);
        assert.equal(plan.summary.eventCount, 9);
        assert.deepEqual(
            plan.markers.map((m) => [m.bucket, [...m.entries.keys()], m.exists]),
            [
                ['a', [marker(key('a', 1))], false],
                ['b', [marker(key('b', 2))], false],
            ],
        );
    });

    test('a known marker inside the window makes a redelivery; outside it, a new event', () => {
        const recent = key('c', 1);
        const old = key('c', 2);
        const markers = new Map([['c', { exists: true, entries: new Map([[marker(recent), t0.getTime() - 599_000], [marker(old), t0.getTime() - 601_000]]) }]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: recent }), callEvent('hold', { dedupeKey: old })], markers, 600);
        assert.deepEqual(plan.outcomes, [{ outcome: 'duplicate' }, { outcome: 'stored', sequence: 1 }]);
        assert.equal(plan.summary.duplicateCount, 1);
        assert.equal(plan.summary.callState, 'hold');
        assert.equal(plan.markers.length, 1);
        assert.equal(plan.markers[0]!.exists, true);
        // The row keeps what is still inside the window and the new arrival.
        assert.deepEqual([...plan.markers[0]!.entries], [
            [marker(recent), t0.getTime() - 599_000],
            [marker(old), t0.getTime()],
        ]);
    });

    test('keys older than the window leave the row when it is written', () => {
        const expired = key('d', 1);
        const markers = new Map([['d', { exists: true, entries: new Map([[marker(expired), t0.getTime() - 700_000]]) }]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: key('d', 2) })], markers, 600);
        assert.deepEqual([...plan.markers[0]!.entries.keys()], [marker(key('d', 2))]);
    });

    test('a marker row keeps at most MAX_MARKERS_PER_BUCKET keys, dropping the oldest', () => {
        const entries = new Map(Array.from({ length: MAX_MARKERS_PER_BUCKET }, (_, n) => [marker(key('e', n)), t0.getTime() - 1000 + n] as [string, number]));
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: key('e', 99_999) })], new Map([['e', { exists: true, entries }]]), 600);
        const kept = plan.markers[0]!.entries;
        assert.equal(kept.size, MAX_MARKERS_PER_BUCKET);
        assert.equal(kept.has(marker(key('e', 0))), false);
        assert.equal(kept.has(marker(key('e', 99_999))), true);
    });

    test('the same notification twice in one batch is stored once', () => {
        const k = key('f', 1);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: k }), callEvent('established', { dedupeKey: k })], new Map(), 600);
        assert.deepEqual(plan.outcomes, [{ outcome: 'stored', sequence: 1 }, { outcome: 'duplicate' }]);
        assert.equal(plan.markers.length, 1);
    });

    test('a window of 0 turns redelivery checks off', () => {
        const k = key('0', 1);
        const markers = new Map([['0', { exists: true, entries: new Map([[marker(k), t0.getTime()]]) }]]);
        const plan = planAppend(emptySummary('c1'), [callEvent('established', { dedupeKey: k }), callEvent('established', { dedupeKey: k })], markers, 0);
        assert.deepEqual(plan.outcomes, [
            { outcome: 'stored', sequence: 1 },
            { outcome: 'stored', sequence: 2 },
        ]);
        assert.equal(plan.markers.length, 0);
    });
});
