// Faults on demand: how callbacks are mangled, how Graph fails, and per-call scripts of Graph answers.
// Parsed from the control API's JSON here, so a typo in a test's fault fails loudly instead of doing nothing.

import { isObject } from './http';
import { SimulatorInputError } from './errors';

export interface Faults {
    /** Every callback POST is sent twice, as a redelivery would be. */
    duplicate: boolean;
    /** The notifications of one operation (a creation, a hang-up) are sent last first. */
    reverse: boolean;
    /** Wait this long before each callback POST. */
    delayMs: number;
    /** Sign callback tokens with a key (and `kid`) that the callback JWKS does not publish. */
    signWithWrongKey: boolean;
    /** Graph answers 429 with `Retry-After` to the next `count` calls API requests. */
    throttle: { count: number; retryAfterSeconds: number } | null;
    /** Graph answers 503 to the next `count` calls API requests; without `count`, until cleared. */
    unavailable: { count?: number; retryAfterSeconds?: number } | null;
    /** Graph answers 403 to every call record request: the app lacks CallRecords.Read.All. */
    callRecordsForbidden: boolean;
    /** Callbacks carry no callChainId: none in the call resource, no `X-Microsoft-Skype-Chain-Id` header (GETs still have it). */
    withoutChainId: boolean;
}

export const NO_FAULTS: Readonly<Faults> = {
    duplicate: false,
    reverse: false,
    delayMs: 0,
    signWithWrongKey: false,
    throttle: null,
    unavailable: null,
    callRecordsForbidden: false,
    withoutChainId: false,
};

/**
 * One scripted Graph answer for a call id. `status` picks the documented Graph body for it (204 empty, 404 call
 * not found, 403, 429 with `Retry-After`, 503, ...); `code`/`message` override the error body; `reset` drops the
 * connection instead of answering; `delayMs` answers late.
 */
export interface ScriptedResponse {
    status?: number;
    reset?: boolean;
    delayMs?: number;
    retryAfterSeconds?: number;
    code?: string;
    message?: string;
}

/** What the Graph calls API does instead of its normal work, if anything. */
export type GraphFault = { status: 429 | 503; retryAfterSeconds?: number };

/** Takes the next global Graph fault, counting it down. Throttling comes first, as Graph throttles before work. */
export function takeGraphFault(faults: Faults): GraphFault | undefined {
    if (faults.throttle !== null) {
        const { count, retryAfterSeconds } = faults.throttle;
        faults.throttle = count > 1 ? { count: count - 1, retryAfterSeconds } : null;
        return { status: 429, retryAfterSeconds };
    }
    if (faults.unavailable !== null) {
        const { count, retryAfterSeconds } = faults.unavailable;
        if (count !== undefined) {
            faults.unavailable = count > 1 ? { ...faults.unavailable, count: count - 1 } : null;
        }
        return { status: 503, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
    }
    return undefined;
}

/**
 * Reads a partial fault set from JSON; `null` clears a Graph fault.
 *
 * @example
 * parseFaults({ duplicate: true, throttle: { count: 2, retryAfterSeconds: 1 }, unavailable: null })
 */
export function parseFaults(input: Record<string, unknown>): Partial<Faults> {
    const known = new Set(Object.keys(NO_FAULTS));
    const unknown = Object.keys(input).filter((key) => !known.has(key));
    if (unknown.length > 0) {
        throw new SimulatorInputError(`Unknown fault(s): ${unknown.join(', ')}. Known: ${[...known].join(', ')}.`);
    }
    const faults: Partial<Faults> = {};
    for (const name of ['duplicate', 'reverse', 'signWithWrongKey', 'callRecordsForbidden', 'withoutChainId'] as const) {
        if (input[name] !== undefined) faults[name] = booleanField(input, name);
    }
    if (input.delayMs !== undefined) faults.delayMs = wholeNumber(input.delayMs, 'delayMs', 0, 60_000);
    if (input.throttle !== undefined) {
        faults.throttle = input.throttle === null ? null : parseThrottle(input.throttle);
    }
    if (input.unavailable !== undefined) {
        faults.unavailable = input.unavailable === null ? null : parseUnavailable(input.unavailable);
    }
    return faults;
}

function parseThrottle(value: unknown): NonNullable<Faults['throttle']> {
    if (!isObject(value)) throw new SimulatorInputError('throttle must be {count, retryAfterSeconds} or null.');
    return {
        count: wholeNumber(value.count, 'throttle.count', 1, 1_000_000),
        retryAfterSeconds: wholeNumber(value.retryAfterSeconds ?? 1, 'throttle.retryAfterSeconds', 0, 3600),
    };
}

function parseUnavailable(value: unknown): NonNullable<Faults['unavailable']> {
    if (!isObject(value)) throw new SimulatorInputError('unavailable must be {count?, retryAfterSeconds?} or null.');
    return {
        ...(value.count !== undefined ? { count: wholeNumber(value.count, 'unavailable.count', 1, 1_000_000) } : {}),
        ...(value.retryAfterSeconds !== undefined ? { retryAfterSeconds: wholeNumber(value.retryAfterSeconds, 'unavailable.retryAfterSeconds', 0, 3600) } : {}),
    };
}

/** Reads a script: a non-empty list of answers, used in order; the last one repeats forever. */
export function parseScript(value: unknown): ScriptedResponse[] {
    if (!Array.isArray(value) || value.length === 0) {
        throw new SimulatorInputError('A script must be a non-empty array of responses such as {"status": 204} or {"reset": true}.');
    }
    return value.map((entry, index) => parseScriptedResponse(entry, `responses[${index}]`));
}

function parseScriptedResponse(entry: unknown, where: string): ScriptedResponse {
    if (!isObject(entry)) throw new SimulatorInputError(`${where} must be an object.`);
    const allowed = new Set(['status', 'reset', 'delayMs', 'retryAfterSeconds', 'code', 'message']);
    const unknown = Object.keys(entry).filter((key) => !allowed.has(key));
    if (unknown.length > 0) throw new SimulatorInputError(`${where} has unknown field(s): ${unknown.join(', ')}.`);
    const reset = entry.reset === undefined ? false : booleanField(entry, 'reset', where);
    if (reset === (entry.status !== undefined)) {
        throw new SimulatorInputError(`${where} needs exactly one of "status" or "reset": true.`);
    }
    return {
        ...(entry.status !== undefined ? { status: wholeNumber(entry.status, `${where}.status`, 200, 599) } : {}),
        ...(reset ? { reset: true } : {}),
        ...(entry.delayMs !== undefined ? { delayMs: wholeNumber(entry.delayMs, `${where}.delayMs`, 0, 120_000) } : {}),
        ...(entry.retryAfterSeconds !== undefined ? { retryAfterSeconds: wholeNumber(entry.retryAfterSeconds, `${where}.retryAfterSeconds`, 0, 3600) } : {}),
        ...(entry.code !== undefined ? { code: text(entry.code, `${where}.code`) } : {}),
        ...(entry.message !== undefined ? { message: text(entry.message, `${where}.message`) } : {}),
    };
}

function booleanField(input: Record<string, unknown>, name: string, where = ''): boolean {
    const value = input[name];
    if (typeof value !== 'boolean') throw new SimulatorInputError(`${where ? `${where}.` : ''}${name} must be true or false.`);
    return value;
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new SimulatorInputError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return value;
}

function text(value: unknown, name: string): string {
    if (typeof value !== 'string' || value === '') throw new SimulatorInputError(`${name} must be a non-empty string.`);
    return value;
}
