// The body of `POST /api/calls/{callId}/relay`: `{"fromSequence": n, "reason": "..."}` (from 1 when left out, the
// reason optional), as JSON only, so a cross-site form cannot send it.

import { BadRequestError, UnsupportedMediaTypeError } from '../errors';
import { isObject } from '../isObject';
import { parseJson } from '../requestBody';

export interface ReplayRequest {
    fromSequence: number;
    /** The body's `reason`, unchecked: requestReason() (access/) reads it with `?reason=`. */
    reason?: unknown;
}

/** A replay's body is tiny. */
export const REPLAY_BODY_LIMIT = 4096;

/**
 * @example
 * parseReplayRequest(Buffer.from('{"fromSequence": 3}'), 'application/json') // { fromSequence: 3 }
 */
export function parseReplayRequest(bytes: Buffer, contentType: string | null): ReplayRequest {
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (mediaType !== 'application/json') {
        throw new UnsupportedMediaTypeError(
            `Send the replay as application/json, e.g. {"fromSequence": 1}; got ${contentType === null ? 'no Content-Type' : JSON.stringify(contentType.slice(0, 100))}.`,
        );
    }
    const body = bytes.length === 0 ? {} : parseJson(bytes);
    if (!isObject(body)) throw new BadRequestError('The body must be a JSON object, e.g. {"fromSequence": 1}.');
    const unknown = Object.keys(body).filter((key) => key !== 'fromSequence' && key !== 'reason');
    if (unknown.length > 0) throw new BadRequestError(`Unknown field ${JSON.stringify(unknown[0])}; the body takes fromSequence and reason only.`);
    const { fromSequence = 1, reason } = body;
    if (typeof fromSequence !== 'number' || !Number.isSafeInteger(fromSequence) || fromSequence < 1) {
        throw new BadRequestError(`fromSequence must be a whole number from 1 (the call's first event), not ${JSON.stringify(fromSequence)}.`);
    }
    return { fromSequence, ...(reason === undefined ? {} : { reason }) };
}
