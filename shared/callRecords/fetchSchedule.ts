// When Graph's call record is asked for, and what a fetch message says. Graph makes a call record available 15 to
// 150 minutes after the call (and keeps it 30 days), so the first try comes CALL_RECORD_DELAY_MINUTES after the
// end, then 30, 60, 120, 240, ... minutes after the one before, the last one no later than CALL_RECORD_GIVE_UP_HOURS
// after the end. Pure, no I/O.

import { isObject } from '../isObject';
import { isValidCallId } from '../callId';

/** One scheduled fetch: the call, which try this is, and when the call ended (the schedule counts from it). */
export interface FetchMessage {
    callId: string;
    attempt: number;
    endedAt: Date;
    /** A fetch after the record was fetched: Graph may have a newer version by then (more of the call's reports). */
    refresh?: boolean;
}

export interface FetchSchedule {
    delayMinutes: number;
    giveUpHours: number;
}

const FIRST_BACKOFF_MINUTES = 30;

/**
 * When try `attempt` (1, 2, ...) is due: the delay, then 30, 60, 120, ... minutes more, never after the give-up.
 *
 * @example
 * attemptAt({ delayMinutes: 15, giveUpHours: 6 }, ended, 3) // ended + 105 minutes (15 + 30 + 60)
 */
export function attemptAt(schedule: FetchSchedule, endedAt: Date, attempt: number): Date {
    const minutes = schedule.delayMinutes + FIRST_BACKOFF_MINUTES * (2 ** Math.max(0, attempt - 1) - 1);
    return new Date(endedAt.getTime() + Math.min(minutes, schedule.giveUpHours * 60) * 60_000);
}

/** The try after `attempt`, or undefined when `attempt` was the last one (it was due at the give-up time). */
export function nextAttempt(schedule: FetchSchedule, message: FetchMessage): { attempt: number; at: Date } | undefined {
    const giveUpAt = message.endedAt.getTime() + schedule.giveUpHours * 3_600_000;
    if (attemptAt(schedule, message.endedAt, message.attempt).getTime() >= giveUpAt) return undefined;
    const attempt = message.attempt + 1;
    return { attempt, at: attemptAt(schedule, message.endedAt, attempt) };
}

/** The JSON of a fetch message, as the queue carries it (base64 of it, as the queue trigger reads it). */
export function fetchMessageJson(message: FetchMessage): string {
    return JSON.stringify({ callId: message.callId, attempt: message.attempt, endedAt: message.endedAt.toISOString(), ...(message.refresh === true ? { refresh: true } : {}) });
}

/**
 * A message as the queue trigger hands it over (the JSON already parsed), or undefined when it is not one.
 *
 * @example
 * parseFetchMessage({ callId: 'c1', attempt: 2, endedAt: '2026-12-01T10:00:00.000Z' }) // { callId: 'c1', attempt: 2, endedAt: Date }
 */
export function parseFetchMessage(value: unknown): FetchMessage | undefined {
    const parsed = typeof value === 'string' ? safeJson(value) : value;
    if (!isObject(parsed)) return undefined;
    const { callId, attempt, endedAt, refresh } = parsed;
    const ended = typeof endedAt === 'string' ? new Date(endedAt) : undefined;
    if (
        typeof callId !== 'string' ||
        !isValidCallId(callId) ||
        typeof attempt !== 'number' ||
        !Number.isInteger(attempt) ||
        attempt < 1 ||
        ended === undefined ||
        Number.isNaN(ended.getTime())
    ) {
        return undefined;
    }
    return { callId, attempt, endedAt: ended, ...(refresh === true ? { refresh: true } : {}) };
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return undefined;
    }
}
