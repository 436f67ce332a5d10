// How times, durations and counts read in the console. Pure functions, so they are tested without a browser.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration as people say it, at most two units.
 *
 * @example
 * formatDuration(850) // '850 ms'
 * formatDuration(1234) // '1.2 s'
 * formatDuration(185_000) // '3 min 5 s'
 */
export function formatDuration(ms: number): string {
    const value = Math.max(0, ms);
    if (value < SECOND) return `${Math.round(value)} ms`;
    if (value < 10 * SECOND) return `${(Math.floor(value / 100) / 10).toFixed(1)} s`;
    if (value < MINUTE) return `${Math.floor(value / SECOND)} s`;
    const two = (big: number, bigUnit: string, small: number, smallUnit: string) => {
        const whole = Math.floor(value / big);
        const rest = Math.floor((value % big) / small);
        return rest === 0 ? `${whole} ${bigUnit}` : `${whole} ${bigUnit} ${rest} ${smallUnit}`;
    };
    if (value < HOUR) return two(MINUTE, 'min', SECOND, 's');
    if (value < DAY) return two(HOUR, 'h', MINUTE, 'min');
    return two(DAY, 'd', HOUR, 'h');
}

/**
 * How long ago an instant was, for lists ("just now", "4 min ago"); a future instant (a skewed clock) reads "just now".
 *
 * @example
 * formatAgo(Date.parse('2026-11-29T10:00:00Z'), Date.parse('2026-11-29T10:04:10Z')) // '4 min ago'
 */
export function formatAgo(at: number, now: number): string {
    const ago = now - at;
    if (ago < 5 * SECOND) return 'just now';
    const text = formatDuration(ago);
    // "4 min 10 s ago" is more precision than a list needs.
    return `${text.split(' ').slice(0, 2).join(' ')} ago`;
}

/** A local date and time to the second, e.g. `2026-11-29 10:04:10`, in the browser's time zone. */
export function formatDateTime(at: number): string {
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) return '';
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${formatClock(at)}`;
}

/** A local time of day to the second, e.g. `10:04:10`. */
export function formatClock(at: number): string {
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) return '';
    return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** A local time of day to the millisecond, e.g. `10:04:10.042`, for events that come within one second. */
export function formatClockMs(at: number): string {
    const date = new Date(at);
    if (Number.isNaN(date.getTime())) return '';
    return `${formatClock(at)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * A `<input type="datetime-local">` value (local time, no zone) as the instant the API takes.
 *
 * @example
 * localInputToIso('2026-11-29T10:00') // '2026-11-29T09:00:00.000Z' in Berlin in winter
 */
export function localInputToIso(value: string): string | undefined {
    if (value.trim() === '') return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The instant as a `<input type="datetime-local">` value in local time, to the minute. */
export function isoToLocalInput(at: number): string {
    const date = new Date(at);
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function formatCount(n: number): string {
    return n.toLocaleString('en-US');
}

function pad(n: number): string {
    return String(n).padStart(2, '0');
}
