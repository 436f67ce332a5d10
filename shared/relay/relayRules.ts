// The relay's decisions, as pure functions of a call's summary and history rows (the I/O is callRelay.ts's).
//
// A call's relay state lives on its summary row (CallRelayState), written under the summary's ETag like every
// other write of the call, so any number of instances can deliver the same call without breaking its order:
// - `relayedThrough` is the cursor: every event up to it is delivered, dead-lettered, or not a notification.
//   Notifications after it are delivered one request at a time, in sequence order; a request is never sent before
//   every earlier one was delivered (2xx) or dead-lettered.
// - `relayBatchEnd` fixes the request being attempted (the notifications after the cursor, up to it) before its
//   first attempt, so every retry and replay of a `webhook-id` carries the same notifications.
// - `relayOwner` names the one actor that carries the call's relay on: the callback whose commit claimed the
//   request (its Graph POST is unanswered until it has delivered or scheduled a retry, so if it dies Graph
//   redelivers, and the redelivery takes over), or the one retry message that holds the token. Every write of an
//   actor checks the token; an actor that finds another one has stopped.

import type { CallEvent, CallSummary, EventDelivery, NewCallEvent } from '../record/callModel';
import { EVENT_KIND } from '../record/callModel';
import type { CallUpdate } from '../record/callStore';

/** Notifications in one request at most (a transaction records them with the summary: 100 rows at most). */
export const MAX_BATCH_NOTIFICATIONS = 25;

/** What a relay's attempt got: the bot's answer, or none (no connection, or no answer in time). */
export type AttemptResult = { delivered: true; status: number } | { delivered: false; status: number; error: string; retryAfterMs?: number };

/** One request to the bot: its range of sequences and the notifications in it (history rows, in order). */
export interface Batch {
    /** The sequence of its first notification: the `webhook-id` is `{callId}/{start}`. */
    start: number;
    end: number;
    events: readonly CallEvent[];
}

/** Only notifications of a call are relayed: not hang-ups, reconciliations, or what could not be attributed to a call. */
export function isRelayable(callId: string, event: Pick<NewCallEvent, 'kind'>): boolean {
    return event.kind === EVENT_KIND.notification && !callId.startsWith('_');
}

/**
 * The relay's part of a commit of the call record (the store's plan extension): the notifications it stores are
 * counted as pending and, when nothing was pending before, claimed as the next request, owned by `owner` (the
 * callback that stores them makes the first attempt). A call stored before the relay was on starts at its end:
 * its earlier history is not relayed (a replay sends it).
 */
export function claimOnCommit(
    callId: string,
    before: CallSummary,
    planned: CallSummary,
    stored: ReadonlyArray<{ sequence: number; event: NewCallEvent }>,
    owner: string,
    now: Date,
): CallSummary {
    if (callId.startsWith('_')) return planned;
    const relayable = stored.filter(({ event }) => isRelayable(callId, event));
    const pendingBefore = before.relayPending ?? 0;
    const counted: CallSummary = { ...planned, relayedThrough: before.relayedThrough ?? before.eventCount, relayPending: pendingBefore + relayable.length };
    const first = relayable[0];
    if (pendingBefore > 0 || before.relayBatchEnd !== undefined || first === undefined) return counted;
    const last = relayable[Math.min(relayable.length, MAX_BATCH_NOTIFICATIONS) - 1] ?? first;
    return { ...withoutAttempts(counted), relayedThrough: first.sequence - 1, relayBatchEnd: last.sequence, relayOwner: owner, relayNextAttemptAt: now };
}

/** The request being attempted, when one is fixed: the range after the cursor up to `relayBatchEnd`. */
export function claimedRange(summary: CallSummary): { start: number; end: number } | undefined {
    if (summary.relayBatchEnd === undefined) return undefined;
    return { start: (summary.relayedThrough ?? 0) + 1, end: summary.relayBatchEnd };
}

/**
 * The next request, from history rows read in sequence order from the cursor on: rows that were sent before keep
 * the request they went in (their `relayBatch`), so a replay repeats each `webhook-id` with the same notifications;
 * rows never sent make a new request of up to 25 notifications. Leading rows that are not notifications are passed.
 * `skipTo` when the rows hold no notification at all (the cursor can move past them).
 */
export function nextBatch(callId: string, rows: readonly CallEvent[]): { batch: Batch } | { skipTo: number } | undefined {
    const firstIndex = rows.findIndex((row) => isRelayable(callId, row));
    if (firstIndex < 0) {
        const last = rows.at(-1);
        return last === undefined ? undefined : { skipTo: last.sequence };
    }
    const first = rows[firstIndex]!;
    const events: CallEvent[] = [];
    let end = first.sequence;
    const sentBefore = first.relayBatch === first.sequence;
    for (const row of rows.slice(firstIndex)) {
        if (!isRelayable(callId, row)) continue;
        const belongs = sentBefore ? row.relayBatch === first.sequence : row.relayBatch === undefined || row === first;
        if (!belongs || events.length >= MAX_BATCH_NOTIFICATIONS) break;
        events.push(row);
        end = row.sequence;
    }
    return { batch: { start: first.sequence, end, events } };
}

/** The summary with the request fixed: its range is claimed by its owner before the first attempt. */
export function claimBatch(summary: CallSummary, batch: Pick<Batch, 'start' | 'end'>, now: Date): CallSummary {
    return { ...withoutAttempts(summary), relayedThrough: batch.start - 1, relayBatchEnd: batch.end, relayNextAttemptAt: now };
}

