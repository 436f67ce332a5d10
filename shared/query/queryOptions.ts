// Query parameters of the read API (and the command line's options), checked and turned into typed
// options. Anything malformed is a 400 that says what is allowed, before any query is built.

import { KNOWN_CALL_STATES, normalizeCallState } from '../record/callState';
import { BadRequestError } from '../errors';

export const DEFAULT_TOP = 100;
export const MAX_TOP = 1000;

export interface PageOptions {
    /** Items per page, 1..1000; the service may return fewer (and a token) on any page. */
    top?: number;
    /** The token of the previous page of the same query. */
    continuationToken?: string;
}

export interface CallListOptions extends PageOptions {
    /** Only calls whose `callState` is this known state. */
    state?: string;
    /** true: only calls that have not ended; false: only calls that have. */
    active?: boolean;
    /** Only calls that started (`firstEventAt`) at or after this instant. */
    since?: Date;
    /** Only calls that started before this instant. */
    until?: Date;
    /** `failed`: only calls with notifications the relay dead-lettered. */
    relay?: 'failed';
}

const SUMMARY_PARAMETERS = [] as const;
const HISTORY_PARAMETERS = ['top', 'continuationToken'] as const;
const CALL_LIST_PARAMETERS = ['state', 'active', 'since', 'until', 'relay', 'top', 'continuationToken'] as const;
/** The Functions host reads the function key from `code`; it is not ours to refuse. */
const HOST_PARAMETERS = ['code'];

/**
 * The query string as the caller sent it. The Functions host hands the worker a dictionary that joins a repeated
 * parameter's values with "," (`?top=1&top=2` arrives in `request.query` as `top=1,2`, see
 * azure-functions-nodejs-library#168), so a repeat can only be seen, and refused, in the request's URL.
 *
 * @example
 * parseCallListOptions(requestQuery(request.url))
 */
export function requestQuery(url: string): URLSearchParams {
    return new URL(url).searchParams;
}

/**
 * A call's summary takes no parameters: `?foo=bar` is refused rather than silently ignored.
 *
 * @example
 * checkSummaryQuery(new URLSearchParams('code=function-key')) // fine
 */
export function checkSummaryQuery(query: URLSearchParams): void {
    singleValues(query, SUMMARY_PARAMETERS);
}

/**
 * @example
 * parseHistoryOptions(new URLSearchParams('top=50')) // { top: 50 }
 */
export function parseHistoryOptions(query: URLSearchParams): PageOptions {
    const value = singleValues(query, HISTORY_PARAMETERS);
    return pageOptions(value('top'), value('continuationToken'));
}

/**
 * @example
 * parseCallListOptions(new URLSearchParams('state=Terminated&since=2026-11-29T10:00:00Z'))
 * // { state: 'terminated', since: new Date('2026-11-29T10:00:00Z') }
 */
export function parseCallListOptions(query: URLSearchParams): CallListOptions {
    const value = singleValues(query, CALL_LIST_PARAMETERS);
    const options: CallListOptions = {
        ...pageOptions(value('top'), value('continuationToken')),
        ...optional('state', value('state'), requireCallState),
        ...optional('active', value('active'), parseActive),
        ...optional('since', value('since'), (raw) => parseInstant('since', raw)),
        ...optional('until', value('until'), (raw) => parseInstant('until', raw)),
        ...optional('relay', value('relay'), parseRelayFilter),
    };
    checkCallListOptions(options);
    return options;
}

/** Checks typed options from any caller (the parsers above, the command line, tests). */
export function checkPageOptions(options: PageOptions): void {
    const { top } = options;
    if (top !== undefined && (!Number.isInteger(top) || top < 1 || top > MAX_TOP)) throw badTop(String(top));
}

export function checkCallListOptions(options: CallListOptions): void {
    checkPageOptions(options);
    if (options.state !== undefined && !KNOWN_CALL_STATES.includes(options.state)) throw badState(options.state);
    for (const [name, date] of [
        ['since', options.since],
        ['until', options.until],
    ] as const) {
        if (date !== undefined && Number.isNaN(date.getTime())) throw new BadRequestError(`${name} is not a valid date.`);
    }
    if (options.since !== undefined && options.until !== undefined && options.since.getTime() >= options.until.getTime()) {
        throw new BadRequestError('since must be earlier than until.');
    }
}

/**
 * A known call state in Graph's spelling, whatever case it was given in. Only known states are accepted,
 * so a misspelt filter is a 400 rather than an empty list that reads as "no such calls".
 */
