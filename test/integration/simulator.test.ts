// The call simulator over real HTTPS: Entra for the real @azure/identity credential, Graph's calls API with its
// notifications and signed callbacks, faults and scripts, the control API, the TLS material and the process.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { freePort } from '../../dev/ports';
import { SIMULATOR_DEFAULTS, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { loadOrCreateTls } from '../../dev/tls';
import {
    graphToken,
    receivedStates,
    simulatorRequest,
    startCallbackReceiver,
    tokenRequest,
    verifyWithOpenIdConfiguration,
    type CallbackReceiver,
} from '../support/simulatorClient';
import type { TokenClientResult } from '../support/simulatorTokenClient';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CALLBACK_ISSUER = 'https://api.botframework.com';

const workDir = mkdtempSync(path.join(tmpdir(), 'simulator-test-'));
let sim: RunningSimulator;
let receiver: CallbackReceiver;
let token: string;

before(async () => {
    sim = await startSimulator({ port: 0, tls: loadOrCreateTls(path.join(workDir, 'tls')) });
    receiver = await startCallbackReceiver();
    token = await graphToken(sim);
});

beforeEach(() => {
    sim.reset();
    receiver.clear();
    receiver.status = 202;
});

after(async () => {
    await receiver.close();
    await sim.stop();
    rmSync(workDir, { recursive: true, force: true });
});

function graph(method: string, callPath: string, options: { token?: string | null; body?: object; clientRequestId?: string } = {}) {
    const bearer = options.token === undefined ? token : options.token;
    return simulatorRequest(sim, method, `/v1.0${callPath}`, {
        headers: {
            ...(bearer !== null ? { authorization: `Bearer ${bearer}` } : {}),
            ...(options.clientRequestId ? { 'client-request-id': options.clientRequestId } : {}),
        },
        ...(options.body ? { body: options.body } : {}),
    });
}

function createCallBody(callbackUri: string): object {
    return {
        '@odata.type': '#microsoft.graph.call',
        callbackUri,
        targets: [
            {
                '@odata.type': '#microsoft.graph.invitationParticipantInfo',
                identity: {
                    '@odata.type': '#microsoft.graph.identitySet',
                    user: { '@odata.type': '#microsoft.graph.identity', displayName: 'John', id: '112f7296-5fa4-42ca-bae8-6a692b15d4b8' },
                },
            },
        ],
        requestedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
        tenantId: sim.tenantId,
    };
}

/** Runs the real credential (and pipeline) in a child process that trusts the simulator's CA from its start. */
async function runTokenClient(env: Record<string, string>): Promise<TokenClientResult> {
    assert.ok(sim.caCertPath, 'the test simulator keeps its CA on disk');
    const script = path.join(__dirname, '..', 'support', 'simulatorTokenClient.js');
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
        env: {
            ...process.env,
            NODE_EXTRA_CA_CERTS: sim.caCertPath,
            SIM_TENANT_ID: sim.tenantId,
            SIM_CLIENT_ID: sim.clientId,
            SIM_CLIENT_SECRET: sim.clientSecret,
            SIM_AUTHORITY_HOST: sim.authorityHost,
            ...env,
        },
        timeout: 60_000,
    });
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as TokenClientResult;
}

describe('Entra stand-in', () => {
    it('serves the real ClientSecretCredential: a verifiable Graph token, and one token request for 20 getToken calls', async () => {
        // act
        const result = await runTokenClient({ SIM_GET_TOKEN_CALLS: '20' });

        // assess
        assert.equal(result.ok, true, result.errorMessage);
        assert.equal(result.distinctTokens, 1);
        assert.equal(sim.stats().tokenRequests, 1);
        const claims = await verifyWithOpenIdConfiguration(sim, sim.tenantOpenIdConfigurationUrl, result.token ?? '', {
            issuer: `https://sts.windows.net/${sim.tenantId}/`,
            audience: 'https://graph.microsoft.com',
        });
        assert.equal(claims.tid, sim.tenantId);
        assert.equal(claims.appid, sim.clientId);
        assert.ok(Array.isArray(claims.roles) && claims.roles.includes('Calls.Initiate.All'));
        assert.ok(Math.abs((claims.exp ?? 0) - (claims.iat ?? 0) - 3600) <= 1, 'the token lives one hour');
        assert.ok(Math.abs((result.expiresOnTimestamp ?? 0) - (claims.exp ?? 0) * 1000) <= 2000, 'MSAL read expires_in');
    });

    it('lets the real pipeline hang up a call with a token from the real credential', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });

        // act
        const result = await runTokenClient({ SIM_GET_TOKEN_CALLS: '0', SIM_DELETE_URL: `${sim.graphBaseUrl}/communications/calls/${call.id}` });
        await sim.settled();

        // assess
        assert.equal(result.ok, true, result.errorMessage);
        assert.equal(result.deleteStatus, 204);
        const [request] = sim.stats().calls[call.id]?.graphRequests ?? [];
        assert.equal(request?.authorization, 'valid');
        assert.equal(request?.requestId, result.deleteRequestId);
        assert.deepEqual(receivedStates(receiver), ['terminating', 'terminated']);
    });

    it('refuses a wrong client secret, in the real credential and at the token endpoint', async () => {
        // act
        const result = await runTokenClient({ SIM_CLIENT_SECRET: 'not-the-secret' });
        const direct = await tokenRequest(sim, { client_secret: 'not-the-secret' });

        // assess
        assert.equal(result.ok, false);
        assert.match(result.errorMessage ?? '', /AADSTS7000215/);
        assert.equal(direct.status, 401);
        const body = direct.json as Record<string, unknown>;
        assert.equal(body.error, 'invalid_client');
        assert.deepEqual(body.error_codes, [7000215]);
        assert.match(String(body.error_description), /^AADSTS7000215: .*\r\nTrace ID: .*\r\nCorrelation ID: .*\r\nTimestamp: /s);
        assert.equal(sim.stats().tokensIssued, 0);
        assert.equal(sim.stats().tokenRequests, 2);
    });

    it('refuses other bad grants with Entra error codes', async () => {
        // act
        const answers = {
            clientId: await tokenRequest(sim, { client_id: '99999999-9999-4999-8999-999999999999' }),
            noSecret: await tokenRequest(sim, { client_secret: undefined }),
            scope: await tokenRequest(sim, { scope: 'https://graph.microsoft.com/Calls.Initiate.All' }),
            resource: await tokenRequest(sim, { scope: 'https://storage.azure.com/.default' }),
            grant: await tokenRequest(sim, { grant_type: 'password' }),
            tenant: await tokenRequest(sim, {}, '99999999-9999-4999-8999-999999999999'),
        };

        // assess
        const summary = Object.fromEntries(
            Object.entries(answers).map(([name, answer]) => {
                const body = answer.json as { error: string; error_codes: number[] };
                return [name, [answer.status, body.error, body.error_codes[0]]];
            }),
        );
        assert.deepEqual(summary, {
            clientId: [400, 'unauthorized_client', 700016],
            noSecret: [401, 'invalid_client', 7000218],
            scope: [400, 'invalid_scope', 1002012],
            resource: [400, 'invalid_resource', 500011],
            grant: [400, 'unsupported_grant_type', 70003],
            tenant: [400, 'invalid_request', 90002],
        });
        assert.equal(sim.stats().tokensIssued, 0);
    });
});