/** The cursor moved past rows that are not notifications. */
export function skipRows(summary: CallSummary, through: number): CallSummary {
    return { ...summary, relayedThrough: Math.max(summary.relayedThrough ?? 0, through) };
}

/** The bot accepted the request: its notifications are delivered, and the next request is not fixed yet. */
export function settleDelivered(summary: CallSummary, batch: Batch, status: number, attempt: number, now: Date): CallUpdate {
    const failedBefore = batch.events.filter((event) => event.relayOutcome === 'failed').length;
    const settled: CallSummary = {
        ...withoutAttempts(summary),
        relayedThrough: batch.end,
        relayPending: Math.max(0, (summary.relayPending ?? 0) - batch.events.length),
        relayFailed: Math.max(0, (summary.relayFailed ?? 0) - failedBefore),
        relayLastAttemptAt: now,
        relayLastStatus: status,
    };
    delete settled.relayLastError;
    const fields: EventDelivery = { relayBatch: batch.start, relayAttempts: attempt, relayStatus: status, relayedAt: now, relayOutcome: 'delivered' };
    return { summary: settled, events: batch.events.map((event) => ({ sequence: event.sequence, fields })) };
}

export interface FailurePolicy {
    maxAgeMs: number;
    retrySchedule: readonly number[];
}

/**
 * The bot did not accept the request. Once every notification in it is older than the maximum age (counted from
 * its receipt, or from the last replay), it is dead-lettered: marked failed with the bot's answer, and the call's
 * later notifications go on. Otherwise the next attempt waits for the schedule's step (or the bot's `Retry-After`),
 * and `nextOwner`, the token of the retry message that will make it, owns the call's relay from now on.
 *
 * @param jitter a number from 0 to 1 that spreads retries of many calls over +-10% of the wait
 */
export function recordFailure(
    summary: CallSummary,
    batch: Batch,
    result: Extract<AttemptResult, { delivered: false }>,
    attempt: number,
    now: Date,
    policy: FailurePolicy,
    nextOwner: string,
    jitter: number,
): { deadLettered: true; update: CallUpdate } | { deadLettered: false; update: CallUpdate; waitMs: number } {
    const rowFields: EventDelivery = { relayBatch: batch.start, relayAttempts: attempt, relayStatus: result.status, relayError: result.error };
    const youngest = Math.max(...batch.events.map((event) => event.receivedAt.getTime()), summary.relayReplayAt?.getTime() ?? 0);
    if (now.getTime() - youngest >= policy.maxAgeMs) {
        const newlyFailed = batch.events.filter((event) => event.relayOutcome !== 'failed').length;
        const settled: CallSummary = {
            ...withoutAttempts(summary),
            relayedThrough: batch.end,
            relayPending: Math.max(0, (summary.relayPending ?? 0) - batch.events.length),
            relayFailed: (summary.relayFailed ?? 0) + newlyFailed,
            relayLastAttemptAt: now,
            relayLastStatus: result.status,
            relayLastError: result.error,
        };
        const fields: EventDelivery = { ...rowFields, relayOutcome: 'failed' };
        return { deadLettered: true, update: { summary: settled, events: batch.events.map((event) => ({ sequence: event.sequence, fields })) } };
    }
    const waitMs = retryWait(attempt, result.retryAfterMs, policy.retrySchedule, jitter);
    const waiting: CallSummary = {
        ...summary,
        relayedThrough: batch.start - 1,
        relayBatchEnd: batch.end,
        relayAttempts: attempt,
        relayNextAttemptAt: new Date(now.getTime() + waitMs),
        relayLastAttemptAt: now,
        relayLastStatus: result.status,
        relayLastError: result.error,
        relayOwner: nextOwner,
    };
    return { deadLettered: false, waitMs, update: { summary: waiting, events: batch.events.map((event) => ({ sequence: event.sequence, fields: rowFields })) } };
}

/** The bot's `Retry-After`, within 1 s and 6 h, when it sent one; else the schedule's step for this attempt, +-10%. */
export function retryWait(attempt: number, retryAfterMs: number | undefined, schedule: readonly number[], jitter: number): number {
    if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 1000), 6 * 3_600_000);
    const step = schedule[Math.min(attempt, schedule.length) - 1] ?? schedule.at(-1) ?? 60_000;
    return Math.max(1000, Math.round(step * (0.9 + 0.2 * jitter)));
}

/** Another actor carries the call's relay on from now (a redelivery taking over, a hand-off to a retry message). */
export function withOwner(summary: CallSummary, owner: string, now: Date): CallSummary {
    return { ...summary, relayOwner: owner, relayNextAttemptAt: now };
}

/**
 * A replay from `start` (the first sequence of the request the asked-for notification went in): the cursor goes
 * back before it, what it passes is pending again, and `owner` (the replay's retry message) carries on from there.
 * Asked for notifications still pending, it only hands them to `owner` at once.
 */
export function rewindForReplay(summary: CallSummary, start: number, passedNotifications: number, owner: string, asked: number, now: Date): CallSummary {
    const cursor = summary.relayedThrough ?? summary.eventCount;
    const rewound = start > cursor ? summary : { ...withoutAttempts(summary), relayedThrough: start - 1, relayPending: (summary.relayPending ?? 0) + passedNotifications };
    return { ...withOwner(rewound, owner, now), relayReplayAt: now, relayReplayFrom: asked };
}

function withoutAttempts(summary: CallSummary): CallSummary {
    const { relayBatchEnd: _batchEnd, relayAttempts: _attempts, relayNextAttemptAt: _next, ...rest } = summary;
    return rest;
}
