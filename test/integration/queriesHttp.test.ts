// GET /api/calls, /api/calls/{callId} and /api/calls/{callId}/history through the local Functions host
// over real HTTP, against rows written by the real callback (POST /api/callback) and the real CallStore.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { CallEventJson, CallListPageJson, CallSummaryJson, HistoryPageJson } from '../../shared/query/callJson';
import type { NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { seedSequence, SEED_CALL_ID } from '../fixtures/notifications';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';

const LONG_CALL = 'call-http-long';
const LONG_CALL_EVENTS = 2500;
/** Long before the test runs, so the seed call (received now) and the long call never share a day. */
const T0 = Date.parse('2020-01-01T10:00:00Z');

interface Problem {
    type: string;
    title: string;
    status: number;
    detail: string;
}

function event(n: number): NewCallEvent {
    return {
        kind: 'notification',
        resourceKind: 'call',
        changeType: 'updated',
        callState: 'established',
        receivedAt: new Date(T0 + n * 1000),
        dedupeKey: createHash('sha256').update(`http event ${n}`).digest('hex'),
        resourceData: JSON.stringify({ n }),
    };
}

describe('query endpoints through the local host', () => {
    const tableName = uniqueTableName('queryhttp');
    let host: HostProcess;

    before(async () => {
        const store = new CallStore(testTableClient(tableName), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(
            LONG_CALL,
            Array.from({ length: LONG_CALL_EVENTS }, (_, i) => event(i + 1)),
        );
        host = await startHostProcess({
            env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName, CALLBACK_AUTH: 'disabled' },
        });
        // The seed call arrives the way Graph sends it: beta notifications through the callback.
        for (const body of seedSequence()) {
            const response = await checkedFetch(`${host.baseUrl}/callback`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
            assert.equal(response.status, 202, await response.text());
        }
    });
    after(async () => {
        await host?.stop();
    });

    async function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
        return checkedFetch(`${host.baseUrl}${path}`, { headers });
    }

    async function json<T>(path: string): Promise<T> {
        const response = await get(path);
        assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
        assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
        return (await response.json()) as T;
    }

    async function problem(path: string, status: number): Promise<Problem> {
        const response = await get(path);
        assert.equal(response.status, status, `${path}: ${await response.clone().text()}`);
        assert.equal(response.headers.get('content-type'), 'application/problem+json');
        const body = (await response.json()) as Problem;
        assert.equal(body.status, status);
        assert.ok(body.detail.length > 0);
        assert.doesNotMatch(body.detail, /\n\s+at /, 'no stack trace');
        return body;
    }

    test('GET /calls/{callId} answers the summary as JSON, with or without x-functions-key', async () => {
        const summary = await json<CallSummaryJson>(`/calls/${SEED_CALL_ID}`);
        const withKey = await get(`/calls/${SEED_CALL_ID}`, { 'x-functions-key': 'any-key-locally' });

        assert.equal(summary.callId, SEED_CALL_ID);
        assert.equal(summary.callState, 'terminated');
        assert.equal(summary.terminationReason, 'AppInitiated');
        assert.equal(summary.deleted, true);
        assert.equal(summary.lastChangeType, 'deleted');
        assert.equal(summary.eventCount, 3);
        assert.equal(summary.graphEtag, 'W/"5445"');
        assert.match(summary.lastEventAt ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        assert.equal(withKey.status, 200);
        assert.deepEqual(await withKey.json(), summary);
    });

    test('GET /calls/{callId}/history answers every event in order with resourceData as JSON', async () => {
        const page = await json<HistoryPageJson>(`/calls/${SEED_CALL_ID}/history`);

        assert.equal(page.callId, SEED_CALL_ID);
        assert.equal(page.continuationToken, undefined);
        assert.deepEqual(
            page.events.map((e) => [e.sequence, e.changeType, e.callState]),
            [
                [1, 'updated', 'terminating'],
                [2, 'updated', 'terminated'],
                [3, 'deleted', 'terminated'],
            ],
        );
        const last = page.events[2] as CallEventJson;
        assert.deepEqual((last.resourceData as Record<string, unknown>).terminationReason, 'AppInitiated');
        assert.equal(last.resourceUrl, `/communications/calls/${SEED_CALL_ID}`);
    });

    for (const top of [1000, 333]) {
        test(`a ${LONG_CALL_EVENTS}-event history pages through over HTTP with no gap or repeat at top=${top}`, async () => {
            const sequences: number[] = [];
            let token: string | undefined;
            do {
                const query = new URLSearchParams({ top: String(top), ...(token === undefined ? {} : { continuationToken: token }) });
                const page = await json<HistoryPageJson>(`/calls/${LONG_CALL}/history?${query}`);
                assert.ok(page.events.length <= top);
                sequences.push(...page.events.map((e) => e.sequence));
                token = page.continuationToken;
            } while (token !== undefined);

            assert.deepEqual(
                sequences,
                Array.from({ length: LONG_CALL_EVENTS }, (_, i) => i + 1),
            );
        });
    }

    test('forged, corrupted and foreign continuation tokens are 400 problems', async () => {
        const { continuationToken } = await json<HistoryPageJson>(`/calls/${LONG_CALL}/history?top=10`);
        const token = continuationToken ?? '';
        const corrupted = token.slice(0, 5) + (token[5] === 'A' ? 'B' : 'A') + token.slice(6);

        await problem(`/calls/${LONG_CALL}/history?continuationToken=${encodeURIComponent(corrupted)}`, 400);
        await problem(`/calls/${LONG_CALL}/history?continuationToken=eyJ2IjoxfQ.forged`, 400);
        await problem(`/calls/${SEED_CALL_ID}/history?continuationToken=${encodeURIComponent(token)}`, 400);
        await problem(`/calls?continuationToken=${encodeURIComponent(token)}`, 400);
        const next = await json<HistoryPageJson>(`/calls/${LONG_CALL}/history?top=10&continuationToken=${encodeURIComponent(token)}`);
        assert.equal(next.events[0]?.sequence, 11);
    });

    test('GET /calls filters by state and time and never lists _unrouted', async () => {
        // A notification that names no call lands in _unrouted, which has a summary row too.
        const rejected = await checkedFetch(`${host.baseUrl}/callback`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{"value":[{"changeType":"updated"}]}',
        });
        assert.equal(rejected.status, 202);

        const all = await json<CallListPageJson>('/calls');
        const terminated = await json<CallListPageJson>('/calls?state=terminated');
        const established = await json<CallListPageJson>('/calls?state=Established&top=5');
        const lateOnly = await json<CallListPageJson>(`/calls?since=${encodeURIComponent(new Date(T0 + LONG_CALL_EVENTS * 1000 + 1).toISOString())}`);
        const window = await json<CallListPageJson>(`/calls?since=2020-01-01&until=2020-01-02`);

        assert.deepEqual(all.calls.map((c) => c.callId).sort(), [SEED_CALL_ID, LONG_CALL].sort());
        assert.deepEqual(
            terminated.calls.map((c) => c.callId),
            [SEED_CALL_ID],
        );
        assert.deepEqual(
            established.calls.map((c) => [c.callId, c.eventCount]),
            [[LONG_CALL, LONG_CALL_EVENTS]],
        );
        assert.deepEqual(
            lateOnly.calls.map((c) => c.callId),
            [SEED_CALL_ID],
        );
        assert.deepEqual(
            window.calls.map((c) => c.callId),
            [LONG_CALL],
        );
    });

    test('bad or hostile input is a 400 problem, never a 500 or a changed query', async () => {
        for (const path of [
            `/calls?state=${encodeURIComponent("terminated' or true or 'a' eq 'a")}`,
            '/calls?state=nosuchstate',
            '/calls?since=yesterday',
            '/calls?since=2026-02-30',
            '/calls?until=2026-11-29T10:00:00',
            '/calls?since=2026-11-30&until=2026-11-29',
            '/calls?top=0',
            '/calls?top=1001',
            '/calls?top=ten',
            '/calls?top=1&top=2',
            `/calls?$filter=${encodeURIComponent("PartitionKey eq '_unrouted'")}`,
            `/calls/${LONG_CALL}/history?top=-1`,
            `/calls/${encodeURIComponent("x' or true or 'a' eq 'a")}`,
            `/calls/${encodeURIComponent("x' or true or 'a' eq 'a")}/history`,
        ]) {
            await problem(path, 400);
        }
    });

    test('GET /calls/{callId}?foo=bar is a 400 that names the parameter, like the other routes; the function key is not refused', async () => {
        const unknown = await problem(`/calls/${SEED_CALL_ID}?foo=bar`, 400);
        const withCode = await get(`/calls/${SEED_CALL_ID}?code=any-key-locally`);

        assert.match(unknown.detail, /Unknown query parameter "foo"/);
        assert.equal(withCode.status, 200);
    });

    test('a repeated query parameter is a 400 that names it, not a complaint about the values joined with a comma', async () => {
        for (const [path, name, joined] of [
            ['/calls?top=1&top=2', 'top', '1,2'],
            ['/calls?state=terminated&state=terminated', 'state', 'terminated,terminated'],
            [`/calls/${LONG_CALL}/history?top=5&top=5`, 'top', '5,5'],
        ] as const) {
            const body = await problem(path, 400);
            assert.match(body.detail, new RegExp(`^Query parameter ${name} is given more than once`), path);
            assert.ok(!body.detail.includes(joined), `${path}: ${body.detail}`);
        }
    });

    test('an unknown call is a 404 problem for its summary and its history', async () => {
        await problem('/calls/no-such-call', 404);
        await problem('/calls/no-such-call/history', 404);
    });
});
