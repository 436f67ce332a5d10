// DELETE /api/calls/{callId} through the local Functions host over real HTTP: the real @azure/identity and
// @azure/core-rest-pipeline talk to the call simulator's HTTPS Entra and Graph stand-ins (trusted through the
// test CA), and every attempt is read back from the call's partition in real Azurite.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { devStorageConnectionString } from '../../dev/azurite';
import { freePort } from '../../dev/ports';
import { simulatorAppSettings, startSimulator, type GraphRequestRecord, type RunningSimulator } from '../../dev/simulator';
import { CallStore } from '../../shared/record/callStore';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

/**
 * Small, so the slow and failing cases do not take Graph's 30 s; a real user setting, given only to the host of
 * the tests about the time bound: on a loaded machine a first hang-up (loading @azure/identity, getting a token)
 * can take longer than this, and the other tests are not about the bound.
 */
const TIMEOUT_SECONDS = 3;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Answer {
    status: number;
    headers: Headers;
    text: string;
    ms: number;
}

interface Problem {
    type: string;
    title: string;
    status: number;
    detail: string;
}

describe('endCall: DELETE /api/calls/{callId}', () => {
    const tableName = uniqueTableName('endCall');
    const table = testTableClient(tableName);
    let sim: RunningSimulator;
    /** The app as configured for the simulator; shared by most tests. */
    let host: HostProcess;
    /** Fresh hosts for what needs its own settings or an empty token cache. */
    let boundedHost: HostProcess;
    let tokenHost: HostProcess;
    let wrongSecretHost: HostProcess;
    let betaHost: HostProcess;
    let brokenStorageHost: HostProcess;

    function appSettings(overrides: Record<string, string> = {}): Record<string, string> {
        return {
            ...simulatorAppSettings(sim),
            CallHistoryStorage: testConnectionString(),
            CALL_HISTORY_TABLE: tableName,
            ...overrides,
        };
    }

    before(async () => {
        sim = await startSimulator({ port: 0, tls: testTls() });
        const closedPort = await freePort();
        [host, boundedHost, tokenHost, wrongSecretHost, betaHost, brokenStorageHost] = await Promise.all([
            startHostProcess({ env: appSettings() }),
            startHostProcess({ env: appSettings({ GRAPH_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS) }) }),
            startHostProcess({ env: appSettings() }),
            startHostProcess({ env: appSettings({ AZURE_CLIENT_SECRET: 'not-the-secret' }) }),
            startHostProcess({ env: appSettings({ GRAPH_BASE_URL: `${sim.url}/beta`, GRAPH_CALL_PATH: '/app/calls/{callId}' }) }),
            // Nothing listens there: every table operation fails.
            startHostProcess({ env: appSettings({ CallHistoryStorage: devStorageConnectionString(closedPort) }) }),
        ]);
    });
    beforeEach(() => sim.reset());
    after(async () => {
        await Promise.all([host, boundedHost, tokenHost, wrongSecretHost, betaHost, brokenStorageHost].map((h) => h?.stop()));
        await sim?.stop();
    });

    /** `path` goes after `/api/calls` as given: callers encode ids themselves, as a real client must. */
    async function hangUp(path: string, on: HostProcess = host): Promise<Answer> {
        const started = Date.now();
        const response = await checkedFetch(`${on.baseUrl}/calls${path}`, { method: 'DELETE' });
        const text = await response.text();
        return { status: response.status, headers: response.headers, text, ms: Date.now() - started };
    }

    function problemOf(answer: Answer, status: number): Problem {
        assert.equal(answer.status, status, answer.text);
        assert.equal(answer.headers.get('content-type'), 'application/problem+json');
        const problem = JSON.parse(answer.text) as Problem;
        assert.equal(problem.status, status);
        assert.equal(typeof problem.title, 'string');
        assert.equal(typeof problem.type, 'string');
        assert.doesNotMatch(problem.detail, /\n\s+at /, 'no stack trace');
        return problem;
    }

    function graphRequests(callId: string): GraphRequestRecord[] {
        return sim.stats().calls[callId]?.graphRequests ?? [];
    }

    /** The call's hang-up events and summary, as any Table Storage tool would read them. */
    async function recorded(callId: string) {
        const rows = await partitionRows(table, callId);
        return {
            events: rows.filter((row) => String(row.rowKey).startsWith('event-') && row.kind === 'hangupRequest'),
            summary: rows.find((row) => row.rowKey === 'state'),
        };
    }

    /** One hangupRequest event for the attempt, with the ids Graph and the app used, and the summary fields. */
    async function assertRecorded(callId: string, expected: { httpStatus?: number; graphRequestId?: string; clientRequestId?: string }, startedAt: Date) {
        const { events, summary } = await recorded(callId);
        assert.equal(events.length, 1, `one hangupRequest event for ${callId}`);
        const [event] = events;
        assert.equal(event?.rowKey, 'event-0000000001');
        assert.equal(event?.httpStatus, expected.httpStatus);
        assert.equal(event?.graphRequestId, expected.graphRequestId);
        assert.equal(event?.clientRequestId, expected.clientRequestId);
        const receivedAt = new Date(String(event?.receivedAt));
        assert.ok(receivedAt.getTime() >= startedAt.getTime() - 1000 && receivedAt.getTime() <= Date.now() + 1000, `receivedAt ${receivedAt.toISOString()}`);
        assert.ok(summary, `a summary row for ${callId}`);
        assert.equal(new Date(String(summary.hangupRequestedAt)).getTime(), receivedAt.getTime());
        assert.equal(summary.hangupStatus, expected.httpStatus);
        assert.equal(summary.eventCount, 1);
    }

    test('Graph 204: 204 with an empty body, the bearer token and a client-request-id reached Graph, the attempt is recorded', async () => {
        // prepare
        const callId = 'ok-0f6c3b1e-5a57-4a57-9d77-6c6e1b2f9a01';
        sim.script(callId, [{ status: 204 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`);

        // assess
        assert.equal(answer.status, 204);
        assert.equal(answer.text, '');
        const [request, ...more] = graphRequests(callId);
        assert.equal(more.length, 0);
        assert.equal(request?.method, 'DELETE');
        assert.equal(request?.path, `/v1.0/communications/calls/${callId}`);
        assert.equal(request?.authorization, 'valid');
        assert.match(request?.clientRequestId ?? '', GUID);
        assert.equal(request?.status, 204);
        await assertRecorded(callId, { httpStatus: 204, graphRequestId: request?.requestId, clientRequestId: request?.clientRequestId ?? '' }, startedAt);
    });

    test("Graph 404: 404 problem naming Graph's code and request-id, and the attempt is recorded", async () => {
        // prepare
        const callId = 'gone-5b0e2c1d';
        sim.script(callId, [{ status: 404 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`);

        // assess
        const problem = problemOf(answer, 404);
        const [request, ...more] = graphRequests(callId);
        assert.equal(more.length, 0, '404 is not retried');
        assert.match(problem.detail, /9997/);
        assert.match(problem.detail, /Call not found/);
        assert.ok(problem.detail.includes(request?.requestId ?? '-'), problem.detail);
        await assertRecorded(callId, { httpStatus: 404, graphRequestId: request?.requestId, clientRequestId: request?.clientRequestId ?? '' }, startedAt);
    });

    test("Graph 403: 502 problem saying the token or permissions were refused, with Graph's code and request-id", async () => {
        // prepare
        const callId = 'forbidden-1';
        sim.script(callId, [{ status: 403 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`);

        // assess
        const problem = problemOf(answer, 502);
        const [request, ...more] = graphRequests(callId);
        assert.equal(more.length, 0, '403 is not retried');
        assert.match(problem.detail, /token or (its )?permissions were refused/);
        assert.match(problem.detail, /7503/);
        assert.ok(problem.detail.includes(request?.requestId ?? '-'), problem.detail);
        await assertRecorded(callId, { httpStatus: 403, graphRequestId: request?.requestId, clientRequestId: request?.clientRequestId ?? '' }, startedAt);
    });

    test('Graph 429 with Retry-After: 1, then 204: waits, retries with the same client-request-id, answers 204', async () => {
        // prepare
        const callId = 'throttled-1';
        sim.script(callId, [{ status: 429, retryAfterSeconds: 1 }, { status: 204 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`);

        // assess
        assert.equal(answer.status, 204, answer.text);
        assert.ok(answer.ms >= 950, `answered after ${answer.ms} ms, before Retry-After had passed`);
        const requests = graphRequests(callId);
        assert.deepEqual(
            requests.map((r) => r.status),
            [429, 204],
        );
        assert.equal(new Set(requests.map((r) => r.clientRequestId)).size, 1);
        assert.ok(Date.parse(requests[1]?.at ?? '') - Date.parse(requests[0]?.at ?? '') >= 950, 'the retry waited for Retry-After');
        await assertRecorded(callId, { httpStatus: 204, graphRequestId: requests[1]?.requestId, clientRequestId: requests[0]?.clientRequestId ?? '' }, startedAt);
    });

    test('Graph 503 on every attempt: retried until the time bound, then 503 problem with Retry-After', async () => {
        // prepare
        const callId = 'unavailable-1';
        sim.script(callId, [{ status: 503 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`, boundedHost);

        // assess
        const problem = problemOf(answer, 503);
        assert.match(answer.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
        const requests = graphRequests(callId);
        assert.ok(requests.length >= 2, `retried: ${requests.length} requests`);
        assert.equal(new Set(requests.map((r) => r.clientRequestId)).size, 1);
        assert.match(problem.detail, /503/);
        // Five retries with backoff take longer than the bound: it is the bound that ended them.
        assert.ok(answer.ms >= TIMEOUT_SECONDS * 1000 - 100, `answered after ${answer.ms} ms`);
        // The last answer the app read: the deadline may have cut off one more attempt that Graph saw.
        const named = /Graph request-id ([0-9a-f-]{36})/.exec(problem.detail)?.[1];
        assert.ok(
            requests.slice(-2).some((r) => r.requestId === named),
            problem.detail,
        );
        await assertRecorded(callId, { httpStatus: 503, graphRequestId: named, clientRequestId: requests[0]?.clientRequestId ?? '' }, startedAt);
    });

    test('Graph slower than the time bound: 502 problem at the bound, before Graph answers', async () => {
        // prepare: Graph takes far longer than the bound
        const callId = 'slow-1';
        sim.script(callId, [{ delayMs: 60_000, status: 204 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`, boundedHost);

        // assess: the app waited for the bound, and did not wait for Graph
        const problem = problemOf(answer, 502);
        assert.ok(answer.ms >= TIMEOUT_SECONDS * 1000 - 100, `answered after ${answer.ms} ms`);
        const [request] = graphRequests(callId);
        assert.equal(request?.status, null, 'Graph had not answered yet');
        assert.match(problem.detail, new RegExp(`within ${TIMEOUT_SECONDS} s`));
        await assertRecorded(callId, { clientRequestId: request?.clientRequestId ?? '' }, startedAt);
    });

    test('connection reset on every attempt: retried, then 502 problem naming the network failure', async () => {
        // prepare
        const callId = 'reset-1';
        sim.script(callId, [{ reset: true }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`, boundedHost);

        // assess
        const problem = problemOf(answer, 502);
        const requests = graphRequests(callId);
        assert.ok(requests.length >= 2, `retried: ${requests.length} requests`);
        assert.deepEqual(new Set(requests.map((r) => r.status)), new Set(['reset']));
        assert.equal(new Set(requests.map((r) => r.clientRequestId)).size, 1);
        assert.match(problem.detail, /ECONNRESET|socket hang up/);
        await assertRecorded(callId, { clientRequestId: requests[0]?.clientRequestId ?? '' }, startedAt);
    });

    test('bad call ids get 400 problems, and Graph is never called', async () => {
        // prepare: what a client sends for each id (encoded as a URL path segment), and the empty ids
        const ids = ['../users', 'a/b', 'a%2Fb', 'a?x=1', 'a#b', "' or 1 eq 1", 'a'.repeat(200), '-leading-dash', 'space in id'];
        const paths = [...ids.map((id) => `/${encodeURIComponent(id)}`), '/a%2Fb', '/', ''];

        // act
        const answers = await Promise.all(paths.map(async (path) => [path, await hangUp(path)] as const));
        // An unencoded slash makes a longer path; the route's catch-all still hands it to endCall.
        const rawSlash = await hangUp('/a/b');

        // assess
        for (const [path, answer] of answers) {
            const problem = problemOf(answer, 400);
            assert.match(problem.detail, /call id/, path);
        }
        assert.match(problemOf(rawSlash, 400).detail, /call id "a\/b"/);
        assert.deepEqual(sim.stats().graphRequests, []);
        assert.equal(sim.stats().tokenRequests, 0);
    });

    test('20 hang-ups at once cause exactly one token request, and every one reaches Graph with a valid token', async () => {
        // prepare
        const callIds = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
        for (const callId of callIds) sim.script(callId, [{ status: 204 }]);

        // act
        const answers = await Promise.all(callIds.map((callId) => hangUp(`/${callId}`, tokenHost)));

        // assess
        assert.deepEqual(
            answers.map((a) => a.status),
            Array(20).fill(204),
        );
        const stats = sim.stats();
        assert.equal(stats.tokenRequests, 1);
        assert.equal(stats.graphRequests.length, 20);
        assert.ok(stats.graphRequests.every((r) => r.authorization === 'valid'));
        assert.equal(new Set(stats.graphRequests.map((r) => r.clientRequestId)).size, 20, 'one client-request-id per hang-up');
    });

    test('a call with a history: the hang-up is its next event, the state stays, the summary shows the last attempt', async () => {
        // prepare: a call the app already knows, written by another instance
        const callId = 'known-call-7';
        const store = new CallStore(testTableClient(tableName), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(callId, [
            { kind: 'notification', resourceKind: 'call', changeType: 'updated', callState: 'established', receivedAt: new Date(Date.now() - 60_000) },
        ]);
        sim.script(callId, [{ status: 204 }, { status: 404 }]);

        // act
        const first = await hangUp(`/${callId}`);
        const second = await hangUp(`/${callId}`);

        // assess
        assert.equal(first.status, 204);
        problemOf(second, 404);
        const requests = graphRequests(callId);
        const rows = await partitionRows(table, callId);
        const events = rows.filter((row) => String(row.rowKey).startsWith('event-'));
        assert.deepEqual(
            events.map((e) => [e.rowKey, e.kind, e.httpStatus, e.graphRequestId]),
            [
                ['event-0000000001', 'notification', undefined, undefined],
                ['event-0000000002', 'hangupRequest', 204, requests[0]?.requestId],
                ['event-0000000003', 'hangupRequest', 404, requests[1]?.requestId],
            ],
        );
        const summary = rows.find((row) => row.rowKey === 'state');
        assert.equal(summary?.callState, 'established', 'the hang-up request does not change the state; the notifications do');
        assert.equal(summary?.eventCount, 3);
        assert.equal(summary?.hangupStatus, 404);
        assert.equal(new Date(String(summary?.hangupRequestedAt)).getTime(), new Date(String(events[2]?.receivedAt)).getTime());
    });

    test('a wrong client secret: 502 problem saying the app could not get a Graph token, and Graph is never called', async () => {
        // prepare
        const callId = 'no-token-1';
        sim.script(callId, [{ status: 204 }]);
        const startedAt = new Date();

        // act
        const answer = await hangUp(`/${callId}`, wrongSecretHost);

        // assess
        const problem = problemOf(answer, 502);
        assert.match(problem.detail, /could not get a Graph token/);
        assert.match(problem.detail, /AADSTS7000215/, "Entra's reason is named");
        assert.ok(sim.stats().tokenRequests >= 1);
        assert.equal(sim.stats().tokensIssued, 0);
        assert.deepEqual(sim.stats().graphRequests, []);
        const clientRequestId = /client-request-id ([0-9a-f-]{36})/.exec(problem.detail)?.[1];
        assert.match(clientRequestId ?? '', GUID);
        await assertRecorded(callId, { clientRequestId }, startedAt);
    });

    test("GRAPH_CALL_PATH=/app/calls/{callId} with a /beta base reaches the seed's beta path", async () => {
        // prepare
        const callId = 'beta-call-1';
        sim.script(callId, [{ status: 204 }]);

        // act
        const answer = await hangUp(`/${callId}`, betaHost);

        // assess
        assert.equal(answer.status, 204, answer.text);
        const [request, ...more] = graphRequests(callId);
        assert.equal(more.length, 0);
        assert.equal(request?.path, `/beta/app/calls/${callId}`);
        assert.equal(request?.authorization, 'valid');
        assert.equal((await recorded(callId)).events[0]?.httpStatus, 204);
    });

    test('recording fails after Graph ended the call: the caller still gets 204, and the log says so loudly', async () => {
        // prepare
        const callId = 'unrecorded-1';
        sim.script(callId, [{ status: 204 }]);

        // act
        const answer = await hangUp(`/${callId}`, brokenStorageHost);

        // assess
        assert.equal(answer.status, 204, answer.text);
        assert.equal(answer.text, '');
        const [request] = graphRequests(callId);
        assert.equal(request?.status, 204);
        await brokenStorageHost.waitForLog(new RegExp(`\\[Error\\].*HANG-UP NOT RECORDED: call ${callId}.*Graph answered 204.*${request?.clientRequestId}`));
    });
});
