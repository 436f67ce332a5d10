// Continuation tokens: sealed to their query, refused when corrupted, forged or replayed elsewhere.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openContinuationToken, sealContinuationToken } from '../../shared/query/continuationToken';
import { BadRequestError } from '../../shared/errors';

const QUERY = "PartitionKey eq 'call-1' and RowKey ge 'event-' and RowKey lt 'event.'";
const OTHER_QUERY = "PartitionKey eq 'call-2' and RowKey ge 'event-' and RowKey lt 'event.'";

/** A token as @azure/data-tables 13 makes it: base64 JSON of the service's next keys. */
function sdkToken(position: Record<string, unknown>): string {
    return Buffer.from(JSON.stringify(position)).toString('base64');
}

const SDK_TOKEN = sdkToken({ nextPartitionKey: 'Y2FsbC0x', nextRowKey: 'ZXZlbnQtMDAwMDAwMDAwNg==' });

describe('continuation tokens', () => {
    test('a sealed token opens to the SDK token for the same query', () => {
        const token = sealContinuationToken(QUERY, SDK_TOKEN);

        assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, 'URL-safe as it is');
        assert.equal(openContinuationToken(QUERY, token), SDK_TOKEN);
    });

    test('a token of another query is refused', () => {
        const token = sealContinuationToken(QUERY, SDK_TOKEN);

        assert.throws(() => openContinuationToken(OTHER_QUERY, token), BadRequestError);
        assert.throws(() => openContinuationToken(`${QUERY} and callState eq 'terminated'`, token), BadRequestError);
    });

    test('any changed, cut or added character is refused', () => {
        const token = sealContinuationToken(QUERY, SDK_TOKEN);
        for (let i = 0; i < token.length; i++) {
            const changed = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
            assert.throws(() => openContinuationToken(QUERY, changed), BadRequestError, `changed at ${i}`);
        }
        assert.throws(() => openContinuationToken(QUERY, token.slice(0, -1)), BadRequestError);
        assert.throws(() => openContinuationToken(QUERY, `${token}A`), BadRequestError);
        assert.throws(() => openContinuationToken(QUERY, `A${token}`), BadRequestError);
    });

    test('a last character that decodes to the same bytes is refused as well', () => {
        // Bodies of every length modulo 3, so some token ends in a character with spare bits.
        for (const inner of [SDK_TOKEN, sdkToken({ nextPartitionKey: 'a' }), sdkToken({ nextPartitionKey: 'ab' })]) {
            const token = sealContinuationToken(QUERY, inner);
            const [body = '', check] = token.split('.');
            const last = body.at(-1) ?? '';
            const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
            for (const other of alphabet) {
                if (other === last) continue;
                assert.throws(() => openContinuationToken(QUERY, `${body.slice(0, -1)}${other}.${check}`), BadRequestError, `${last} -> ${other}`);
            }
        }
    });

    test('garbage of every shape is a 400, never an exception of another kind', () => {
        for (const garbage of ['', '.', 'abc', 'a.b.c', '%%%', 'eyJ2IjoxfQ', '{"v":1}', 'x'.repeat(5000), `${'A'.repeat(4095)}.A`]) {
            assert.throws(() => openContinuationToken(QUERY, garbage), BadRequestError, JSON.stringify(garbage.slice(0, 30)));
        }
    });

    test('a correctly sealed token with an invalid position inside is still refused', () => {
        for (const inner of [
            'not base64!',
            Buffer.from('not json').toString('base64'),
            sdkToken({}),
            sdkToken({ nextRowKey: 'ZXZlbnQt' }),
            sdkToken({ nextPartitionKey: 42 }),
            sdkToken({ nextPartitionKey: 'a b' }),
            sdkToken({ nextPartitionKey: 'abc', nextRowKey: 'line\nbreak' }),
            sdkToken({ nextPartitionKey: 'abc', $filter: "PartitionKey ne ''" }),
            sdkToken({ nextPartitionKey: 'x'.repeat(1025) }),
        ]) {
            assert.throws(() => openContinuationToken(QUERY, sealContinuationToken(QUERY, inner)), BadRequestError, inner);
        }
    });

    test('the refusal says what to do', () => {
        assert.throws(
            () => openContinuationToken(OTHER_QUERY, sealContinuationToken(QUERY, SDK_TOKEN)),
            (err: unknown) => err instanceof BadRequestError && err.status === 400 && /corrupted or belongs to a different query/.test(err.message),
        );
    });
});
