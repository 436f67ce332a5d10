// Continuation tokens handed to callers: where the page ended (the SDK's own token, or a position of the
// call index) sealed together with the query it belongs to, so a token can only move the position inside
// the query it came from.
//
// The seal is a SHA-256 over the query and the position, not a secret-keyed MAC: it catches corrupted
// tokens and tokens of another query. A hand-made token that passes can do no harm either: the position
// is only ever a start point for the same filter, so at worst it skips rows of the caller's own query.

import { createHash } from 'node:crypto';
import { BadRequestError } from '../errors';

const VERSION = 1;
/** Longer than any token this app hands out; refused before anything is decoded. */
const MAX_TOKEN_LENGTH = 4096;
/** Table service positions (`x-ms-continuation-NextPartitionKey` / `NextRowKey`) are header values: visible ASCII. */
const POSITION_PATTERN = /^[\x21-\x7e]{1,1024}$/;

/** Where the Table service said the next page starts; the SDK carries it as base64 JSON. */
export interface SdkPosition {
    nextPartitionKey: string;
    nextRowKey?: string;
}

/**
 * Seals the SDK's continuation token of a page to the query (its filter) it came from.
 *
 * @example
 * const token = sealContinuationToken(filter, page.continuationToken);
 */
export function sealContinuationToken(query: string, sdkToken: string): string {
    const body = JSON.stringify({ v: VERSION, p: sdkToken });
    return `${Buffer.from(body, 'utf8').toString('base64url')}.${seal(query, body)}`;
}

/**
 * The position inside a caller's token (by default the SDK's continuation token), after checking that it
 * is intact, belongs to `query` and is a position `isPosition` accepts; anything else is a 400.
 *
 * @example
 * const sdkToken = openContinuationToken(filter, request.query.get('continuationToken'));
 */
export function openContinuationToken(query: string, token: string, isPosition: (position: string) => boolean = isSdkPosition): string {
    const refuse = (why: string) => new BadRequestError(`The continuation token ${why}. Use the token of the previous page of this same query, or start again without one.`);
    if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token)) {
        throw refuse('is not one this API issued');
    }
    const [encodedBody = '', check = ''] = token.split('.');
    const body = Buffer.from(encodedBody, 'base64url').toString('utf8');
    // Base64 decoding ignores the spare bits of the last character; a token must be spelled exactly as issued.
    if (Buffer.from(body, 'utf8').toString('base64url') !== encodedBody || check !== seal(query, body)) {
        throw refuse('is corrupted or belongs to a different query');
    }
    const parsed = parseObject(body);
    const position = parsed?.v === VERSION ? parsed.p : undefined;
    if (typeof position !== 'string' || !isPosition(position)) {
        throw refuse('holds no valid position');
    }
    return position;
}

function seal(query: string, body: string): string {
    return createHash('sha256').update(`${query}\n${body}`, 'utf8').digest('base64url').slice(0, 22);
}

/** The SDK decodes its token with `JSON.parse` and sends both keys as query parameters; check both first. */
function isSdkPosition(sdkToken: string): boolean {
    return sdkPositionOf(sdkToken) !== undefined;
}

/** Where the Table service said the next page starts, from the SDK's token; undefined if it is not one. */
export function sdkPositionOf(sdkToken: string): SdkPosition | undefined {
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sdkToken)) return undefined;
    const position = parseObject(Buffer.from(sdkToken, 'base64').toString('latin1')) as Partial<SdkPosition> | undefined;
    if (position === undefined) return undefined;
    const keys = Object.keys(position);
    const valid =
        keys.every((key) => key === 'nextPartitionKey' || key === 'nextRowKey') &&
        typeof position.nextPartitionKey === 'string' &&
        POSITION_PATTERN.test(position.nextPartitionKey) &&
        (position.nextRowKey === undefined || (typeof position.nextRowKey === 'string' && POSITION_PATTERN.test(position.nextRowKey)));
    return valid ? (position as SdkPosition) : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
    try {
        const value: unknown = JSON.parse(text);
        return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}
