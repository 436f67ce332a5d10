// The one place where errors become HTTP answers: RFC 9457 problem+json, never a stack trace.

import { CallRecordError, ensureError } from './errors';

/** A plain HTTP answer; structurally an `HttpResponseInit` of `@azure/functions`. */
export interface HttpAnswer {
    status: number;
    headers?: Record<string, string>;
    body?: string;
}

interface ProblemDetails {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Something that can log failures (an `InvocationContext` is one). */
export interface ErrorLogger {
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
}

/**
 * The answer for anything thrown by a handler. Known errors keep their status; anything else is logged
 * in full and answered with a bare 500 that names the invocation, so the caller can quote it.
 * 5xx answers make Graph (and people) retry, so nothing accepted is lost.
 *
 * @example
 * catch (err) { return problemAnswer(err, context, context.invocationId); }
 */
export function problemAnswer(err: unknown, logger: ErrorLogger, invocationId?: string): HttpAnswer {
    if (err instanceof CallRecordError) {
        // Outages are logged with their cause; refusals of bad requests only briefly.
        if (err.status >= 500) logger.error(`${err.status} ${err.title}: ${err.detail}`, err.cause ?? '');
        else if (err.status === 401 || err.status === 403) logger.warn(`${err.status} ${err.detail}`);
        return problemOf(err.status, err.title, err.detail, err.headers);
    }
    const error = ensureError(err);
    logger.error(`Unexpected failure${invocationId ? ` in invocation ${invocationId}` : ''}:`, error);
    const reference = invocationId ? ` Quote invocation id ${invocationId} when reporting it.` : '';
    return problemOf(500, 'Internal error', `The request failed unexpectedly.${reference}`);
}

export function problemOf(status: number, title: string, detail: string, headers: Record<string, string> = {}): HttpAnswer {
    const problem: ProblemDetails = { type: 'about:blank', title, status, detail };
    return {
        status,
        headers: { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE },
        body: JSON.stringify(problem),
    };
}

export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): HttpAnswer {
    return {
        status,
        headers: { ...headers, 'Content-Type': 'application/json; charset=utf-8' },
        body: JSON.stringify(value),
    };
}
