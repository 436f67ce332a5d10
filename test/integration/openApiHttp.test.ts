// GET /api/openapi.json through the local host, and real answers of every route checked against it:
// the statuses the document lists, their headers, content types and bodies.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openApiDocument } from '../../shared/http/openApi';
import { seedSequence, SEED_CALL_ID } from '../fixtures/notifications';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { OpenApiChecker } from '../support/openApi';
import { testConnectionString, uniqueTableName } from '../support/storage';

describe('OpenAPI description through the local host', () => {
    let host: HostProcess;
    let guarded: HostProcess;
    const openApi = new OpenApiChecker();
    const checked = openApi.checkingFetch();

    before(async () => {
        const storage = { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: uniqueTableName('openapi') };
        [host, guarded] = await Promise.all([
            startHostProcess({ env: { ...storage, CALLBACK_AUTH: 'disabled' } }),
            // Callback tokens checked: a POST without one is refused before any key is fetched.
            startHostProcess({ env: { ...storage, BOT_APP_ID: 'openapi-test-bot' } }),
        ]);
    });
    after(async () => {
        await Promise.all([host?.stop(), guarded?.stop()]);
    });

    const post = (base: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
        checked(`${base}/callback`, { method: 'POST', headers, body });

    test('GET /openapi.json answers the document, with the API root as this request reached it', async () => {
        // act
        const response = await checked(`${host.baseUrl}/openapi.json?code=some-key`);
        const document = (await response.json()) as { openapi: string; servers: Array<{ url: string }> };

        // assess
        assert.equal(response.status, 200);
        assert.equal(document.openapi, '3.1.0');
        assert.deepEqual(document.servers, [{ url: '/api' }]);
        assert.deepEqual(document, JSON.parse(JSON.stringify(openApiDocument('/api'))));
    });

    test('the callback: 202 with its summary, and 400, 401, 413 and 415 problems, as documented', async () => {
        // act
        const accepted = await Promise.all(seedSequence().map((body) => post(host.baseUrl, JSON.stringify(body))));
        const redelivered = await post(host.baseUrl, JSON.stringify(seedSequence()[0]));
        const notJson = await post(host.baseUrl, '{"value": [');
        const noValue = await post(host.baseUrl, '{}');
        const wrongType = await post(host.baseUrl, 'value=1', { 'content-type': 'application/x-www-form-urlencoded' });
        const tooLarge = await post(host.baseUrl, JSON.stringify({ value: [], padding: 'x'.repeat(1024 * 1024) }));
        const noToken = await post(guarded.baseUrl, JSON.stringify(seedSequence()[0]));

        // assess: the checking fetch has matched each against the document; the statuses are the documented ones
        assert.deepEqual(
            accepted.map((response) => response.status),
            [202, 202, 202],
        );
        assert.deepEqual(await redelivered.json(), { accepted: 0, duplicates: 1, rejected: 0 });
        assert.deepEqual([notJson.status, noValue.status, wrongType.status, tooLarge.status, noToken.status], [400, 400, 415, 413, 401]);
        assert.match(noToken.headers.get('www-authenticate') ?? '', /^Bearer/);
    });

    test('the read API: 200 pages and summaries, 400 and 404 problems, as documented', async () => {
        // prepare
        for (const body of seedSequence('OPENAPI-READ-CALL')) assert.equal((await post(host.baseUrl, JSON.stringify(body))).status, 202);

        // act
        const statuses = [];
        for (const path of [
            '/calls',
            '/calls?top=1',
            '/calls?state=Terminated&since=2020-01-01',
            `/calls/${SEED_CALL_ID}`,
            `/calls/${SEED_CALL_ID}/history`,
            `/calls/${SEED_CALL_ID}/history?top=1`,
            '/calls?top=0',
            '/calls?stat=terminated',
            '/calls?since=yesterday',
            '/calls/bad%20id',
            '/calls/bad%20id/history',
            '/calls/no-such-call',
            '/calls/no-such-call/history',
        ]) {
            statuses.push((await checked(`${host.baseUrl}${path}`)).status);
        }

        // assess
        assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 400, 400, 400, 400, 400, 404, 404]);
    });

    test('the hang-up refuses a bad call id with a documented 400 before Graph is asked, also on the rest of its catch-all route', async () => {
        // act: endCall's route is calls/{*callId}, so a raw slash or no id at all reaches it too (x-rest-of-path)
        const statuses = [];
        for (const path of ['/calls/bad..id%3F', '/calls/a/b', '/calls/', '/calls']) statuses.push((await checked(`${host.baseUrl}${path}`, { method: 'DELETE' })).status);

        // assess
        assert.deepEqual(statuses, [400, 400, 400, 400]);
    });

    test("the host's own 404 for a route no function has passes as that 404, and only as that", async () => {
        // act
        const unknown = await checked(`${host.baseUrl}/calls/a/b/c`);
        const otherMethod = await checked(`${host.baseUrl}/calls/some-call`, { method: 'PUT' });

        // assess
        assert.deepEqual([unknown.status, otherMethod.status], [404, 404]);
        assert.match(((await unknown.json()) as { detail: string }).detail, /^No function answers GET \/api\/calls\/a\/b\/c/);
    });

    test('an answer the document does not describe is caught, naming what differs', async () => {
        // prepare: what a drifted app would answer
        const base = { method: 'GET', url: `${host.baseUrl}/calls/x`, headers: { 'content-type': 'application/json' } };

        // act and assess
        assert.throws(() => openApi.check({ ...base, status: 418, body: '{}' }), /lists no 418/);
        assert.throws(
            () => openApi.check({ ...base, status: 200, body: JSON.stringify({ callId: 'x', deleted: false, eventCount: 1, duplicateCount: 0, extra: 1 }) }),
            /must NOT have additional properties/,
        );
        assert.throws(
            () => openApi.check({ ...base, status: 200, body: JSON.stringify({ callId: 'x', deleted: 'no', eventCount: 1, duplicateCount: 0 }) }),
            /deleted must be boolean/,
        );
        assert.throws(() => openApi.check({ ...base, status: 404, headers: { 'content-type': 'text/plain' }, body: 'nope' }), /Content-Type "text\/plain"/);
        assert.throws(
            () =>
                openApi.check({
                    ...base,
                    method: 'DELETE',
                    status: 503,
                    headers: { 'content-type': 'application/problem+json' },
                    body: JSON.stringify({ type: 'about:blank', title: 't', status: 503, detail: 'd' }),
                }),
            /Retry-After/,
        );
        assert.throws(() => openApi.check({ ...base, url: `${host.baseUrl}/nowhere`, status: 200, body: '' }), /no path of the OpenAPI document matches/);
        const hostMiss = { type: 'about:blank', title: 'Not found', status: 404, detail: 'No function answers GET /api/nowhere.' };
        assert.throws(
            () => openApi.check({ ...base, url: `${host.baseUrl}/nowhere`, status: 400, body: JSON.stringify({ ...hostMiss, status: 400 }) }),
            /no path of the OpenAPI document matches/,
        );
        assert.throws(
            () => openApi.check({ ...base, url: `${host.baseUrl}/nowhere`, status: 404, body: JSON.stringify({ ...hostMiss, detail: 'Nothing here.' }) }),
            /no path of the OpenAPI document matches/,
        );
        assert.throws(
            () => openApi.check({ ...base, method: 'DELETE', url: `${host.baseUrl}/calls/a/b`, status: 200, body: '' }),
            /DELETE \/calls\/\{callId\} answered 200: the OpenAPI document lists no 200/,
        );
        assert.throws(() => openApi.check({ ...base, method: 'GET', url: `${host.baseUrl}/calls/a/b`, status: 400, body: '{}' }), /no path of the OpenAPI document matches/);
    });
});
