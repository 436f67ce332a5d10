// The relay's decisions (shared/relay/relayRules.ts): what a commit claims, how the next request is cut from the
// history (the same webhook-id always with the same notifications), what a delivery and a failure record, when a
// notification is dead-lettered, how long a retry waits, and what a replay rewinds.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptySummary, EVENT_KIND, type CallEvent, type CallSummary, type NewCallEvent } from '../../shared/record/callModel';
import {
    claimBatch,
    claimedRange,
    claimOnCommit,
    MAX_BATCH_NOTIFICATIONS,
    nextBatch,
    recordFailure,
    retryWait,
    rewindForReplay,
    settleDelivered,
    type Batch,
} from '../../shared/relay/relayRules';

const CALL = 'c1';
const T0 = new Date('2026-12-01T10:00:00Z');
const POLICY = { maxAgeMs: 24 * 3_600_000, retrySchedule: [5000, 30_000, 120_000] };

function notification(sequence: number, extra: Partial<CallEvent> = {}): CallEvent {
    return { callId: CALL, sequence, kind: EVENT_KIND.notification, receivedAt: T0, ...extra };
}

function hangup(sequence: number): CallEvent {
    return { callId: CALL, sequence, kind: EVENT_KIND.hangupRequest, receivedAt: T0 };
}

function stored(...events: CallEvent[]): Array<{ sequence: number; event: NewCallEvent }> {
    return events.map((event) => ({ sequence: event.sequence, event }));
}

function summary(fields: Partial<CallSummary>): CallSummary {
    return { ...emptySummary(CALL), ...fields };
}

describe('relay: what a commit claims', () => {
    test('with nothing pending, the notifications it stores become the next request, owned by its callback', () => {
        // act
        const after = claimOnCommit(
            CALL,
            summary({ eventCount: 2, relayedThrough: 2, relayPending: 0 }),
            summary({ eventCount: 4 }),
            stored(notification(3), notification(4)),
            'own',
            T0,
        );

        // assess
        assert.deepEqual(claimedRange(after), { start: 3, end: 4 });
        assert.equal(after.relayPending, 2);
        assert.equal(after.relayOwner, 'own');
        assert.equal(after.relayAttempts, undefined);
    });

    test('with something pending, it only counts them: the owner of the earlier ones carries them on', () => {
        // prepare
        const before = summary({ eventCount: 3, relayedThrough: 1, relayBatchEnd: 3, relayPending: 2, relayAttempts: 2, relayOwner: 'retry' });

        // act
        const after = claimOnCommit(CALL, before, { ...before, eventCount: 4 }, stored(notification(4)), 'own', T0);

        // assess
        assert.deepEqual(claimedRange(after), { start: 2, end: 3 });
        assert.equal(after.relayPending, 3);
        assert.equal(after.relayOwner, 'retry');
        assert.equal(after.relayAttempts, 2);
    });

    test('a call recorded before the relay was on starts at the end of its history', () => {
        // act
        const after = claimOnCommit(CALL, summary({ eventCount: 7 }), summary({ eventCount: 8 }), stored(notification(8)), 'own', T0);

        // assess
        assert.deepEqual(claimedRange(after), { start: 8, end: 8 });
        assert.equal(after.relayPending, 1);
    });

    test('a hang-up is not relayed; a request starts at its first notification; at most 25 notifications', () => {
        // prepare
        const events = [hangup(1), ...Array.from({ length: 30 }, (_, i) => notification(i + 2))];

        // act
        const after = claimOnCommit(CALL, summary({ relayedThrough: 0, relayPending: 0 }), summary({ eventCount: 31 }), stored(...events), 'own', T0);
        const onlyHangup = claimOnCommit(CALL, summary({ relayedThrough: 0, relayPending: 0 }), summary({ eventCount: 1 }), stored(hangup(1)), 'own', T0);

        // assess
        assert.deepEqual(claimedRange(after), { start: 2, end: 1 + MAX_BATCH_NOTIFICATIONS });
        assert.equal(after.relayPending, 30);
        assert.equal(claimedRange(onlyHangup), undefined);
        assert.equal(onlyHangup.relayPending, 0);
    });

    test("what the app adds to a call's history is never relayed: hang-ups, reconciliations and keepAlive, call records, replays, refused stand-ins", () => {
        // prepare: every event kind but Graph's notifications, each between two notifications
        const added = Object.values(EVENT_KIND).filter((kind) => kind !== EVENT_KIND.notification);
        assert.deepEqual(added.sort(), ['callRecord', 'hangupRequest', 'reconciliation', 'rejected', 'relayReplay']);
        for (const kind of added) {
            const rows = [notification(1), { ...notification(2), kind }, notification(3)];

            // act
            const onlyAdded = claimOnCommit(CALL, summary({ relayedThrough: 0, relayPending: 0 }), summary({ eventCount: 1 }), stored({ ...notification(1), kind }), 'own', T0);
            const mixed = claimOnCommit(CALL, summary({ relayedThrough: 0, relayPending: 0 }), summary({ eventCount: 3 }), stored(...rows), 'own', T0);
            const next = nextBatch(CALL, rows);

            // assess
            assert.equal(claimedRange(onlyAdded), undefined, kind);
            assert.equal(onlyAdded.relayPending, 0, kind);
            assert.equal(mixed.relayPending, 2, kind);
            assert.ok(next !== undefined && 'batch' in next, kind);
            assert.deepEqual(
                next.batch.events.map((event) => event.sequence),
                [1, 3],
                kind,
            );
            assert.deepEqual(nextBatch(CALL, [{ ...notification(4), kind }]), { skipTo: 4 }, kind);
        }
    });

    test('nothing is claimed for the unrouted partition', () => {
        const planned = summary({ eventCount: 1 });
        assert.equal(claimOnCommit('_unrouted', summary({}), planned, stored({ ...notification(1), callId: '_unrouted', kind: EVENT_KIND.rejected }), 'own', T0), planned);
    });
});

