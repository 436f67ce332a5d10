// The timer trigger's value as the Functions host hands it to the Node.js worker: its TimerInfo serialized to
// JSON by Newtonsoft (PascalCase keys, local times with their UTC offset), which `@azure/functions` turns into the
// `Timer` object (`isPastDue`, `schedule.adjustForDST`, `scheduleStatus {last, next, lastUpdated}`).

import type { RpcTypedData } from './coreTypes';

/** The host's record of a timer's occurrences; null in the trigger value when the schedule is not monitored. */
export interface ScheduleStatus {
    last: Date;
    next: Date;
    lastUpdated: Date;
}

/** .NET's `default(DateTime)`: what `last` holds before a timer ever ran. */
export const NEVER = new Date('0001-01-01T00:00:00Z');

export function isNever(date: Date): boolean {
    return date.getTime() === NEVER.getTime();
}

/**
 * @example
 * timerTriggerData({ last: NEVER, next, lastUpdated: NEVER }, false)
 * // { json: '{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00",...},"IsPastDue":false}' }
 */
export function timerTriggerData(status: ScheduleStatus | null, isPastDue: boolean): RpcTypedData {
    return {
        json: JSON.stringify({ Schedule: { AdjustForDST: true }, ScheduleStatus: status === null ? null : scheduleStatusJson(status), IsPastDue: isPastDue }),
    };
}

/** The status as the host stores it (and as the trigger value carries it). */
export function scheduleStatusJson(status: ScheduleStatus): Record<string, string> {
    return { Last: jsonDate(status.last), Next: jsonDate(status.next), LastUpdated: jsonDate(status.lastUpdated) };
}

/** Reads what `scheduleStatusJson` wrote; undefined for anything else. */
export function parseScheduleStatus(value: unknown): ScheduleStatus | undefined {
    if (typeof value !== 'object' || value === null) return undefined;
    const { Last, Next, LastUpdated } = value as Record<string, unknown>;
    const dates = [Last, Next, LastUpdated].map((text) => (typeof text === 'string' ? new Date(text) : undefined));
    if (dates.some((date) => date === undefined || Number.isNaN(date.getTime()))) return undefined;
    // Year 1 in any time zone is .NET's default(DateTime), written with the zone of the host that wrote it.
    const [last, next, lastUpdated] = (dates as Date[]).map((date) => (date.getUTCFullYear() <= 1 ? NEVER : date)) as [Date, Date, Date];
    return { last, next, lastUpdated };
}

/** Newtonsoft's ISO format for a local DateTime: `2026-03-02T10:05:00+01:00`, a fraction only when there is one. */
export function jsonDate(date: Date): string {
    if (isNever(date)) return `0001-01-01T00:00:00${utcOffset(new Date())}`;
    const fraction = date.getMilliseconds() === 0 ? '' : `.${String(date.getMilliseconds()).padStart(3, '0').replace(/0+$/, '')}`;
    return `${localDateTime(date)}${fraction}${utcOffset(date)}`;
}

/** .NET's round-trip ("o") format of a local time, as the host writes it in "Timer fired at ...". */
export function roundTripDate(date: Date): string {
    return `${localDateTime(date)}.${String(date.getMilliseconds()).padStart(3, '0')}0000${utcOffset(date)}`;
}

function localDateTime(date: Date): string {
    const two = (n: number) => String(n).padStart(2, '0');
    return (
        `${String(date.getFullYear()).padStart(4, '0')}-${two(date.getMonth() + 1)}-${two(date.getDate())}` +
        `T${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
    );
}

function utcOffset(date: Date): string {
    const minutes = -date.getTimezoneOffset();
    const sign = minutes < 0 ? '-' : '+';
    const absolute = Math.abs(minutes);
    return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}:${String(absolute % 60).padStart(2, '0')}`;
}