describe('Graph calls API', () => {
    it('creates a call and hangs it up, each followed by its notifications, signed for the bot', async () => {
        // act
        const created = await graph('POST', '/communications/calls', { body: createCallBody(receiver.url), clientRequestId: 'create-1' });
        await sim.settled();
        const afterCreate = receivedStates(receiver);
        const callId = (created.json as { id: string }).id;
        const deleted = await graph('DELETE', `/communications/calls/${callId}`, { clientRequestId: 'hangup-1' });
        await sim.settled();

        // assess
        assert.equal(created.status, 201);
        assert.match(callId, GUID);
        assert.equal(created.headers.location, `${sim.graphBaseUrl}/communications/calls/${callId}`);
        assert.equal(created.headers['client-request-id'], 'create-1');
        assert.match(String(created.headers['request-id']), GUID);
        assert.equal((created.json as { state: string }).state, 'establishing');
        assert.deepEqual(afterCreate, ['establishing', 'established']);
        assert.equal(deleted.status, 204);
        assert.equal(deleted.text, '');
        assert.equal(deleted.headers['client-request-id'], 'hangup-1');
        assert.deepEqual(receivedStates(receiver), ['establishing', 'established', 'terminating', 'terminated']);
        const terminated = receiver.received[3];
        assert.deepEqual(terminated?.body, {
            '@odata.type': '#microsoft.graph.commsNotifications',
            value: [
                {
                    '@odata.type': '#microsoft.graph.commsNotification',
                    changeType: 'deleted',
                    resourceUrl: `/communications/calls/${callId}`,
                    resourceData: {
                        '@odata.type': '#microsoft.graph.call',
                        '@odata.id': `/communications/calls/${callId}`,
                        '@odata.etag': 'W/"4"',
                        id: callId,
                        state: 'terminated',
                        direction: 'outgoing',
                        callChainId: terminated?.headers['x-microsoft-skype-chain-id'],
                        resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', code: 200, subcode: 7000, message: 'The conversation has ended by bot.' },
                    },
                },
            ],
        });
        assert.deepEqual(
            receiver.received.map(({ body }) => body.value[0]?.changeType),
            ['updated', 'updated', 'updated', 'deleted'],
        );
        for (const callback of receiver.received) {
            assert.equal(callback.headers['content-type'], 'application/json');
            assert.match(String(callback.headers['x-microsoft-skype-chain-id']), GUID);
            assert.match(String(callback.headers['x-microsoft-skype-message-id']), GUID);
            assert.match(String(callback.headers['scenario-id']), GUID);
            const claims = await verifyWithOpenIdConfiguration(sim, sim.callbackOpenIdConfigurationUrl, callback.token, {
                issuer: CALLBACK_ISSUER,
                audience: sim.botAppId,
            });
            assert.equal(claims.tid, sim.tenantId);
            assert.ok((claims.exp ?? 0) > Date.now() / 1000 && (claims.nbf ?? Infinity) <= Date.now() / 1000 + 1);
        }
        const stats = sim.stats().calls[callId];
        assert.equal(stats?.state, 'terminated');
        assert.deepEqual(
            stats?.deliveries.map((delivery) => delivery.status),
            [202, 202, 202, 202],
        );
        assert.deepEqual(
            stats?.graphRequests.map(({ method, authorization, clientRequestId, status }) => [method, authorization, clientRequestId, status]),
            [['DELETE', 'valid', 'hangup-1', 204]],
        );
    });

    it('answers 401 with a Graph error body when the bearer token is missing or not its own', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });

        // act
        const missing = await graph('DELETE', `/communications/calls/${call.id}`, { token: null });
        const forged = await graph('DELETE', `/communications/calls/${call.id}`, { token: forgedGraphToken() });

        // assess
        for (const answer of [missing, forged]) {
            assert.equal(answer.status, 401);
            assert.equal((answer.json as { error: { code: string } }).error.code, 'InvalidAuthenticationToken');
            assert.match(String(answer.headers['www-authenticate']), /^Bearer /);
        }
        assert.deepEqual(
            sim.stats().calls[call.id]?.graphRequests.map((request) => request.authorization),
            ['missing', 'invalid'],
        );
        assert.equal(sim.stats().calls[call.id]?.state, 'establishing', 'a refused hang-up leaves the call alone');
    });

    it('answers an unknown call id with 404 and the Graph error body', async () => {
        // act
        const answer = await graph('DELETE', '/communications/calls/no-such-call', { clientRequestId: 'lookup-42' });

        // assess
        assert.equal(answer.status, 404);
        const requestId = String(answer.headers['request-id']);
        assert.match(requestId, GUID);
        assert.equal(answer.headers['client-request-id'], 'lookup-42');
        const body = answer.json as { error: { innerError: { date: string } } };
        assert.match(body.error.innerError.date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
        assert.deepEqual(body, {
            error: { code: '9997', message: 'Call not found.', innerError: { 'request-id': requestId, date: body.error.innerError.date, 'client-request-id': 'lookup-42' } },
        });
    });

    it("plays a call id's scripted answers in order, the last one repeating", async () => {
        // prepare
        const callId = 'scripted-call-1';
        sim.script(callId, [{ status: 429, retryAfterSeconds: 1 }, { reset: true }, { delayMs: 300, status: 204 }, { status: 403 }, { status: 404 }, { status: 503 }]);
        const hangUp = () => graph('DELETE', `/communications/calls/${callId}`, { clientRequestId: 'scripted' });

        // act
        const throttled = await hangUp();
        const reset = await hangUp().then(
            () => undefined,
            (err: NodeJS.ErrnoException) => err,
        );
        const slow = await hangUp();
        const forbidden = await hangUp();
        const notFound = await hangUp();
        const unavailable = [await hangUp(), await hangUp()];

        // assess
        assert.equal(throttled.status, 429);
        assert.equal(throttled.headers['retry-after'], '1');
        assert.equal((throttled.json as { error: { code: string } }).error.code, 'TooManyRequests');
        assert.equal(reset?.code, 'ECONNRESET');
        assert.equal(slow.status, 204);
        assert.ok(slow.elapsedMs >= 290, `the slow answer took ${slow.elapsedMs} ms`);
        assert.equal(forbidden.status, 403);
        assert.equal((forbidden.json as { error: { code: string } }).error.code, '7503');
        assert.equal(notFound.status, 404);
        assert.equal((notFound.json as { error: { code: string } }).error.code, '9997');
        assert.deepEqual(
            unavailable.map((answer) => answer.status),
            [503, 503],
        );
        assert.deepEqual(
            sim.stats().calls[callId]?.graphRequests.map((request) => request.status),
            [429, 'reset', 204, 403, 404, 503, 503],
        );
    });

    it('sends the hang-up notifications when a script lets the DELETE of a known call succeed', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });
        sim.script(call.id, [{ status: 503 }, { status: 204 }]);

        // act
        const first = await graph('DELETE', `/communications/calls/${call.id}`);
        await sim.settled();
        const afterFirst = receiver.received.length;
        const second = await graph('DELETE', `/communications/calls/${call.id}`);
        await sim.settled();

        // assess
        assert.deepEqual([first.status, second.status], [503, 204]);
        assert.equal(afterFirst, 0);
        assert.deepEqual(receivedStates(receiver), ['terminating', 'terminated']);
    });

    it('fails Graph requests on demand: 429 with Retry-After for the next ones, 503 until cleared', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });
        sim.setFaults({ throttle: { count: 2, retryAfterSeconds: 3 } });
        const get = () => graph('GET', `/communications/calls/${call.id}`);

        // act
        const throttled = [await get(), await get()];
        const recovered = await get();
        sim.setFaults({ unavailable: {} });
        const unavailable = [await get(), await get(), await get()];
        sim.clearFaults();
        const cleared = await get();

        // assess
        assert.deepEqual(
            throttled.map((answer) => [answer.status, answer.headers['retry-after']]),
            [
                [429, '3'],
                [429, '3'],
            ],
        );
        assert.equal(recovered.status, 200);
        assert.equal((recovered.json as { id: string }).id, call.id);
        assert.deepEqual(
            unavailable.map((answer) => answer.status),
            [503, 503, 503],
        );
        assert.equal((unavailable[0]!.json as { error: { code: string } }).error.code, 'serviceNotAvailable');
        assert.equal(cleared.status, 200);
    });
});

