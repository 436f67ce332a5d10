// Every failure of an API request, in words a person on call can act on. The console never shows a blank
// page or a bare status: whatever the app (or the Functions front end before it) answered is said here.

/** A failed API request: what came back, or status 0 when nothing did. */
export interface ApiFailure {
    status: number;
    /** From a problem+json body, when there was one. */
    title?: string;
    detail?: string;
    /** From `Retry-After`. */
    retryAfterSeconds?: number;
    /** Why nothing came back (status 0): the browser's message. */
    networkError?: string;
    /** How the app checks callers (from GET /api/me), when known: a 401 means a refused key, or no sign-in. */
    apiAuth?: 'functionKey' | 'entra';
}

/**
 * @param action what the console was doing, as a verb phrase: "list the calls", "load call abc".
 *
 * @example
 * problemInWords({ status: 404, detail: 'Nothing is recorded for call x.' }, 'load call x')
 * // 'Could not load call x: not found (404). Nothing is recorded for call x.'
 */
export function problemInWords(failure: ApiFailure, action: string): string {
    const detail = failure.detail === undefined || failure.detail.trim() === '' ? '' : ` ${sentence(failure.detail)}`;
    const title = failure.title === undefined || failure.title === '' ? '' : ` ${failure.title}`;
    switch (failure.status) {
        case 0:
            return `Could not ${action}: the app did not answer${failure.networkError ? ` (${failure.networkError})` : ''}. Check the connection; the console tries again by itself.`;
        case 400:
            return `Could not ${action}: the app refused the request (400${title}).${detail}`;
        case 401:
            if (failure.apiAuth === 'entra') {
                return `Could not ${action}: you are not signed in, or your sign-in has expired (401 Unauthorized).${detail} Reload the page to sign in again.`;
            }
            return (
                `Could not ${action}: the app refused the function key (401 Unauthorized).${detail} ` +
                "Open the console with ?code=<function key> on its address (the Function App's App keys hold one), or sign in again."
            );
        case 403:
            return `Could not ${action}: access is forbidden (403).${detail}`;
        case 404:
            return `Could not ${action}: not found (404).${detail}`;
        case 502:
            return `Could not ${action}: Microsoft Graph refused the app or could not be reached (502${title}).${detail}`;
        case 429:
        case 503:
            return `Could not ${action}: the service is unavailable for now (${failure.status}${title}).${detail}${retryText(failure)}`;
        case 500:
            return `Could not ${action}: the app failed (500${title}).${detail}`;
        default:
            return `Could not ${action}: the app answered ${failure.status}${title}.${detail}`;
    }
}

/**
 * What Graph did with a hang-up, in words: the answer of `DELETE /api/calls/{id}` (204 or a problem).
 *
 * @example
 * hangUpInWords({ status: 204 }) // 'Graph accepted the hang-up (204 No Content). ...'
 */
export function hangUpInWords(failure: ApiFailure): string {
    const detail = failure.detail === undefined || failure.detail.trim() === '' ? '' : ` ${sentence(failure.detail)}`;
    if (failure.status >= 200 && failure.status < 300) {
        return `Graph accepted the hang-up (${failure.status} No Content). The call ends as Graph's notifications arrive; this view follows it.`;
    }
    switch (failure.status) {
        case 404:
            return `Graph has no such call (404): it has already ended, or it never was this bot's call.${detail}`;
        case 502:
            return `Graph refused the hang-up or could not be reached (502${failure.title ? ` ${failure.title}` : ''}); the call may still be live.${detail}`;
        case 429:
        case 503:
            return `Graph is throttling or unavailable (${failure.status}); the call was not ended.${detail}${retryText(failure)}`;
        default:
            return problemInWords(failure, 'hang up the call');
    }
}

function retryText(failure: ApiFailure): string {
    return failure.retryAfterSeconds === undefined ? ' Try again in a moment.' : ` Try again in ${failure.retryAfterSeconds} s.`;
}

function sentence(text: string): string {
    const trimmed = text.trim();
    return /[.!?)]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
