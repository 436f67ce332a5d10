// The relay to the bot through the local host, over real HTTP, into real Azurite and a real bot endpoint
// (test/support/testBot.ts) that checks every signature with `standardwebhooks`: what the bot receives (Graph's
// own notifications, in order, signed, with the relay's headers), what the record says about each delivery, and
// retries through the queue trigger when the bot fails.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { seedSequence, v1Notification } from '../fixtures/notifications';
import { eventually, startRelayApp, type RelayApp } from '../support/relayApp';
import type { BotAnswer, BotRequest } from '../support/testBot';

/** The bot answers the first request for `callId` with `first`, and everything else with 200. */
function firstAnswer(callId: string, first: BotAnswer): (request: BotRequest) => BotAnswer {
    let used = false;
    return (request) => {
        if (request.callId !== callId || used) return { status: 200 };
        used = true;
        return first;
    };
}

/** The requests the bot accepted for a call, in the order it got them. */
function accepted(app: RelayApp, callId: string): BotRequest[] {
    return app.bot.requests.filter((request) => request.callId === callId && request.status >= 200 && request.status < 300);
}

/** The sequences of the notifications the bot accepted for a call, in the order it got them. */
function acceptedSequences(app: RelayApp, callId: string): number[] {
    return accepted(app, callId).flatMap((request) => Array.from({ length: request.last - request.first + 1 }, (_, i) => request.first + i));
}

async function settled(app: RelayApp, callId: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    return eventually(
        `call ${callId} settled`,
        async () => {
            const row = await app.summary(callId);
            return row?.relayPending === 0 ? row : undefined;
        },
        timeoutMs,
        () => hosts(app),
    );
}

