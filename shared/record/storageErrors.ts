// Named outcomes of Table Storage calls, recognised in one place.

import { ServiceUnavailableError } from '../errors';

interface StorageFailure {
    statusCode?: number;
    code?: string;
}

interface RestErrorLike {
    statusCode?: number;
    code?: string;
    details?: { errorCode?: unknown; odataError?: { code?: unknown } };
}

/** The SDK sets `code` on transaction failures but leaves it in `details` for single operations. */
function failure(err: unknown): StorageFailure {
    if (typeof err !== 'object' || err === null) return {};
    const { statusCode, code, details } = err as RestErrorLike;
    const detailed = details?.errorCode ?? details?.odataError?.code;
    const named = code ?? (typeof detailed === 'string' ? detailed : undefined);
    return { ...(statusCode !== undefined ? { statusCode } : {}), ...(named !== undefined ? { code: named } : {}) };
}

/** Another writer changed the partition first (412), or a row we meant to create exists (409). */
export function isWriteConflict(err: unknown): boolean {
    const { statusCode, code } = failure(err);
    if (statusCode === 412 || statusCode === 409) {
        return code !== 'TableBeingDeleted';
    }
    // The summary row we meant to update is gone (someone cleared the call): re-read and start again.
    return statusCode === 404 && code !== 'TableNotFound';
}

export function isTableNotFound(err: unknown): boolean {
    const { statusCode, code } = failure(err);
    return statusCode === 404 && code === 'TableNotFound';
}

export function isNotFound(err: unknown): boolean {
    return failure(err).statusCode === 404;
}

/**
 * The storage refused what a transaction carries (400, or 413 for its size): the same request will be
 * refused again however often it is sent, so it must change, never be answered with "retry later".
 */
export function isContentRefused(err: unknown): boolean {
    const { statusCode } = failure(err);
    return statusCode === 400 || statusCode === 413;
}

/** The storage's own words for a failure, short enough to keep in a row. */
export function storageReason(err: unknown): string {
    const { statusCode, code } = failure(err);
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '').replace(/^\d+:/, '').slice(0, 500) : '';
    return [statusCode, code].filter((part) => part !== undefined).join(' ') + (message ? `: ${message}` : '');
}

/** Anything else from storage: an outage for the caller, who should retry. */
export class StorageUnavailableError extends ServiceUnavailableError {
    /**
     * @param service what could not be reached, for the message
     * @param reason the same for telemetry, as the catalogue names it
     */
    constructor(cause: unknown, service = 'Call history storage', reason: 'storage' | 'call_events_queue' = 'storage') {
        const { statusCode, code } = failure(cause);
        const what = [statusCode, code].filter((part) => part !== undefined).join(' ');
        super(`${service} is unavailable${what ? ` (${what})` : ''}; nothing was lost, retry later.`, 5, { cause, reason });
    }
}