describe('relay: the next request, cut from the history', () => {
    test('rows never sent make a request of the notifications from the first one on, past hang-ups', () => {
        const next = nextBatch(CALL, [hangup(4), notification(5), hangup(6), notification(7)]);
        assert.ok(next !== undefined && 'batch' in next);
        assert.deepEqual([next.batch.start, next.batch.end, next.batch.events.map((event) => event.sequence)], [5, 7, [5, 7]]);
    });

    test('rows sent before come again in the request they went in, so a webhook-id always carries the same notifications', () => {
        // prepare: 5-6 went as one request, 7 as another
        const rows = [notification(5, { relayBatch: 5 }), notification(6, { relayBatch: 5 }), notification(7, { relayBatch: 7 }), notification(8)];

        // act
        const next = nextBatch(CALL, rows);

        // assess
        assert.ok(next !== undefined && 'batch' in next);
        assert.deepEqual([next.batch.start, next.batch.end], [5, 6]);
    });

    test('a request never sent stops where a request sent before starts', () => {
        const next = nextBatch(CALL, [notification(5), notification(6), notification(7, { relayBatch: 7 })]);
        assert.ok(next !== undefined && 'batch' in next);
        assert.deepEqual([next.batch.start, next.batch.end], [5, 6]);
    });

    test('rows without a notification move the cursor past them; no rows, nothing', () => {
        assert.deepEqual(nextBatch(CALL, [hangup(4), hangup(5)]), { skipTo: 5 });
        assert.equal(nextBatch(CALL, []), undefined);
    });

    test('a request claimed holds its range until it is settled', () => {
        const claimed = claimBatch(summary({ relayedThrough: 3, relayPending: 2 }), { start: 5, end: 6 }, T0);
        assert.deepEqual(claimedRange(claimed), { start: 5, end: 6 });
    });
});

