// POST /api/callback through the local Functions host over real HTTP into real Azurite, with callback
// tokens signed by keys made here and served over HTTPS, reading the table back with @azure/data-tables.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { seedSequence, v1Notification } from '../fixtures/notifications';
import { hmacWithPublicKey, newSigningKey, startCallbackIssuer, unsignedToken, type CallbackIssuer } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { allRows, partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';

const BOT_APP_ID = '6a1f7a52-0d39-4d8c-9d5e-1c2f3b4a5d6e';
const TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';
const now = () => Math.floor(Date.now() / 1000);

describe('callNotifications: POST /api/callback', () => {
    let issuer: CallbackIssuer;
    let host: HostProcess;
    const tableName = uniqueTableName('callback');
    const table = testTableClient(tableName);

    before(async () => {
        issuer = await startCallbackIssuer();
        host = await startHostProcess({
            env: {
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: tableName,
                BOT_APP_ID,
                CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
                ALLOWED_TENANT_IDS: `${TENANT},dddddddd-4444-4444-8444-dddddddddddd`,
            },
        });
    });
    after(async () => {
        await host?.stop();
        await issuer?.stop();
    });

    async function token(claims: Record<string, unknown> = {}) {
        return issuer.sign({ aud: BOT_APP_ID, tid: TENANT, ...claims });
    }

    async function post(body: unknown, options: { token?: string | null; headers?: Record<string, string>; raw?: string | Buffer } = {}) {
        const bearer = options.token === undefined ? await token() : options.token;
        return checkedFetch(`${host.baseUrl}/callback`, {
            method: 'POST',
            headers: {
                'Content-Type': 'application/json; charset=utf-8',
                ...(bearer === null ? {} : { Authorization: `Bearer ${bearer}` }),
                ...options.headers,
            },
            body: options.raw ?? JSON.stringify(body),
        });
    }

    async function events(callId: string) {
        return (await partitionRows(table, callId)).filter((row) => String(row.rowKey).startsWith('event-'));
    }

    async function summary(callId: string) {
        return (await partitionRows(table, callId)).find((row) => row.rowKey === 'state');
    }

    test('the "Delete call" sequence gives three ordered events and a terminated, deleted summary', async () => {
        const callId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
        const answers = [];
        for (const body of seedSequence(callId)) {
            const response = await post(body, { headers: { 'X-Microsoft-Skype-Chain-ID': 'chain-1', 'Scenario-ID': 'scn-1', 'X-Microsoft-Skype-Message-ID': 'msg-1' } });
            answers.push([response.status, await response.json()]);
        }

        assert.deepEqual(answers, Array(3).fill([202, { accepted: 1, duplicates: 0, rejected: 0 }]));
        const history = await events(callId);
        assert.deepEqual(
            history.map((e) => e.rowKey),
            ['event-0000000001', 'event-0000000002', 'event-0000000003'],
        );
        assert.deepEqual(
            history.map((e) => [e.sequence, e.changeType, e.callState]),
            [
                [1, 'updated', 'terminating'],
                [2, 'updated', 'terminated'],
                [3, 'deleted', 'terminated'],
            ],
        );
        assert.deepEqual(
            history.map((e) => e.graphEtag),
            Array(3).fill('W/"5445"'),
        );
        assert.equal(history[1]!.terminationReason, 'AppInitiated');
        assert.equal(history[0]!.chainId, 'chain-1');
        assert.equal(history[0]!.scenarioId, 'scn-1');
        assert.equal(history[0]!.messageId, 'msg-1');
        assert.equal(history[0]!.tenantId, TENANT);
        const state = await summary(callId);
        assert.equal(state?.callState, 'terminated');
        assert.equal(state?.deleted, true);
        assert.equal(state?.eventCount, 3);
        assert.equal(state?.terminationReason, 'AppInitiated');
        assert.equal(state?.tenantId, TENANT);
    });

    test('the table matches the documented layout property by property', async () => {
        const callId = 'layout-call-1';
        const body = v1Notification(callId, 'deleted', 'terminated', { '@odata.etag': 'W/"7"', resultInfo: { code: 200, subcode: '7000', message: 'Ended by bot' } });
        assert.equal((await post(body, { headers: { 'X-Microsoft-Skype-Chain-ID': 'ch' } })).status, 202);

        const rows = await partitionRows(table, callId);
        const state = rows.find((r) => r.rowKey === 'state')!;
        const event = rows.find((r) => r.rowKey === 'event-0000000001')!;
        const markers = rows.filter((r) => String(r.rowKey).startsWith('dedupe-'));
        const own = (row: Record<string, unknown>) =>
            Object.keys(row)
                .filter((k) => !['etag', 'timestamp', 'odata.metadata', 'partitionKey', 'rowKey'].includes(k))
                .sort();

        assert.deepEqual(own(state), [
            'callChainId',
            'callState',
            'closedBy',
            'deleted',
            'duplicateCount',
            'eventCount',
            'firstEventAt',
            'graphEtag',
            'lastChangeType',
            'lastEventAt',
            'resultCode',
            'resultMessage',
            'resultSubcode',
            'tenantId',
        ]);
        assert.equal(state.partitionKey, callId);
        assert.equal(state.closedBy, 'graph', 'a call ended by its own notification was closed by Graph');
        assert.equal(typeof state.callState, 'string');
        assert.equal(state.deleted, true);
        assert.equal(state.resultCode, 200);
        assert.equal(state.resultSubcode, 7000);
        assert.equal(state.resultMessage, 'Ended by bot');
        assert.equal(state.graphEtag, 'W/"7"');
        assert.equal(state.lastChangeType, 'deleted');
        assert.equal(state.eventCount, 1);
        assert.equal(state.duplicateCount, 0);
        assert.ok(state.firstEventAt instanceof Date && state.lastEventAt instanceof Date);

        assert.deepEqual(own(event), [
            'callState',
            'chainId',
            'changeType',
            'dedupeKey',
            'graphEtag',
            'kind',
            'notification',
            'receivedAt',
            'resourceData',
            'resourceUrl',
            'resultCode',
            'resultMessage',
            'resultSubcode',
            'sequence',
            'tenantId',
        ]);
        assert.equal(event.kind, 'notification');
        assert.deepEqual(
            JSON.parse(String(event.notification)),
            { ...(body.value[0] as object), resourceData: null },
            'the rest of the notification, resourceData in its place as null',
        );
        assert.equal(event.resourceUrl, `/communications/calls/${callId}`);
        assert.match(String(event.dedupeKey), /^[0-9a-f]{64}$/);
        assert.ok(event.receivedAt instanceof Date);
        assert.deepEqual(JSON.parse(String(event.resourceData)), body.value[0] && (body.value[0] as { resourceData: unknown }).resourceData);
        assert.deepEqual(
            markers.map((m) => m.rowKey),
            [`dedupe-${String(event.dedupeKey).charAt(0)}`],
        );
        assert.deepEqual(own(markers[0]!), ['keys']);
        assert.match(String(markers[0]!.keys), new RegExp(`^${String(event.dedupeKey).slice(0, 32)}[0-9a-z]{8}$`));
    });

    test('the same POST delivered twice stores nothing new and counts a duplicate', async () => {
        const callId = 'redelivered-call';
        const body = v1Notification(callId, 'updated', 'established');

        const first = await post(body);
        const second = await post(body);

        assert.deepEqual(await first.json(), { accepted: 1, duplicates: 0, rejected: 0 });
        assert.deepEqual(await second.json(), { accepted: 0, duplicates: 1, rejected: 0 });
        assert.equal((await events(callId)).length, 1);
        assert.equal((await summary(callId))?.duplicateCount, 1);
    });

    test('terminated arriving before terminating leaves terminated', async () => {
        const callId = 'out-of-order-call';
        await post(v1Notification(callId, 'updated', 'terminated'));
        await post(v1Notification(callId, 'updated', 'terminating'));

        assert.equal((await summary(callId))?.callState, 'terminated');
        assert.deepEqual(
            (await events(callId)).map((e) => e.callState),
            ['terminated', 'terminating'],
        );
    });

    test('50 concurrent POSTs for one call give events 1..50 with no gap and no loss', async () => {
        const callId = 'busy-call';
        const bearer = await token();
        const responses = await Promise.all(Array.from({ length: 50 }, (_, n) => post(v1Notification(callId, 'updated', 'established', { n }), { token: bearer })));

        assert.deepEqual(
            responses.map((r) => r.status),
            Array(50).fill(202),
        );
        const history = await events(callId);
        assert.deepEqual(
            history.map((e) => e.sequence),
            Array.from({ length: 50 }, (_, i) => i + 1),
        );
        const numbers = history.map((e) => (JSON.parse(String(e.resourceData)) as { n: number }).n).sort((a, b) => a - b);
        assert.deepEqual(
            numbers,
            Array.from({ length: 50 }, (_, i) => i),
        );
        assert.equal((await summary(callId))?.eventCount, 50);
    });

    // Issue 9, "Why" 3: a value over the table's limits was answered 503 on every redelivery, for ever, and
    // failed the other POSTs that shared its transaction.
    test('oversized values (result message, sub-resource path, call state) are stored cut and flagged: 202, not 503', async () => {
        const callId = 'oversized-call';
        const bodies = [
            v1Notification(callId, 'updated', 'established', { resultInfo: { code: 500, subcode: 1, message: 'm'.repeat(70_000) } }),
            { value: [{ changeType: 'updated', resourceUrl: `/communications/calls/${callId}/operations/${'o'.repeat(40_000)}`, resourceData: { status: 'running' } }] },
            v1Notification(callId, 'updated', 's'.repeat(40_000)),
        ];

        const answers = [];
        for (const body of bodies) {
            const response = await post(body);
            answers.push([response.status, await response.json()]);
        }

        assert.deepEqual(answers, Array(3).fill([202, { accepted: 1, duplicates: 0, rejected: 0 }]));
        const history = await events(callId);
        assert.deepEqual(
            history.map((e) => String(e.truncatedFields).split(',').sort()),
            // The notification as sent (kept for the relay) holds the same 40,000-character path: cut too.
            [
                ['resourceData', 'resultMessage'],
                ['notification', 'resourceUrl'],
                ['callState', 'resourceData'],
            ],
        );
        const state = await summary(callId);
        assert.equal(state?.eventCount, 3);
        assert.equal(state?.resultMessage, history[0]!.resultMessage);
        assert.ok(String(state?.resultMessage).length < 32_768);
        // The read API answers the cut record as the OpenAPI document describes it (checkedFetch), flags and all.
        const read = (await (await checkedFetch(`${host.baseUrl}/calls/${callId}`)).json()) as { truncatedFields?: string[] };
        const page = (await (await checkedFetch(`${host.baseUrl}/calls/${callId}/history`)).json()) as {
            events: Array<{ truncatedFields?: string[]; resourceDataTruncated?: boolean }>;
        };
        assert.deepEqual(read.truncatedFields?.sort(), String(state?.truncatedFields).split(',').sort());
        assert.deepEqual(
            page.events.map((e) => [e.truncatedFields?.sort(), e.resourceDataTruncated]),
            [
                [['resourceData', 'resultMessage'], true],
                [['notification', 'resourceUrl'], undefined],
                [['callState', 'resourceData'], true],
            ],
        );
    });

    test('two concurrent POSTs for one call, one of them oversized: both 202, both stored', async () => {
        const callId = 'oversized-neighbour';
        const bearer = await token();
        const [small, big] = await Promise.all([
            post(v1Notification(callId, 'updated', 'established', { n: 1 }), { token: bearer }),
            post(v1Notification(callId, 'updated', 'established', { resultInfo: { message: 'x'.repeat(70_000) } }), { token: bearer }),
        ]);

        assert.deepEqual([small.status, big.status], [202, 202]);
        assert.equal((await events(callId)).length, 2);
    });

    test('one POST with notifications for three calls writes three partitions; an unattributable one goes to _unrouted', async () => {
        const calls = ['multi-1', 'multi-2', 'multi-3'];
        const body = {
            value: [
                ...calls.map((id) => v1Notification(id, 'created', 'establishing').value[0]),
                { changeType: 'updated', resourceUrl: '/communications/somethingElse/1', resourceData: {} },
            ],
        };

        const response = await post(body);

        assert.deepEqual(await response.json(), { accepted: 3, duplicates: 0, rejected: 1 });
        for (const id of calls) {
            assert.equal((await summary(id))?.callState, 'establishing', id);
        }
        const unrouted = await events('_unrouted');
        assert.ok(unrouted.some((e) => e.kind === 'rejected' && String(e.resourceData).includes('somethingElse')));
    });

    test('participants and operation notifications join the call history without changing its state', async () => {
        const callId = 'subresource-call';
        await post(v1Notification(callId, 'updated', 'established'));
        await post({ value: [{ changeType: 'updated', resourceUrl: `/communications/calls/${callId}/participants`, resourceData: [{ id: 'p1' }, { id: 'p2' }] }] });
        await post({ value: [{ changeType: 'deleted', resourceUrl: `/communications/calls/${callId}/operations/op-1`, resourceData: { status: 'completed' } }] });

        assert.deepEqual(
            (await events(callId)).map((e) => e.resourceUrl),
            [`/communications/calls/${callId}`, `/communications/calls/${callId}/participants`, `/communications/calls/${callId}/operations/op-1`],
        );
        const state = await summary(callId);
        assert.equal(state?.callState, 'established');
        assert.equal(state?.deleted, false);
    });

    test('malformed bodies get the right 4xx problem and write nothing', async () => {
        const malformedTable = uniqueTableName('malformed');
        const strict = await startHostProcess({
            env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: malformedTable, BOT_APP_ID, CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl },
        });
        try {
            const bearer = await token();
            const send = (raw: string | Buffer, contentType = 'application/json') =>
                checkedFetch(`${strict.baseUrl}/callback`, { method: 'POST', headers: { 'Content-Type': contentType, Authorization: `Bearer ${bearer}` }, body: raw });
            const cases: Array<[string, Promise<Response>, number]> = [
                ['not JSON', send('{"value": [ oops'), 400],
                ['no value', send('{"values": []}'), 400],
                ['value not an array', send('{"value": {"changeType": "updated"}}'), 400],
                ['a JSON string', send('"value"'), 400],
                ['invalid UTF-8', send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 400],
                ['2 MiB body', send(JSON.stringify({ value: [{ pad: 'x'.repeat(2 * 1024 * 1024) }] })), 413],
                ['wrong content type', send('value=1', 'application/x-www-form-urlencoded'), 415],
            ];
            for (const [name, pending, status] of cases) {
                const response = await pending;
                assert.equal(response.status, status, name);
                assert.equal(response.headers.get('content-type'), 'application/problem+json', name);
                const problem = (await response.json()) as { status: number; title: string; detail: string };
                assert.equal(problem.status, status, name);
                assert.ok(problem.title && problem.detail, name);
                assert.doesNotMatch(problem.detail, /\n\s+at /, name);
            }
            assert.deepEqual(await allRows(testTableClient(malformedTable)), []);
        } finally {
            await strict.stop();
        }
    });

    test('bad tokens are refused with 401 and store nothing', async () => {
        const authTable = uniqueTableName('authrefused');
        const guarded = await startHostProcess({
            env: {
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: authTable,
                BOT_APP_ID,
                CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
                ALLOWED_TENANT_IDS: TENANT,
            },
        });
        try {
            const stranger = await newSigningKey();
            const claims = { iss: 'https://api.botframework.com', aud: BOT_APP_ID, tid: TENANT };
            const tokens: Array<[string, string | null]> = [
                ['missing', null],
                ['wrong aud', await token({ aud: 'another-bot' })],
                ['wrong iss', await token({ iss: 'https://login.example.com' })],
                ['expired', await token({ exp: now() - 600 })],
                ['nbf beyond skew', await token({ nbf: now() + 600 })],
                ['alg none', unsignedToken(claims)],
                ['HS256 with the public key', hmacWithPublicKey(claims, issuer.key)],
                ['missing tid', await issuer.sign({ aud: BOT_APP_ID })],
                ['tenant not allowed', await token({ tid: 'eeeeeeee-5555-4555-8555-eeeeeeeeeeee' })],
            ];
            for (const [name, bearer] of tokens) {
                const response = await checkedFetch(`${guarded.baseUrl}/callback`, {
                    method: 'POST',
                    headers: { 'Content-Type': 'application/json', ...(bearer === null ? {} : { Authorization: `Bearer ${bearer}` }) },
                    body: JSON.stringify(v1Notification('auth-call', 'updated', 'established')),
                });
                assert.equal(response.status, 401, name);
                assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer/, name);
                assert.equal(response.headers.get('content-type'), 'application/problem+json', name);
            }
            // An unknown key is refused once keys fetched after the token arrived lack it (inside the refetch
            // cooldown, the verdict waits for its end).
            const unknownKid = await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: stranger });
            const refused = await checkedFetch(`${guarded.baseUrl}/callback`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${unknownKid}` },
                body: JSON.stringify(v1Notification('auth-call', 'updated', 'established')),
            });
            await refused.body?.cancel();
            assert.equal(refused.status, 401, 'unknown kid');
            assert.deepEqual(await allRows(testTableClient(authTable)), []);

            const accepted = await checkedFetch(`${guarded.baseUrl}/callback`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await token()}` },
                body: JSON.stringify(v1Notification('auth-call', 'updated', 'established')),
            });
            assert.equal(accepted.status, 202);
        } finally {
            await guarded.stop();
        }
    });

    test('a rotated signing key is accepted without restarting the app', async () => {
        const callId = 'rotation-call';
        assert.equal((await post(v1Notification(callId, 'updated', 'establishing'))).status, 202);
        await issuer.rotate();

        // act, assess: the new key id makes the app fetch the keys again (after the refetch cooldown, if the
        // last fetch was less than a second ago), and the notification is stored
        assert.equal((await post(v1Notification(callId, 'updated', 'established'))).status, 202);
        assert.equal((await summary(callId))?.callState, 'established');
    });

    test('storage unreachable gives 503 with Retry-After', async () => {
        const down = await startHostProcess({
            env: {
                CallHistoryStorage:
                    'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;',
                BOT_APP_ID,
                CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
            },
        });
        try {
            const response = await checkedFetch(`${down.baseUrl}/callback`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await token()}` },
                body: JSON.stringify(v1Notification('lost-call', 'updated', 'established')),
            });
            assert.equal(response.status, 503);
            assert.ok(Number(response.headers.get('retry-after')) >= 1);
            const problem = (await response.json()) as { detail: string };
            assert.match(problem.detail, /storage/i);
        } finally {
            await down.stop();
        }
    });
});