function api(app: RelayApp, path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${app.hosts[0]?.baseUrl}${path}`, init);
}

function hosts(app: RelayApp): string {
    return app.hosts.map((host) => host.logs()).join('\n');
}

describe('relay: the bot up', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp();
    });
    after(() => app?.stop());

    test('each stored notification reaches the bot as Graph sent it, in order, signed, before Graph gets its 202', async () => {
        // prepare
        const callId = 'relay-happy-1';
        const bodies = seedSequence(callId);
        const correlation = { 'X-Microsoft-Skype-Chain-ID': 'chain-1', 'Scenario-ID': 'scn-1', 'X-Microsoft-Skype-Message-ID': 'msg-1' };

        // act
        const answers: number[] = [];
        for (const body of bodies) {
            const response = await app.post(body, { headers: correlation });
            answers.push(response.status);
            // Delivered before the answer: the bot has it by the time Graph has its 202.
            assert.equal(app.bot.requests.filter((request) => request.callId === callId).length, answers.length);
        }

        // assess
        assert.deepEqual(answers, [202, 202, 202]);
        const received = app.bot.requests.filter((request) => request.callId === callId);
        assert.deepEqual(
            received.map((request) => [request.webhookId, request.first, request.last, request.attempt, request.verified]),
            [
                [`${callId}/1`, 1, 1, 1, true],
                [`${callId}/2`, 2, 2, 1, true],
                [`${callId}/3`, 3, 3, 1, true],
            ],
        );
        assert.deepEqual(
            received.map((request) => JSON.parse(request.body)),
            bodies.map((body) => ({ '@odata.type': '#microsoft.graph.commsNotifications', value: body.value })),
            "each notification exactly as Graph sent it, in Graph's body shape",
        );
        assert.equal(received[0]?.headers['x-microsoft-skype-chain-id'], 'chain-1');
        assert.equal(received[0]?.headers['scenario-id'], 'scn-1');
        assert.equal(received[0]?.headers['x-microsoft-skype-message-id'], 'msg-1');
        assert.equal(received[0]?.headers['x-call-record-truncated'], undefined);
        assert.equal(received[0]?.headers.authorization, undefined, "Graph's bearer token is never passed on");
        const summary = await app.summary(callId);
        assert.equal(summary?.relayedThrough, 3);
        assert.equal(summary?.relayPending, 0);
        assert.equal(summary?.relayLastStatus, 200);
        const events = await app.events(callId);
        assert.deepEqual(
            events.map((event) => [event.relayBatch, event.relayAttempts, event.relayStatus, event.relayOutcome]),
            [
                [1, 1, 200, 'delivered'],
                [2, 1, 200, 'delivered'],
                [3, 1, 200, 'delivered'],
            ],
        );
        assert.ok(events.every((event) => event.relayedAt instanceof Date));
    });

    test('notifications of one call in one POST go in one request; another call in it gets its own', async () => {
        // prepare
        const [a, b] = ['relay-batch-a', 'relay-batch-b'];
        const body = {
            value: [
                ...v1Notification(a, 'updated', 'establishing').value,
                ...v1Notification(b, 'updated', 'establishing').value,
                ...v1Notification(a, 'updated', 'established').value,
            ],
        };

        // act
        const response = await app.post(body);

        // assess
        assert.equal(response.status, 202);
        const forA = app.bot.requests.filter((request) => request.callId === a);
        assert.deepEqual(
            forA.map((request) => [request.webhookId, request.headers['x-call-record-sequence']]),
            [[`${a}/1`, '1-2']],
        );
        assert.deepEqual(forA[0]?.notifications, [body.value[0], body.value[2]]);
        assert.deepEqual(
            app.bot.requests.filter((request) => request.callId === b).map((request) => request.notifications),
            [[body.value[1]]],
        );
    });

    test('a redelivery from Graph is recognised and not relayed again; an unattributable notification is not relayed', async () => {
        // prepare
        const callId = 'relay-redelivery-1';
        const body = v1Notification(callId, 'updated', 'established');
        await app.post(body);
        const before = app.bot.requests.length;

        // act
        const again = await app.post(body);
        const unrouted = await app.post({ value: [{ changeType: 'updated', resourceUrl: '/not/a/call', resourceData: {} }] });

        // assess
        assert.deepEqual(await again.json(), { accepted: 0, duplicates: 1, rejected: 0 });
        assert.deepEqual(await unrouted.json(), { accepted: 0, duplicates: 0, rejected: 1 });
        assert.equal(app.bot.requests.length, before);
    });
});

describe('relay: the bot failing', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp();
    });
    after(() => app?.stop());

    test('a 500 is retried through the queue with the same webhook-id and body; later notifications of the call wait for it', async () => {
        // prepare
        const callId = 'relay-retry-1';
        let failures = 1;
        app.bot.answer((request) => (request.callId === callId && failures-- > 0 ? { status: 500, body: 'bot broke' } : { status: 200 }));

        // act
        const first = await app.post(v1Notification(callId, 'updated', 'establishing'));
        const second = await app.post(v1Notification(callId, 'updated', 'established'));

        // assess
        assert.deepEqual([first.status, second.status], [202, 202], "the bot's failure is never Graph's");
        const received = await eventually(
            'both delivered',
            () => {
                const requests = app.bot.requests.filter((request) => request.callId === callId);
                return requests.filter((request) => request.status === 200).length === 2 ? requests : undefined;
            },
            20_000,
            () => hosts(app),
        );
        assert.deepEqual(
            received.map((request) => [request.webhookId, request.attempt, request.status]),
            [
                [`${callId}/1`, 1, 500],
                [`${callId}/1`, 2, 200],
                [`${callId}/2`, 1, 200],
            ],
        );
        assert.equal(received[0]?.body, received[1]?.body, 'a retry sends the same notifications');
        assert.ok((received[1]?.at ?? 0) - (received[0]?.at ?? 0) >= 900, 'after the 1 s the schedule says');
        const summary = await eventually('the summary settled', async () => {
            const row = await app.summary(callId);
            return row?.relayPending === 0 ? row : undefined;
        });
        assert.equal(summary.relayedThrough, 2);
        assert.equal(summary.relayLastError, undefined);
        const events = await app.events(callId);
        assert.deepEqual(
            events.map((event) => [event.relayAttempts, event.relayStatus, event.relayOutcome, event.relayError]),
            [
                [2, 200, 'delivered', 'HTTP 500: bot broke'],
                [1, 200, 'delivered', undefined],
            ],
        );
    });
});

describe('relay: the bot down, slow, throttling or redirecting', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp({ env: { RELAY_INLINE_TIMEOUT_MS: '500' } });
    });
    after(() => app?.stop());

    test('while the bot is down notifications pile up; when it is back it gets them all, in order', async () => {
        // prepare
        const callId = 'relay-down-1';
        await app.bot.down();

        // act
        const answers: number[] = [];
        for (const state of ['establishing', 'established', 'terminating', 'terminated']) {
            answers.push((await app.post(v1Notification(callId, 'updated', state))).status);
        }
        const pending = await app.summary(callId);
        await app.bot.up();

        // assess
        assert.deepEqual(answers, [202, 202, 202, 202]);
        assert.equal(pending?.relayPending, 4);
        assert.match(String(pending?.relayLastError), /^no answer: ECONNREFUSED/);
        await settled(app, callId);
        assert.deepEqual(acceptedSequences(app, callId), [1, 2, 3, 4]);
        assert.ok(accepted(app, callId).every((request) => request.verified));
    });

    test('a bot slower than the inline timeout: Graph is answered in time, and the retry delivers the same webhook-id', async () => {
        // prepare
        const callId = 'relay-slow-1';
        app.bot.answer(firstAnswer(callId, { status: 200, delayMs: 1500 }));

        // act
        const started = Date.now();
        const response = await app.post(v1Notification(callId, 'updated', 'established'));
        const answeredInMs = Date.now() - started;

        // assess
        assert.equal(response.status, 202);
        assert.ok(answeredInMs < 1400, `Graph waited ${answeredInMs} ms for a 500 ms inline budget`);
        await settled(app, callId);
        const requests = app.bot.requests.filter((request) => request.callId === callId);
        assert.deepEqual(
            requests.map((request) => [request.webhookId, request.attempt]),
            [
                [`${callId}/1`, 1],
                [`${callId}/1`, 2],
            ],
        );
        const [event] = await app.events(callId);
        assert.match(String(event?.relayError), /no answer within \d+ ms/);
        app.bot.answer(() => ({ status: 200 }));
    });

    test('a 429 with Retry-After is tried again when the bot said, not before', async () => {
        // prepare
        const callId = 'relay-throttled-1';
        app.bot.answer(firstAnswer(callId, { status: 429, headers: { 'retry-after': '3' }, body: 'slow down' }));

        // act
        await app.post(v1Notification(callId, 'updated', 'established'));

        // assess
        await settled(app, callId);
        const [first, second] = app.bot.requests.filter((request) => request.callId === callId);
        assert.ok((second?.at ?? 0) - (first?.at ?? 0) >= 2900, `tried again after ${(second?.at ?? 0) - (first?.at ?? 0)} ms`);
        app.bot.answer(() => ({ status: 200 }));
    });

    test('a redirect is not followed: the attempt fails and says where it pointed', async () => {
        // prepare
        const callId = 'relay-redirect-1';
        let elsewhere = 0;
        const other = http.createServer((_request, response) => {
            elsewhere += 1;
            response.end();
        });
        await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
        const target = `http://127.0.0.1:${(other.address() as AddressInfo).port}/steal`;
        app.bot.answer(firstAnswer(callId, { status: 307, headers: { location: target } }));
        try {
            // act
            await app.post(v1Notification(callId, 'updated', 'established'));

            // assess
            await settled(app, callId);
            assert.equal(elsewhere, 0, 'nothing went where the redirect pointed');
            const [event] = await app.events(callId);
            assert.equal(event?.relayError, `HTTP 307 (redirects are not followed; Location ${target})`);
        } finally {
            other.close();
            app.bot.answer(() => ({ status: 200 }));
        }
    });
});