describe('relay: recording an attempt', () => {
    const batch: Batch = { start: 2, end: 3, events: [notification(2, { relayOutcome: 'failed' }), notification(3)] };
    const pending = summary({
        eventCount: 4,
        relayedThrough: 1,
        relayBatchEnd: 3,
        relayPending: 3,
        relayFailed: 1,
        relayAttempts: 1,
        relayOwner: 'own',
        relayLastError: 'HTTP 500',
    });

    test('a delivery moves the cursor past the request, counts the notifications out of pending (and out of failed), and marks their rows', () => {
        // act
        const update = settleDelivered(pending, batch, 204, 2, T0);

        // assess
        assert.equal(update.summary.relayedThrough, 3);
        assert.equal(update.summary.relayPending, 1);
        assert.equal(update.summary.relayFailed, 0);
        assert.equal(update.summary.relayBatchEnd, undefined, 'the next request is not fixed yet');
        assert.equal(update.summary.relayLastError, undefined);
        assert.deepEqual(update.events, [
            { sequence: 2, fields: { relayBatch: 2, relayAttempts: 2, relayStatus: 204, relayedAt: T0, relayOutcome: 'delivered' } },
            { sequence: 3, fields: { relayBatch: 2, relayAttempts: 2, relayStatus: 204, relayedAt: T0, relayOutcome: 'delivered' } },
        ]);
    });

    test('a failure keeps the request, waits the schedule, and hands the call to the retry message that will make the next attempt', () => {
        // act
        const failure = recordFailure(pending, batch, { delivered: false, status: 500, error: 'HTTP 500: boom' }, 2, T0, POLICY, 'next', 0.5);

        // assess
        assert.equal(failure.deadLettered, false);
        assert.ok(!failure.deadLettered);
        assert.equal(failure.waitMs, 30_000);
        assert.deepEqual(claimedRange(failure.update.summary), { start: 2, end: 3 });
        assert.equal(failure.update.summary.relayOwner, 'next');
        assert.equal(failure.update.summary.relayAttempts, 2);
        assert.equal(failure.update.summary.relayNextAttemptAt?.getTime(), T0.getTime() + 30_000);
        assert.equal(failure.update.summary.relayLastError, 'HTTP 500: boom');
        assert.deepEqual(failure.update.events?.[1], { sequence: 3, fields: { relayBatch: 2, relayAttempts: 2, relayStatus: 500, relayError: 'HTTP 500: boom' } });
    });

    test('once every notification of the request is older than the maximum age, it is dead-lettered and the call goes on', () => {
        // prepare
        const late = new Date(T0.getTime() + POLICY.maxAgeMs);

        // act
        const failure = recordFailure(pending, batch, { delivered: false, status: 0, error: 'no answer: ECONNREFUSED' }, 9, late, POLICY, 'next', 0.5);

        // assess
        assert.equal(failure.deadLettered, true);
        assert.equal(failure.update.summary.relayedThrough, 3);
        assert.equal(failure.update.summary.relayPending, 1);
        assert.equal(failure.update.summary.relayFailed, 2, 'the one dead-lettered before is not counted twice');
        assert.equal(failure.update.summary.relayOwner, 'own');
        assert.deepEqual(failure.update.events?.[1]?.fields, { relayBatch: 2, relayAttempts: 9, relayStatus: 0, relayError: 'no answer: ECONNREFUSED', relayOutcome: 'failed' });
    });

    test('not before: a notification a millisecond younger than the maximum age is tried again, and a replay restarts the clock', () => {
        const almost = new Date(T0.getTime() + POLICY.maxAgeMs - 1);
        assert.equal(recordFailure(pending, batch, { delivered: false, status: 500, error: 'x' }, 9, almost, POLICY, 'n', 0).deadLettered, false);
        const replayed = { ...pending, relayReplayAt: new Date(T0.getTime() + 3_600_000) };
        const late = new Date(T0.getTime() + POLICY.maxAgeMs);
        assert.equal(recordFailure(replayed, batch, { delivered: false, status: 500, error: 'x' }, 9, late, POLICY, 'n', 0).deadLettered, false);
    });
});

describe('relay: how long a retry waits', () => {
    test('the schedule step for the attempt, its last step repeating, spread by +-10%', () => {
        assert.equal(retryWait(1, undefined, [5000, 30_000], 0.5), 5000);
        assert.equal(retryWait(2, undefined, [5000, 30_000], 0.5), 30_000);
        assert.equal(retryWait(9, undefined, [5000, 30_000], 0.5), 30_000);
        assert.equal(retryWait(1, undefined, [5000], 0), 4500);
        assert.equal(retryWait(1, undefined, [5000], 1), 5500);
    });

    test("the bot's Retry-After instead, within 1 s and 6 h", () => {
        assert.equal(retryWait(1, 120_000, [5000], 0.5), 120_000);
        assert.equal(retryWait(1, 0, [5000], 0.5), 1000);
        assert.equal(retryWait(1, 48 * 3_600_000, [5000], 0.5), 6 * 3_600_000);
    });
});

describe('relay: a replay', () => {
    test('moves the cursor back before the first request to send again, with what it passes pending again, owned by the replay', () => {
        // act
        const rewound = rewindForReplay(summary({ eventCount: 9, relayedThrough: 9, relayPending: 0, relayOwner: 'old' }), 4, 5, 'replay', 5, T0);

        // assess
        assert.equal(rewound.relayedThrough, 3);
        assert.equal(rewound.relayPending, 5);
        assert.equal(rewound.relayOwner, 'replay');
        assert.equal(rewound.relayReplayFrom, 5);
        assert.equal(rewound.relayReplayAt, T0);
        assert.equal(claimedRange(rewound), undefined);
    });

    test('of notifications still pending, only hands them to the replay now, keeping the request being attempted', () => {
        const pending = summary({ eventCount: 9, relayedThrough: 6, relayBatchEnd: 8, relayPending: 2, relayAttempts: 3, relayOwner: 'retry' });
        const kicked = rewindForReplay(pending, 7, 0, 'replay', 7, T0);
        assert.deepEqual(claimedRange(kicked), { start: 7, end: 8 });
        assert.equal(kicked.relayPending, 2);
        assert.equal(kicked.relayOwner, 'replay');
        assert.equal(kicked.relayAttempts, 3);
    });
});