describe('Graph calls API: reading a call', () => {
    type CallResource = { '@odata.type': string; '@odata.context': string; id: string; state: string; direction: string; callChainId: string };

    it('answers GET on a live call with 200 and its call resource, in every path form, and 404 once it has ended', async () => {
        // prepare
        const created = await graph('POST', '/communications/calls', { body: createCallBody(receiver.url) });
        const callId = (created.json as { id: string }).id;
        await sim.settled();
        const authorization = { authorization: `Bearer ${token}` };

        // act
        const live = await graph('GET', `/communications/calls/${callId}`, { clientRequestId: 'read-1' });
        const beta = await simulatorRequest(sim, 'GET', `/beta/app/calls/${callId}`, { headers: authorization });
        const byApplication = await simulatorRequest(sim, 'GET', `/beta/applications/${sim.clientId}/calls/${callId}`, { headers: authorization });
        const hangUp = await graph('DELETE', `/communications/calls/${callId}`);
        const ended = await graph('GET', `/communications/calls/${callId}`, { clientRequestId: 'read-2' });
        const endedBeta = await simulatorRequest(sim, 'GET', `/beta/app/calls/${callId}`, { headers: authorization });

        // assess
        assert.equal(live.status, 200);
        assert.equal(live.headers['client-request-id'], 'read-1');
        const resource = live.json as CallResource;
        assert.equal(resource['@odata.type'], '#microsoft.graph.call');
        assert.equal(resource['@odata.context'], `${sim.graphBaseUrl}/$metadata#communications/calls/$entity`);
        assert.deepEqual([resource.id, resource.state, resource.direction], [callId, 'established', 'outgoing']);
        assert.match(resource.callChainId, GUID);
        assert.deepEqual(
            Object.keys(resource).filter((key) =>
                ['callbackUri', 'source', 'targets', 'requestedModalities', 'mediaConfig', 'myParticipantId', 'tenantId', 'resultInfo'].includes(key),
            ).length,
            8,
            "the properties of Graph's call resource",
        );
        for (const other of [beta, byApplication]) {
            assert.equal(other.status, 200);
            assert.equal((other.json as CallResource).state, 'established');
            assert.match((other.json as CallResource)['@odata.context'], /\/beta\/\$metadata#communications\/calls\/\$entity$/);
        }
        assert.equal(hangUp.status, 204);
        for (const gone of [ended, endedBeta]) {
            assert.equal(gone.status, 404);
            assert.deepEqual((gone.json as { error: { code: string; message: string } }).error.code, '9997');
        }
        assert.equal(ended.headers['client-request-id'], 'read-2');
        assert.deepEqual(
            sim.stats().calls[callId]?.graphRequests.map(({ method, status }) => [method, status]),
            [
                ['GET', 200],
                ['GET', 200],
                ['GET', 200],
                ['DELETE', 204],
                ['GET', 404],
                ['GET', 404],
            ],
        );
    });

    it("answers GET on an unknown call with 404 and Graph's error body", async () => {
        const answer = await graph('GET', '/communications/calls/never-was');
        assert.equal(answer.status, 404);
        assert.deepEqual((answer.json as { error: { code: string; message: string } }).error.code, '9997');
    });
});

describe("dropping a call's last notifications", () => {
    it('drops the end of a call created through the control API: the app hears it established, Graph says 404', async () => {
        // prepare
        const created = await simulatorRequest(sim, 'POST', '/_control/calls', { body: { callbackUri: receiver.url, dropLastNotifications: 2 } });
        const callId = (created.json as { id: string }).id;
        await sim.settled();

        // act
        const hangUp = await graph('DELETE', `/communications/calls/${callId}`);
        await sim.settled();
        const read = await graph('GET', `/communications/calls/${callId}`);

        // assess
        assert.equal(created.status, 201);
        assert.equal(hangUp.status, 204);
        assert.deepEqual(receivedStates(receiver), ['establishing', 'established'], 'the end never arrives');
        assert.equal(read.status, 404, 'while Graph has forgotten the call');
        const deliveries = sim.stats().calls[callId]?.deliveries ?? [];
        assert.deepEqual(
            deliveries.map(({ state, status, dropped }) => [state, status, dropped ?? false]),
            [
                ['establishing', 202, false],
                ['established', 202, false],
                ['terminating', null, true],
                ['terminated', null, true],
            ],
        );
    });

    it('drops only the last one when told so later, through the programmatic API or the control API', async () => {
        // prepare
        const first = sim.createCall({ callbackUri: receiver.url });
        const second = sim.createCall({ callbackUri: receiver.url });
        await sim.settled();
        receiver.clear();

        // act
        sim.dropLastNotifications(first.id, 1);
        const told = await simulatorRequest(sim, 'PUT', `/_control/drops/${second.id}`, { body: { last: 1 } });
        await graph('DELETE', `/communications/calls/${first.id}`);
        await graph('DELETE', `/communications/calls/${second.id}`);
        await sim.settled();

        // assess
        assert.equal(told.status, 204);
        assert.deepEqual(receivedStates(receiver), ['terminating', 'terminating'], 'terminating arrives, terminated does not');
    });

    it('refuses a count other than 0-2 and an unknown call', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });

        // act
        const tooMany = await simulatorRequest(sim, 'PUT', `/_control/drops/${call.id}`, { body: { last: 3 } });
        const unknown = await simulatorRequest(sim, 'PUT', '/_control/drops/no-such-call', { body: { last: 1 } });
        const badCreate = await simulatorRequest(sim, 'POST', '/_control/calls', { body: { callbackUri: receiver.url, dropLastNotifications: 'all' } });

        // assess
        assert.equal(tooMany.status, 400);
        assert.match((tooMany.json as { error: string }).error, /last must be 0, 1 or 2/);
        assert.equal(unknown.status, 404);
        assert.equal(badCreate.status, 400);
        assert.throws(() => sim.dropLastNotifications('no-such-call', 1), /no call no-such-call/);
    });
});