describe('relay: dead letters and replays', () => {
    let app: RelayApp;
    before(async () => {
        // 1.8 s: a notification the bot refuses that long is dead-lettered.
        app = await startRelayApp({ env: { RELAY_MAX_AGE_HOURS: '0.0005' } });
    });
    after(() => app?.stop());

    test('a notification the bot refuses past the maximum age is dead-lettered, listed, and the call goes on; a replay delivers it', async () => {
        // prepare
        const callId = 'relay-dead-1';
        let refusing = true;
        app.bot.answer((request) => (request.callId === callId && refusing ? { status: 400, body: '{"error":"no such call here"}' } : { status: 200 }));

        // act
        await app.post(v1Notification(callId, 'updated', 'establishing'));
        const failedRow = await eventually('dead-lettered', async () => {
            const row = await app.summary(callId);
            return row?.relayFailed === 1 ? row : undefined;
        });
        refusing = false;
        await app.post(v1Notification(callId, 'updated', 'established'));

        // assess: the next notification went on
        assert.equal(failedRow.relayLastError, 'HTTP 400: {"error":"no such call here"}');
        await settled(app, callId);
        assert.deepEqual(acceptedSequences(app, callId), [2]);
        const [dead] = await app.events(callId);
        assert.equal(dead?.relayOutcome, 'failed');
        assert.equal(dead?.relayStatus, 400);
        const failing = (await (await api(app, '/calls?relay=failed')).json()) as { calls: Array<{ callId: string; relayFailed: number }> };
        assert.deepEqual(
            failing.calls.filter((call) => call.callId === callId).map((call) => call.relayFailed),
            [1],
        );

        // act: replay from the start
        const replay = await api(app, `/calls/${callId}/relay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fromSequence": 1}' });

        // assess
        assert.equal(replay.status, 202);
        assert.deepEqual(await replay.json(), { callId, fromSequence: 1, relayedThrough: 0, relayPending: 2 });
        const after = await settled(app, callId);
        assert.equal(after.relayFailed, 0);
        assert.deepEqual(acceptedSequences(app, callId), [2, 1, 2], 'the replay sends both again, in order');
        const webhookIds = accepted(app, callId).map((request) => request.webhookId);
        assert.deepEqual(webhookIds, [`${callId}/2`, `${callId}/1`, `${callId}/2`], 'with the same webhook-ids');
        const listed = (await (await api(app, '/calls?relay=failed')).json()) as { calls: Array<{ callId: string }> };
        assert.equal(
            listed.calls.some((call) => call.callId === callId),
            false,
        );
    });

    test('a replay from the middle of a request sends the whole request again, with the same webhook-id and notifications, and the history says who asked and why', async () => {
        // prepare: one POST with three notifications of the call is one request, 1-3
        const callId = 'relay-replay-2';
        await app.post({ value: ['establishing', 'established', 'terminating'].flatMap((state) => v1Notification(callId, 'updated', state).value) });
        await settled(app, callId);
        const original = accepted(app, callId)[0];

        // act
        const replay = await api(app, `/calls/${callId}/relay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"fromSequence": 2, "reason": "the bot restarted"}',
        });

        // assess
        assert.equal(replay.status, 202);
        assert.equal(((await replay.json()) as { fromSequence: number }).fromSequence, 1);
        await eventually('the replay delivered', () => (accepted(app, callId).length === 2 ? true : undefined));
        const again = accepted(app, callId)[1];
        assert.equal(again?.webhookId, original?.webhookId);
        assert.equal(JSON.stringify(again?.notifications), JSON.stringify(original?.notifications));
        const history = (await (await api(app, `/calls/${callId}/history`)).json()) as { events: Array<Record<string, unknown>> };
        const asked = history.events.at(-1);
        assert.deepEqual(
            [asked?.sequence, asked?.kind, asked?.requestedByKind, asked?.requestReason],
            [4, 'relayReplay', 'functionKey', 'the bot restarted'],
            "the replay is the call's next event, by the function key (this host has no sign-in), with its reason",
        );
        assert.match(String(asked?.resultMessage), /^Replay from sequence 1 \(the request sequence 2 went in\): \d+ notifications pending\.$/);
    });

    test('a replay refuses what it cannot do, with a problem that says why', async () => {
        const post = (path: string, body: string, type = 'application/json') => api(app, path, { method: 'POST', headers: { 'content-type': type }, body });
        const problem = async (response: Response, status: number) => {
            assert.equal(response.status, status);
            assert.equal(response.headers.get('content-type'), 'application/problem+json');
            return ((await response.json()) as { detail: string }).detail;
        };
        assert.match(await problem(await post('/calls/no-such-call/relay', '{}'), 404), /Nothing is recorded for call no-such-call/);
        assert.match(await problem(await post('/calls/relay-replay-2/relay', '{"fromSequence": 99}'), 400), /past the call's history: call relay-replay-2 has 4 events/);
        assert.match(await problem(await post('/calls/relay-replay-2/relay', 'fromSequence=1', 'application/x-www-form-urlencoded'), 415), /application\/json/);
        assert.match(await problem(await post('/calls/bad%20id/relay', '{}'), 400), /call id/);
    });
});

