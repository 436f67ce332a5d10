// The optional reason a person gives with a hang-up or a replay (`?reason=` or the JSON body's `reason`), kept
// on the history event next to who asked. One line of at most MAX_REASON_LENGTH characters.

import { BadRequestError } from '../errors';
import { parseJson, readBody, requireJsonContentType } from '../requestBody';
import type { HeaderReader } from './clientPrincipal';
import { MAX_REASON_LENGTH } from './requester';

/** A body that holds a reason and nothing else is a few hundred bytes; anything much larger is not one. */
const REASON_BODY_LIMIT = 8 * 1024;

/** What reading the reason needs of a request (`@azure/functions`' HttpRequest is one). */
export interface ReasonRequest {
    url: string;
    headers: HeaderReader;
    body: AsyncIterable<Uint8Array> | null;
}

/**
 * The reason of a request whose body, if it has one, is `{"reason": "..."}` (DELETE /api/calls/{callId}).
 *
 * @example
 * const reason = await readRequestReason(request); // DELETE /api/calls/c1?reason=caller%20asked -> 'caller asked'
 */
export async function readRequestReason(request: ReasonRequest): Promise<string | undefined> {
    const bytes = await readBody(request.body, request.headers.get('content-length'), REASON_BODY_LIMIT);
    let bodyReason: unknown;
    if (bytes.length > 0) {
        requireJsonContentType(request.headers.get('content-type'));
        const body = parseJson(bytes);
        if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('The body must be a JSON object: {"reason": "..."}.');
        const unknown = Object.keys(body).filter((key) => key !== 'reason');
        if (unknown.length > 0) throw new BadRequestError(`The body may hold "reason" only, not ${unknown.map((key) => JSON.stringify(key.slice(0, 40))).join(', ')}.`);
        bodyReason = (body as { reason?: unknown }).reason;
    }
    return requestReason(new URL(request.url).searchParams, bodyReason);
}

/**
 * The reason from `?reason=` or from a body's `reason` field (routes whose body holds more read it themselves);
 * whitespace runs become one space, and an empty reason is no reason.
 *
 * @example
 * requestReason(new URLSearchParams('reason=caller%0Aasked'), undefined) // 'caller asked'
 */
export function requestReason(query: URLSearchParams, bodyReason: unknown): string | undefined {
    const fromQuery = query.getAll('reason');
    if (fromQuery.length > 1) throw new BadRequestError('Give reason once.');
    if (bodyReason !== undefined && bodyReason !== null && typeof bodyReason !== 'string') throw new BadRequestError('reason must be a string.');
    const given = [fromQuery[0], typeof bodyReason === 'string' ? bodyReason : undefined].filter((text): text is string => text !== undefined);
    if (given.length > 1) throw new BadRequestError('Give the reason once: in the query (?reason=) or in the body, not in both.');
    const reason = given[0]?.replace(/\s+/g, ' ').trim();
    if (reason === undefined || reason === '') return undefined;
    if (/\p{Cc}/u.test(reason)) throw new BadRequestError('reason must not hold control characters.');
    if (reason.length > MAX_REASON_LENGTH) throw new BadRequestError(`reason is ${reason.length} characters long; at most ${MAX_REASON_LENGTH} are kept.`);
    return reason;
}