describe('callback faults', () => {
    it('duplicate: delivers every notification twice, as the same message', async () => {
        // prepare
        sim.setFaults({ duplicate: true });

        // act
        sim.createCall({ callbackUri: receiver.url });
        await sim.settled();

        // assess
        assert.deepEqual(receivedStates(receiver), ['establishing', 'establishing', 'established', 'established']);
        const [first, second] = receiver.received;
        assert.deepEqual(first?.body, second?.body);
        assert.equal(first?.headers['x-microsoft-skype-message-id'], second?.headers['x-microsoft-skype-message-id']);
    });

    it('reverse: sends the notifications of one hang-up last first', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: receiver.url, notify: false });
        sim.setFaults({ reverse: true });

        // act
        const answer = await graph('DELETE', `/communications/calls/${call.id}`);
        await sim.settled();

        // assess
        assert.equal(answer.status, 204);
        assert.deepEqual(receivedStates(receiver), ['terminated', 'terminating']);
        assert.deepEqual(
            receiver.received.map(({ body }) => body.value[0]?.changeType),
            ['deleted', 'updated'],
        );
    });

    it('signWithWrongKey: signs callback tokens with a key the JWKS does not publish', async () => {
        // prepare
        const jwks = (await simulatorRequest(sim, 'GET', sim.callbackJwksUrl)).json as { keys: { kid: string }[] };
        sim.createCall({ callbackUri: receiver.url, notify: true });
        await sim.settled();
        const honest = receiver.received[0]?.token ?? '';
        receiver.clear();
        sim.setFaults({ signWithWrongKey: true });

        // act
        sim.createCall({ callbackUri: receiver.url });
        await sim.settled();
        const forged = receiver.received[0]?.token ?? '';

        // assess
        const published = jwks.keys.map((key) => key.kid);
        assert.ok(published.includes(String(decodeProtectedHeader(honest).kid)));
        assert.ok(!published.includes(String(decodeProtectedHeader(forged).kid)));
        const expected = { issuer: CALLBACK_ISSUER, audience: sim.botAppId };
        await verifyWithOpenIdConfiguration(sim, sim.callbackOpenIdConfigurationUrl, honest, expected);
        await assert.rejects(verifyWithOpenIdConfiguration(sim, sim.callbackOpenIdConfigurationUrl, forged, expected), joseErrors.JWKSNoMatchingKey);
    });

    it('delayMs: holds each callback back', async () => {
        // prepare
        sim.setFaults({ delayMs: 150 });
        const started = Date.now();

        // act
        sim.createCall({ callbackUri: receiver.url });
        await sim.settled();

        // assess
        assert.equal(receiver.received.length, 2);
        assert.ok(Date.now() - started >= 290, `two delayed callbacks took ${Date.now() - started} ms`);
    });

    it("records the app's answer to each callback, and an unreachable callback without stopping", async () => {
        // prepare
        receiver.status = 401;
        const closedPort = await freePort();

        // act
        const refused = sim.createCall({ callbackUri: receiver.url });
        const unreachable = sim.createCall({ callbackUri: `http://127.0.0.1:${closedPort}/api/callback` });
        await sim.settled();
        const info = await simulatorRequest(sim, 'GET', '/_control/info');

        // assess
        const stats = sim.stats();
        assert.deepEqual(
            stats.calls[refused.id]?.deliveries.map((delivery) => delivery.status),
            [401, 401],
        );
        const failed = stats.calls[unreachable.id]?.deliveries ?? [];
        assert.deepEqual(
            failed.map((delivery) => delivery.status),
            [null, null],
        );
        assert.match(failed[0]?.error ?? '', /ECONNREFUSED/);
        assert.equal(info.status, 200);
    });
});

