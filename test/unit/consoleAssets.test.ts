// Which encoding the console's files go out in: the browser's q-values decide, brotli wins a tie.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { preferredEncoding } from '../../shared/http/consoleAssets';

describe('console assets: content encoding', () => {
    const cases: Array<[string | null, string]> = [
        ['gzip, deflate, br, zstd', 'br'],
        ['gzip, deflate, br', 'br'],
        ['br;q=0.5, gzip', 'gzip'],
        ['gzip', 'gzip'],
        ['deflate', 'identity'],
        ['identity', 'identity'],
        ['', 'identity'],
        [null, 'identity'],
        ['*', 'br'],
        ['br;q=0, gzip;q=0', 'identity'],
    ];
    for (const [header, expected] of cases) {
        test(`Accept-Encoding ${JSON.stringify(header)} gets ${expected}`, () => {
            assert.equal(preferredEncoding(header), expected);
        });
    }
});