describe('relay: two app instances on the same calls', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp({ instances: 2 });
    });
    after(() => app?.stop());

    test("each call's notifications reach the bot in order, each once, though they arrive at both instances at once", async () => {
        // prepare
        const calls = Array.from({ length: 6 }, (_, i) => `relay-two-${i}`);
        const states = ['establishing', 'established', 'hold', 'established', 'terminating', 'terminated'];

        // act: every call's notifications alternate between the instances, and the calls go side by side
        await Promise.all(
            calls.map(async (callId) => {
                for (const [i, state] of states.entries()) {
                    const response = await app.post(v1Notification(callId, 'updated', state, { sequenceTag: i }), { instance: i % 2 });
                    assert.equal(response.status, 202);
                }
            }),
        );

        // assess
        for (const callId of calls) {
            await settled(app, callId);
            assert.deepEqual(acceptedSequences(app, callId), [1, 2, 3, 4, 5, 6], `call ${callId}`);
            const tags = accepted(app, callId).flatMap((request) => request.notifications.map((n) => (n.resourceData as { sequenceTag: number }).sequenceTag));
            assert.deepEqual(tags, [0, 1, 2, 3, 4, 5], 'the notifications in the order the record stored them');
        }
    });
});

describe('relay: an instance killed while it delivers', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp({ instances: 2, env: { RELAY_INLINE_TIMEOUT_MS: '10000' } });
    });
    after(() => app?.stop());

    test("the notification is stored and claimed; Graph's redelivery to the other instance takes the call over and delivers it, with the same webhook-id", async () => {
        // prepare: the bot holds the first request until the test has killed the instance that sent it
        const callId = 'relay-killed-1';
        app.bot.answer(firstAnswer(callId, { status: 200, delayMs: 60_000 }));
        const body = v1Notification(callId, 'updated', 'established');
        const [doomed] = app.hosts;
        assert.ok(doomed);

        // act: instance 0 stores the notification and sends it; it dies before the bot answers, so Graph has no answer
        const first = app.post(body, { instance: 0 }).then(
            (response) => response.status,
            () => 'none' as const,
        );
        await eventually('the bot has the request', () => (app.bot.requests.some((request) => request.callId === callId) ? true : undefined));
        doomed.process.kill('SIGKILL');
        // Graph redelivers what got no answer, here to the other instance
        const redelivered = await app.post(body, { instance: 1 });

        // assess
        assert.equal(await first, 'none');
        assert.equal(redelivered.status, 202);
        assert.deepEqual(await redelivered.json(), { accepted: 0, duplicates: 1, rejected: 0 });
        const summary = await app.summary(callId);
        assert.equal(summary?.relayedThrough, 1);
        assert.equal(summary?.relayPending, 0);
        const requests = app.bot.requests.filter((request) => request.callId === callId);
        assert.deepEqual(
            requests.map((request) => [request.webhookId, request.attempt]),
            [
                [`${callId}/1`, 1],
                [`${callId}/1`, 1],
            ],
            'sent again by the instance that took over, with the same webhook-id (a bot drops the repeat)',
        );
        assert.equal(requests[1]?.body, requests[0]?.body);

        // and the call goes on from there
        await app.post(v1Notification(callId, 'updated', 'terminated'), { instance: 1 });
        assert.deepEqual(acceptedSequences(app, callId), [1, 2]);
    });
});