describe('an incoming call: it rings, the bot answers it or Graph ends it', () => {
    /** A simulator of its own, whose incoming calls ring 400 ms instead of Graph's 15 s. */
    let ringing: RunningSimulator;
    let bot: CallbackReceiver;
    let ringingToken: string;

    before(async () => {
        ringing = await startSimulator({ port: 0, tls: loadOrCreateTls(path.join(workDir, 'tls')), ringTimeoutMs: 400 });
        bot = await startCallbackReceiver();
        ringingToken = await graphToken(ringing);
    });
    beforeEach(() => bot.clear());
    after(async () => {
        await bot.close();
        await ringing.stop();
    });

    const answerBody = (callbackUri: string) => ({
        callbackUri,
        acceptedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
    });

    function answerCall(callId: string, body: object) {
        return simulatorRequest(ringing, 'POST', `/v1.0/communications/calls/${callId}/answer`, { headers: { authorization: `Bearer ${ringingToken}` }, body });
    }

    it("rings with a created notification carrying the call object; answered in time, it connects and notifies the answer's callbackUri", async () => {
        // prepare
        const other = await startCallbackReceiver();
        try {
            const call = ringing.createCall({ callbackUri: bot.url, direction: 'incoming' });
            await ringing.settled();
            const ringingNotification = bot.received[0]?.body.value[0];

            // act
            const answered = await answerCall(call.id, answerBody(other.url));
            await ringing.settled();

            // assess
            assert.equal(ringingNotification?.changeType, 'created');
            const data = ringingNotification?.resourceData as Record<string, unknown>;
            assert.equal(data.state, 'incoming');
            assert.equal(data.direction, 'incoming');
            assert.equal((data.source as { identity: { user: { displayName: string } } }).identity.user.displayName, 'Caller (simulated)');
            assert.equal(data.callbackUri, bot.url);
            assert.equal(answered.status, 202);
            assert.equal(answered.text, '');
            assert.deepEqual(receivedStates(other), ['establishing', 'established']);
            await new Promise((resolve) => setTimeout(resolve, 600));
            assert.deepEqual(receivedStates(bot), ['incoming'], 'an answered call is not ended by the ring timeout');
        } finally {
            await other.close();
        }
    });

    it('not answered within the ring timeout, Graph ends it: deleted, terminated, not answered; a late answer is a 404', async () => {
        // prepare
        const call = ringing.createCall({ callbackUri: bot.url, direction: 'incoming' });

        // act
        const deadline = Date.now() + 5000;
        while (receivedStates(bot).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        const late = await answerCall(call.id, answerBody(bot.url));

        // assess
        assert.deepEqual(receivedStates(bot), ['incoming', 'terminated']);
        const ended = bot.received[1]?.body.value[0];
        assert.ok(ended !== undefined);
        assert.equal(ended.changeType, 'deleted');
        assert.deepEqual((ended.resourceData as { resultInfo: unknown }).resultInfo, {
            '@odata.type': '#microsoft.graph.resultInfo',
            code: 408,
            subcode: 0,
            message: 'The call was not answered within the ring timeout.',
        });
        assert.equal(late.status, 404);
    });

    it("a call's own ring timeout (POST /_control/calls ringTimeoutMs) ends it unanswered where the simulator's would ring 15 s", async () => {
        // prepare: the shared simulator rings Graph's 15 s; this call rings 50 ms
        const created = await simulatorRequest(sim, 'POST', '/_control/calls', { body: { callbackUri: bot.url, direction: 'incoming', ringTimeoutMs: 50 } });
        const callId = (created.json as { id: string }).id;

        // act: wait for Graph's end of it, far less than the 15 s the simulator's own timeout would take
        const deadline = Date.now() + 10_000;
        while (receivedStates(bot).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        const invalid = await simulatorRequest(sim, 'POST', '/_control/calls', { body: { callbackUri: bot.url, direction: 'incoming', ringTimeoutMs: 0 } });

        // assess
        assert.equal(created.status, 201);
        assert.deepEqual(receivedStates(bot), ['incoming', 'terminated']);
        assert.equal(sim.stats().calls[callId]?.state, 'terminated');
        assert.equal(invalid.status, 400);
        assert.match((invalid.json as { error: string }).error, /ringTimeoutMs/);
    });

    it('refuses an answer Graph would refuse: a call not ringing, or a body without mediaConfig or modalities', async () => {
        // prepare
        const outgoing = ringing.createCall({ callbackUri: bot.url, notify: false });
        const incoming = ringing.createCall({ callbackUri: bot.url, direction: 'incoming' });

        // act
        const notRinging = await answerCall(outgoing.id, answerBody(bot.url));
        const noMedia = await answerCall(incoming.id, { callbackUri: bot.url, acceptedModalities: ['audio'] });
        const noModalities = await answerCall(incoming.id, { callbackUri: bot.url, mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } });
        const unknown = await answerCall('no-such-call', answerBody(bot.url));

        // assess
        assert.equal(notRinging.status, 400);
        assert.match(notRinging.text, /only an incoming call can be answered/);
        assert.equal(noMedia.status, 400);
        assert.match(noMedia.text, /mediaConfig is required/);
        assert.equal(noModalities.status, 400);
        assert.match(noModalities.text, /acceptedModalities is required/);
        assert.equal(unknown.status, 404);
    });
});

describe('control API', () => {
    it('creates calls, takes faults and scripts as JSON, and reset forgets them all', async () => {
        // act
        const faults = await simulatorRequest(sim, 'POST', '/_control/faults', { body: { duplicate: true, unavailable: { count: 1 } } });
        const created = await simulatorRequest(sim, 'POST', '/_control/calls', { body: { id: 'control-call', callbackUri: receiver.url, direction: 'incoming' } });
        const scripted = await simulatorRequest(sim, 'PUT', '/_control/scripts/control-call', { body: { responses: [{ status: 404 }] } });
        const hangUp = await graph('DELETE', '/communications/calls/control-call');
        const settled = await simulatorRequest(sim, 'POST', '/_control/settle', { body: {} });
        const reset = await simulatorRequest(sim, 'POST', '/_control/reset');
        const stats = await simulatorRequest(sim, 'GET', '/_control/stats');

        // assess
        assert.equal(created.status, 201);
        assert.equal((created.json as { state: string }).state, 'incoming');
        assert.deepEqual((faults.json as { unavailable: unknown }).unavailable, { count: 1 });
        assert.equal(scripted.status, 204);
        assert.equal(hangUp.status, 404, 'the script wins over the global fault for its call');
        const seen = settled.json as { calls: Record<string, { deliveries: { state: string }[] }> };
        assert.deepEqual(
            seen.calls['control-call']?.deliveries.map((delivery) => delivery.state),
            ['incoming', 'incoming'],
        );
        assert.equal(reset.status, 204);
        assert.deepEqual(stats.json, {
            tokenRequests: 0,
            tokensIssued: 0,
            telemetryItems: 0,
            ingestionRefusals: 0,
            graphRequests: [],
            deliveries: [],
            calls: {},
            faults: sim.stats().faults,
        });
        assert.deepEqual(sim.stats().faults, {
            duplicate: false,
            reverse: false,
            delayMs: 0,
            signWithWrongKey: false,
            throttle: null,
            unavailable: null,
            callRecordsForbidden: false,
            withoutChainId: false,
        });
        assert.equal((await graph('DELETE', '/communications/calls/control-call')).status, 404);
    });

    it('answers bad control input with 400 naming the problem', async () => {
        // act
        const unknownFault = await simulatorRequest(sim, 'POST', '/_control/faults', { body: { duplicat: true } });
        const badScript = await simulatorRequest(sim, 'PUT', '/_control/scripts/x', { body: { responses: [{ status: 204, reset: true }] } });
        const notJson = await simulatorRequest(sim, 'POST', '/_control/calls', { body: '{', headers: { 'content-type': 'application/json' } });

        // assess
        assert.deepEqual([unknownFault.status, badScript.status, notJson.status], [400, 400, 400]);
        assert.match((unknownFault.json as { error: string }).error, /duplicat/);
        assert.match((badScript.json as { error: string }).error, /exactly one of "status" or "reset"/);
    });
});

describe("Application Insights' ingestion stand-in", () => {
    const item = (name: string) => ({
        name: 'Microsoft.ApplicationInsights.Metric',
        time: new Date().toISOString(),
        data: { baseType: 'MetricData', baseData: { metrics: [{ name, value: 1 }] } },
    });
    /** An unsigned JWT with the given audience: ingestion here reads the audience, as Entra-only ingestion requires one for Azure Monitor. */
    const tokenFor = (aud: string) => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ aud })).toString('base64url')}.`;

    it('takes Entra tokens for Azure Monitor only, like a component with local auth off, and keeps what it takes for the control API', async () => {
        // prepare
        await simulatorRequest(sim, 'POST', '/_control/reset');
        // act
        const keyOnly = await simulatorRequest(sim, 'POST', '/v2.1/track', { body: [item('a'), item('b')] });
        const otherAudience = await simulatorRequest(sim, 'POST', '/v2.1/track', {
            headers: { authorization: `Bearer ${tokenFor('https://graph.microsoft.com')}` },
            body: [item('c')],
        });
        const taken = await simulatorRequest(sim, 'POST', '/v2.1/track', {
            headers: { authorization: `Bearer ${tokenFor('https://monitor.azure.com')}` },
            body: [item('d'), item('e')],
        });
        const listed = await simulatorRequest(sim, 'GET', '/_control/telemetry');
        // assess
        assert.equal(keyOnly.status, 401);
        assert.deepEqual(keyOnly.json, {
            itemsReceived: 2,
            itemsAccepted: 0,
            errors: [0, 1].map((index) => ({
                index,
                statusCode: 401,
                message: 'Authentication is required: the component takes Microsoft Entra tokens only (local auth is disabled).',
            })),
        });
        assert.equal(otherAudience.status, 401);
        assert.equal(taken.status, 200);
        assert.deepEqual(taken.json, { itemsReceived: 2, itemsAccepted: 2, errors: [] });
        const names = (listed.json as { items: Array<{ data: { baseData: { metrics: Array<{ name: string }> } } }> }).items.map((entry) => entry.data.baseData.metrics[0]?.name);
        assert.deepEqual(names, ['d', 'e']);
        assert.equal(sim.stats().ingestionRefusals, 2);
        assert.equal(sim.telemetry().length, 2);
        assert.match(sim.applicationInsightsConnectionString, new RegExp(`^InstrumentationKey=${SIMULATOR_DEFAULTS.instrumentationKey};IngestionEndpoint=${sim.url}/$`));
    });

    it('a simulator given no Graph roles issues tokens without them (an app that was granted no permission)', async () => {
        // prepare
        const bare = await startSimulator({ port: 0, tls: loadOrCreateTls(path.join(workDir, 'tls')), graphRoles: [] });
        try {
            // act
            const token = await graphToken(bare);
            // assess
            assert.deepEqual(decodeJwt(token).roles, []);
            assert.deepEqual(decodeJwt(await graphToken(sim)).roles, [...SIMULATOR_DEFAULTS.graphRoles]);
        } finally {
            await bare.stop();
        }
    });
});

describe('keepAlive and the simulated clock', () => {
    it('answers keepAlive 200 while the call lives and 404 after; ends a call that got none within the timeout, at the clock it is told', async () => {
        // prepare
        const kept = sim.createCall({ id: 'kept-call', callbackUri: receiver.url });
        const left = sim.createCall({ id: 'left-call', callbackUri: receiver.url });
        await sim.settled();
        const clock = await simulatorRequest(sim, 'POST', '/_control/clock', { body: { speed: 600, keepAliveTimeoutMinutes: 45 } });

        // act: keepAlives for one call only, every 5 simulated minutes or so, while an hour of simulated time passes
        const answers: number[] = [];
        const simulatedNow = () => Date.parse(sim.clock({}).now);
        const started = simulatedNow();
        while (simulatedNow() - started < 60 * 60_000) {
            answers.push((await graph('POST', `/communications/calls/${kept.id}/keepAlive`)).status);
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        for (const deadline = Date.now() + 5000; sim.stats().calls[left.id]?.state !== 'terminated' && Date.now() < deadline; ) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await sim.settled();

        // assess
        assert.equal(clock.status, 200);
        assert.equal((clock.json as { speed: number }).speed, 600);
        assert.deepEqual(new Set(answers), new Set([200]));
        assert.equal(sim.stats().calls[kept.id]?.state, 'established');
        assert.equal(sim.stats().calls[left.id]?.state, 'terminated');
        const end = receiver.received.map(({ body }) => body.value[0]).find((n) => n?.resourceUrl === `/communications/calls/${left.id}` && n.changeType === 'deleted');
        assert.deepEqual((end?.resourceData as { resultInfo?: unknown } | undefined)?.resultInfo, {
            '@odata.type': '#microsoft.graph.resultInfo',
            code: 408,
            subcode: 8537,
            message: 'Keep Alive timeout',
        });
        assert.equal((await graph('POST', `/communications/calls/${left.id}/keepAlive`)).status, 404);
        assert.equal((await graph('GET', `/communications/calls/${kept.id}/keepAlive`)).status, 405);
    });

    it('refuses a clock setting it does not know or cannot keep, with 400', async () => {
        const answers = await Promise.all([
            simulatorRequest(sim, 'POST', '/_control/clock', { body: { speed: 0 } }),
            simulatorRequest(sim, 'POST', '/_control/clock', { body: { speeed: 2 } }),
            simulatorRequest(sim, 'POST', '/_control/clock', { body: { keepAliveTimeoutMinutes: 'soon' } }),
        ]);
        assert.deepEqual(
            answers.map((answer) => answer.status),
            [400, 400, 400],
        );
    });
});

describe('rosters', () => {
    it('sends the whole roster or a delta as Graph does, numbers each change, and can send an old roster again late', async () => {
        // prepare
        const call = sim.createCall({ id: 'roster-call', callbackUri: receiver.url, notify: false });

        // act
        const joined = await simulatorRequest(sim, 'POST', `/_control/rosters/${call.id}`, {
            body: {
                join: [
                    { id: 'p1', name: 'Ada' },
                    { id: 'p2', kind: 'phone', identityId: '+14255550123' },
                ],
            },
        });
        sim.roster(call.id, { mute: ['p1'], as: 'delta' });
        sim.roster(call.id, { leave: [{ id: 'p2', reason: 'hungUp' }], as: 'delta' });
        const stale = await simulatorRequest(sim, 'POST', `/_control/rosters/${call.id}`, { body: { resendVersion: 1 } });
        await sim.settled();

        // assess
        assert.equal(joined.status, 200);
        assert.deepEqual(joined.json, { version: 1, present: [String(call.myParticipantId), 'p1', 'p2'] });
        assert.deepEqual(stale.json, { version: 3, present: [String(call.myParticipantId), 'p1'] });
        const bodies = receiver.received.map(({ body }) => body.value[0]);
        assert.deepEqual(
            bodies.map((notification) => notification?.resourceUrl),
            Array(4).fill(`/communications/calls/${call.id}/participants`),
        );
        const [full, muted, left, again] = bodies.map((notification) => notification?.resourceData) as [
            Array<Record<string, unknown>>,
            Record<string, unknown>,
            Record<string, unknown>,
            unknown,
        ];
        assert.deepEqual(
            full.map((participant) => [participant.id, participant.rosterSequenceNumber]),
            [
                [call.myParticipantId, 1],
                ['p1', 1],
                ['p2', 1],
            ],
        );
        assert.equal(muted['@odata.type'], '#microsoft.graph.deltaParticipants');
        assert.equal(muted.sequenceNumber, 2);
        assert.deepEqual(
            (muted.participants as Array<Record<string, unknown>>).map((participant) => [participant.id, participant.isMuted]),
            [['p1', true]],
        );
        assert.deepEqual((left.participants as Array<Record<string, unknown>>)[0]?.removedState, { '@odata.type': '#microsoft.graph.removedState', reason: 'hungUp' });
        assert.deepEqual(again, full, 'the stale roster is the first one, unchanged');
    });

    it('refuses what it cannot do with 400: an unknown call, a rejoin with the same id, an unknown version, a typo', async () => {
        sim.createCall({ id: 'roster-bad', callbackUri: receiver.url, notify: false });
        sim.roster('roster-bad', { join: [{ id: 'p1' }] });
        const answers = await Promise.all([
            simulatorRequest(sim, 'POST', '/_control/rosters/no-such-call', { body: { join: [{}] } }),
            simulatorRequest(sim, 'POST', '/_control/rosters/roster-bad', { body: { join: [{ id: 'p1' }] } }),
            simulatorRequest(sim, 'POST', '/_control/rosters/roster-bad', { body: { resendVersion: 9 } }),
            simulatorRequest(sim, 'POST', '/_control/rosters/roster-bad', { body: { joins: [] } }),
        ]);
        assert.deepEqual(
            answers.map((answer) => answer.status),
            [400, 400, 400, 400],
        );
        assert.match(String((answers[1]?.json as { error?: string } | undefined)?.error), /rejoin gets a new participant id/);
    });
});

describe('TLS material', () => {
    let folder: string;
    beforeEach(() => {
        folder = mkdtempSync(path.join(workDir, 'tls-'));
    });
    afterEach(() => rmSync(folder, { recursive: true, force: true }));

    it('makes a CA and a localhost certificate, keeps them in the folder and reuses them', () => {
        // act
        const first = loadOrCreateTls(folder);
        const second = loadOrCreateTls(folder);

        // assess
        const ca = new X509Certificate(first.caCertPem);
        const server = new X509Certificate(first.certPem);
        assert.ok(ca.ca);
        assert.ok(server.verify(ca.publicKey));
        assert.equal(server.checkHost('localhost'), 'localhost');
        assert.equal(server.checkIP('127.0.0.1'), '127.0.0.1');
        assert.ok(server.checkIP('::1'));
        assert.equal(first.caCertPath, path.join(folder, 'ca.pem'));
        assert.equal(readFileSync(path.join(folder, 'server.pem'), 'utf8'), first.certPem);
        assert.equal(statSync(path.join(folder, 'server-key.pem')).mode & 0o777, 0o600);
        assert.deepEqual(second, first);
    });

    it('makes new material when a file is missing or unreadable', () => {
        // prepare
        const original = loadOrCreateTls(folder);

        // act
        unlinkSync(path.join(folder, 'server-key.pem'));
        const afterMissing = loadOrCreateTls(folder);
        writeFileSync(path.join(folder, 'ca.pem'), 'not a certificate');
        const afterCorrupt = loadOrCreateTls(folder);
        chmodSync(path.join(folder, 'server.pem'), 0o000);
        const afterUnreadable = process.getuid?.() === 0 ? undefined : loadOrCreateTls(folder); // root reads anything

        // assess
        assert.notEqual(afterMissing.certPem, original.certPem);
        assert.notEqual(afterCorrupt.caCertPem, afterMissing.caCertPem);
        assert.ok(new X509Certificate(afterCorrupt.certPem).verify(new X509Certificate(afterCorrupt.caCertPem).publicKey));
        if (afterUnreadable !== undefined) assert.notEqual(afterUnreadable.certPem, afterCorrupt.certPem);
    });

    it('keeps material in memory without a folder', () => {
        // act
        const material = loadOrCreateTls();

        // assess
        assert.equal(material.caCertPath, undefined);
        assert.ok(new X509Certificate(material.certPem).checkIssued(new X509Certificate(material.caCertPem)));
        assert.equal(existsSync(path.join(folder, 'ca.pem')), false);
    });
});

describe('simulator process', () => {
    it('prints its URLs, serves on the port it names and stops cleanly on SIGTERM', async () => {
        // prepare
        const tlsDir = path.join(workDir, 'process-tls');
        const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'dev', 'simulator', 'main.js'), '--port', '0', '--tls-dir', tlsDir], {
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let output = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
        const exited = once(child, 'exit');

        // act
        while (!/NODE_EXTRA_CA_CERTS=/.test(output) && child.exitCode === null) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const url = /listening on (https:\/\/localhost:\d+)/.exec(output)?.[1] ?? '';
        const ca = readFileSync(path.join(tlsDir, 'ca.pem'), 'utf8');
        const info = await simulatorRequest({ url, caCertPem: ca } as RunningSimulator, 'GET', '/_control/info');
        child.kill('SIGTERM');
        const [code] = (await exited) as [number | null];

        // assess
        assert.match(url, /^https:\/\/localhost:\d+$/);
        assert.match(output, new RegExp(`Token endpoint: +${url}/${SIMULATOR_DEFAULTS.tenantId}/oauth2/v2.0/token`));
        assert.match(output, /Callback signer OpenID: +https:\/\/localhost:\d+\/botframework\/\.well-known\/openidconfiguration/);
        assert.equal(info.status, 200);
        assert.equal((info.json as { tenantId: string }).tenantId, SIMULATOR_DEFAULTS.tenantId);
        assert.equal(code, 0);
    });
});

/** A well-formed RS256 JWT for Graph that the simulator did not sign. */
function forgedGraphToken(): string {
    const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${encode({ alg: 'RS256', typ: 'JWT', kid: 'unknown' })}.${encode({ aud: 'https://graph.microsoft.com', tid: sim.tenantId, exp: now + 600 })}.${Buffer.from('not a signature').toString('base64url')}`;
}
