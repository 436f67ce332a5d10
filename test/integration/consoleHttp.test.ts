// GET /api/console and its assets through the local host: content types, caching, the Content-Security-
// Policy, compression as the browser asks for it, and the page naming only assets that exist.

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { CONSOLE_CONTENT_SECURITY_POLICY } from '../../shared/http/consoleAssets';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { appOpenApi, checkedFetch } from '../support/openApi';
import { testConnectionString, uniqueTableName } from '../support/storage';

/** The budget for everything the page loads, compressed. */
const ASSET_BUDGET_BYTES = 100_000;

interface RawAnswer {
    status: number;
    headers: http.IncomingHttpHeaders;
    bytes: Buffer;
}

/**
 * A GET as sent, without fetch's automatic decompression, so the encoded bytes can be checked; its status,
 * headers and content type are checked against the OpenAPI document like every answer of the app.
 */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
        http.get(url, { headers }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
                const answer = { status: response.statusCode ?? 0, headers: response.headers, bytes: Buffer.concat(chunks) };
                try {
                    appOpenApi().check({ method: 'GET', url, status: answer.status, headers: answer.headers, body: answer.bytes.toString('latin1') });
                    resolve(answer);
                } catch (err) {
                    reject(err);
                }
            });
            response.on('error', reject);
        }).on('error', reject);
    });
}

function assetPaths(html: string): string[] {
    return [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '').filter((value) => value.includes('/assets/'));
}

describe('operator console through the local host', () => {
    let host: HostProcess;

    before(async () => {
        host = await startHostProcess({
            env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: uniqueTableName('console'), CALLBACK_AUTH: 'disabled' },
        });
    });
    after(async () => {
        await host?.stop();
    });

    test('the page is HTML that is never cached, allows only its own origin, and keeps the function key out of itself', async () => {
        // act
        const response = await checkedFetch(`${host.baseUrl}/console?code=secret-function-key`);
        const html = await response.text();

        // assess
        assert.equal(response.status, 200);
        assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.equal(response.headers.get('cache-control'), 'no-cache');
        assert.equal(response.headers.get('content-security-policy'), CONSOLE_CONTENT_SECURITY_POLICY);
        assert.match(CONSOLE_CONTENT_SECURITY_POLICY, /default-src 'none'.*script-src 'self'.*connect-src 'self'/);
        assert.doesNotMatch(CONSOLE_CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval|https?:|\*/);
        assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
        assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
        assert.ok(!html.includes('secret-function-key'));
        assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
        assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
        assert.doesNotMatch(html, /https?:\/\//, 'nothing from elsewhere');
        assert.deepEqual(
            assetPaths(html).map((asset) => asset.replace(/\.[A-Z0-9]{8}\./, '.HASH.')),
            ['/api/console/assets/icon.HASH.svg', '/api/console/assets/style.HASH.css', '/api/console/assets/app.HASH.js'],
        );
    });

    test('every asset the page names answers with its type, a year of caching, and brotli or gzip as asked', async () => {
        // prepare
        const html = await (await checkedFetch(`${host.baseUrl}/console/`)).text();
        const origin = new URL(host.baseUrl).origin;
        const expectedType: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' };
        let compressedBytes = Buffer.byteLength(html);

        for (const asset of assetPaths(html)) {
            // act
            const plain = await rawGet(`${origin}${asset}`, { 'accept-encoding': 'identity' });
            const br = await rawGet(`${origin}${asset}`, { 'accept-encoding': 'gzip, deflate, br' });
            const gzip = await rawGet(`${origin}${asset}`, { 'accept-encoding': 'gzip;q=1, br;q=0.5' });
            const none = await rawGet(`${origin}${asset}`);

            // assess
            const extension = asset.split('.').pop() ?? '';
            for (const answer of [plain, br, gzip, none]) {
                assert.equal(answer.status, 200, asset);
                assert.equal(answer.headers['content-type'], expectedType[extension], asset);
                assert.equal(answer.headers['cache-control'], 'public, max-age=31536000, immutable');
                assert.equal(answer.headers['x-content-type-options'], 'nosniff');
                assert.equal(answer.headers.vary, 'Accept-Encoding');
            }
            assert.equal(plain.headers['content-encoding'], undefined);
            assert.equal(none.headers['content-encoding'], undefined);
            assert.equal(br.headers['content-encoding'], 'br');
            assert.equal(gzip.headers['content-encoding'], 'gzip');
            assert.deepEqual(brotliDecompressSync(br.bytes), plain.bytes);
            assert.deepEqual(gunzipSync(gzip.bytes), plain.bytes);
            assert.ok(br.bytes.length < plain.bytes.length || plain.bytes.length < 300, `${asset} is smaller compressed`);
            compressedBytes += br.bytes.length;
        }
        assert.ok(compressedBytes < ASSET_BUDGET_BYTES, `the page and its assets take ${compressedBytes} bytes compressed`);
    });

    test('an unknown asset is a 404 problem that is not cached; the assets need no function key', async () => {
        // act
        const response = await checkedFetch(`${host.baseUrl}/console/assets/app.OLDHASH1.js`);

        // assess
        const body = (await response.json()) as { status: number; detail: string };
        assert.equal(response.status, 404);
        assert.equal(response.headers.get('cache-control'), 'no-store');
        assert.equal(body.status, 404);
        assert.match(body.detail, /reload the console/);
    });
});