function requireCallState(raw: string): string {
    const trimmed = raw.trim();
    const state = /^[A-Za-z]{1,64}$/.test(trimmed) ? normalizeCallState(trimmed) : undefined;
    if (state === undefined || !KNOWN_CALL_STATES.includes(state)) throw badState(raw);
    return state;
}

function parseRelayFilter(raw: string): 'failed' {
    if (raw.trim().toLowerCase() !== 'failed')
        throw new BadRequestError(`relay must be failed (calls with dead-lettered notifications), not ${JSON.stringify(raw.slice(0, 100))}.`);
    return 'failed';
}

function parseActive(raw: string): boolean {
    const text = raw.trim().toLowerCase();
    if (text !== 'true' && text !== 'false') throw new BadRequestError(`active must be true or false, not ${JSON.stringify(raw.slice(0, 100))}.`);
    return text === 'true';
}

function badState(raw: string): BadRequestError {
    return new BadRequestError(`state ${JSON.stringify(raw.slice(0, 100))} is not a call state; use one of ${KNOWN_CALL_STATES.join(', ')}.`);
}

const INSTANT =
    /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})(?<time>T(?<hour>\d{2}):(?<minute>\d{2})(?::(?<second>\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](?<offsetHours>\d{2}):(?<offsetMinutes>\d{2})))?$/;

/**
 * An ISO 8601 date (`2026-11-29`, midnight UTC) or date-time with `Z` or an offset. A time without a zone
 * is refused: it would mean different instants on the caller's machine and on the server.
 *
 * @example
 * parseInstant('since', '2026-11-29T10:00:00+01:00') // 2026-11-29T09:00:00.000Z
 */
export function parseInstant(name: string, raw: string): Date {
    const text = raw.trim();
    const parts = INSTANT.exec(text)?.groups;
    const refuse = () =>
        new BadRequestError(`${name} ${JSON.stringify(raw.slice(0, 100))} is not an ISO 8601 date or date-time with a zone, e.g. 2026-11-29 or 2026-11-29T10:00:00Z.`);
    if (parts === undefined) throw refuse();
    const number = (part: string | undefined) => Number(part ?? 0);
    // Date would roll 2026-02-30 over into March and 24:00 into the next day; a typo must not move the range.
    const daysInMonth = new Date(Date.UTC(number(parts.year), number(parts.month), 0)).getUTCDate();
    const inRange =
        number(parts.month) >= 1 &&
        number(parts.month) <= 12 &&
        number(parts.day) >= 1 &&
        number(parts.day) <= daysInMonth &&
        number(parts.hour) <= 23 &&
        number(parts.minute) <= 59 &&
        number(parts.second) <= 59 &&
        number(parts.offsetHours) <= 23 &&
        number(parts.offsetMinutes) <= 59;
    const date = new Date(parts.time === undefined ? `${text}T00:00:00Z` : text);
    if (!inRange || Number.isNaN(date.getTime())) throw refuse();
    return date;
}

function pageOptions(top: string | undefined, continuationToken: string | undefined): PageOptions {
    return {
        ...optional('top', top, parseTop),
        ...optional('continuationToken', continuationToken, (raw) => raw),
    };
}

function parseTop(raw: string): number {
    if (!/^\d{1,4}$/.test(raw)) throw badTop(raw);
    const top = Number(raw);
    checkPageOptions({ top });
    return top;
}

function badTop(raw: string): BadRequestError {
    return new BadRequestError(`top must be a whole number from 1 to ${MAX_TOP}, not ${JSON.stringify(raw.slice(0, 100))}.`);
}

/**
 * A reader of the allowed parameters that refuses unknown and repeated ones: `?stat=terminated` or
 * `?top=1&top=1000` would otherwise be answered as some other query than the caller meant.
 */
function singleValues<Name extends string>(query: URLSearchParams, allowed: readonly Name[]): (name: Name) => string | undefined {
    for (const name of new Set(query.keys())) {
        if (HOST_PARAMETERS.includes(name)) continue;
        if (!(allowed as readonly string[]).includes(name)) {
            const takes = allowed.length === 0 ? 'takes no query parameters' : `takes ${allowed.join(', ')}`;
            throw new BadRequestError(`Unknown query parameter ${JSON.stringify(name.slice(0, 100))}; this endpoint ${takes}.`);
        }
        if (query.getAll(name).length > 1) {
            throw new BadRequestError(`Query parameter ${name} is given more than once.`);
        }
    }
    return (name) => {
        const raw = query.get(name);
        return raw === null || raw === '' ? undefined : raw;
    };
}

function optional<Key extends string, T>(key: Key, raw: string | undefined, parse: (raw: string) => T): { [K in Key]?: T } {
    return (raw === undefined ? {} : { [key]: parse(raw) }) as { [K in Key]?: T };
}
