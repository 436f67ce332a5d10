// The example bot behind the app, end to end over real HTTP(S): the call simulator rings an incoming call through
// the app's callback, the app relays it to the example bot (dev/exampleBot), which checks the signature with
// `standardwebhooks` and answers the call through Graph within the ring timeout; the call's later notifications
// reach the bot through the app too. Calls ring for Graph's 15 s; the one the bot must miss rings for a moment (the
// simulator's per-call ring timeout), and the bot stays down until the simulator has ended it, so no test races a clock.
// calls doctor's signed test delivery reaches it too, and is told from a call's.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startExampleBot, type RunningExampleBot } from '../../dev/exampleBot/exampleBot';
import { freePort } from '../../dev/ports';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { eventually } from '../support/relayApp';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { newRelaySecret } from '../support/testBot';
import { testTls } from '../support/tls';

/** Graph's own ring timeout: the bot must answer within it, however busy the machine is. */
const RING_TIMEOUT_MS = 15_000;

describe('the example bot behind the app', () => {
    let sim: RunningSimulator;
    let bot: RunningExampleBot;
    let host: HostProcess;
    const lines: string[] = [];

    before(async () => {
        const secret = newRelaySecret();
        const port = await freePort();
        sim = await startSimulator({ port: 0, tls: testTls(), ringTimeoutMs: RING_TIMEOUT_MS });
        bot = await startExampleBot({
            port: 0,
            secret,
            graph: { baseUrl: sim.graphBaseUrl, tenantId: sim.tenantId, clientId: sim.clientId, clientSecret: sim.clientSecret, authorityHost: sim.authorityHost },
            appCallbackUrl: `http://127.0.0.1:${port}/api/callback`,
            log: (line) => lines.push(line),
        });
        host = await startHostProcess({
            port,
            env: {
                ...simulatorAppSettings(sim),
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: uniqueTableName('examplebot'),
                CALL_EVENTS_QUEUE: '',
                RELAY_URL: bot.url,
                RELAY_SECRET: secret,
                RELAY_QUEUE: `examplebot-${Math.random().toString(16).slice(2, 10)}`,
                RELAY_RETRY_SCHEDULE: '1s',
                AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            },
        });
    });
    after(async () => {
        await host?.stop();
        await bot?.stop();
        await sim?.stop();
    });

    const explain = () => `${lines.join('\n')}\n${host.logs()}`;

    test('an incoming call reaches the bot through the app, the bot answers it in time, and hears it connect', async () => {
        // act
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback`, direction: 'incoming' });

        // assess
        await eventually('the bot heard the call connect', () => (bot.received.some((r) => r.notifications.includes('updated established')) ? true : undefined), 30_000, explain);
        const answer = sim.stats().calls[call.id]?.graphRequests.find((request) => request.path.endsWith('/answer'));
        assert.equal(answer?.status, 202);
        assert.ok(
            answer !== undefined && new Date(answer.at).getTime() - new Date(sim.stats().calls[call.id]?.deliveries[0]?.at ?? 0).getTime() < RING_TIMEOUT_MS,
            'answered within the ring timeout',
        );
        assert.deepEqual(
            bot.received.filter((r) => r.webhookId.startsWith(call.id)).map((r) => [r.webhookId, r.notifications]),
            [
                [`${call.id}/1`, ['created incoming']],
                [`${call.id}/2`, ['updated establishing']],
                [`${call.id}/3`, ['updated established']],
            ],
        );
        const summary = (await (await fetch(`${host.baseUrl}/calls/${call.id}`)).json()) as { callState: string; relayedThrough: number };
        assert.equal(summary.callState, 'established');
        assert.equal(summary.relayedThrough, 3);
        assert.deepEqual(bot.answered, [call.id]);
    });

    test('the bot drops a repeat by webhook-id: a replay reaches it, and it does nothing twice', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback`, direction: 'incoming' });
        await eventually('connected', () => (bot.received.filter((r) => r.webhookId.startsWith(call.id)).length === 3 ? true : undefined), 30_000, explain);
        const before = lines.length;

        // act
        const replay = await fetch(`${host.baseUrl}/calls/${call.id}/relay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fromSequence": 1}' });
        await eventually(
            'the replay delivered',
            async () => (((await (await fetch(`${host.baseUrl}/calls/${call.id}`)).json()) as { relayPending: number }).relayPending === 0 ? true : undefined),
            30_000,
            explain,
        );

        // assess
        assert.equal(replay.status, 202);
        assert.equal(bot.received.filter((r) => r.webhookId.startsWith(call.id)).length, 3, 'each webhook-id once');
        assert.equal(bot.answered.filter((id) => id === call.id).length, 1, 'the call was answered once');
        assert.deepEqual(lines.slice(before), []);
    });

    test('a call that rings while the bot is down is over before the bot hears of it; it then gets both, in order, and its late answer is refused', async () => {
        // prepare
        await bot.outage(600);

        // act: the call rings for a moment, Graph ends it unanswered, and only then is the bot back
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback`, direction: 'incoming', ringTimeoutMs: 50 });
        await eventually('Graph ended the call', () => (sim.stats().calls[call.id]?.state === 'terminated' ? true : undefined), 30_000, explain);
        await bot.backUp();

        // assess
        await eventually('the bot heard both', () => (bot.received.filter((r) => r.webhookId.startsWith(call.id)).length === 2 ? true : undefined), 15_000, explain);
        assert.deepEqual(
            bot.received.filter((r) => r.webhookId.startsWith(call.id)).map((r) => r.notifications),
            [['created incoming'], ['deleted terminated']],
        );
        await eventually(
            'the late answer refused',
            () => (lines.some((line) => line.includes(`answering call ${call.id} failed: Graph answered 404`)) ? true : undefined),
            5000,
            explain,
        );
    });

    test("calls doctor's test delivery: the example bot verifies its signature, answers 200, and takes it for no call", async () => {
        // prepare
        const received = bot.received.length;

        // act: the app runs its check-up itself (no function key locally)
        const response = await fetch(`${host.baseUrl}/doctor`);

        // assess
        assert.equal(response.status, 200);
        const report = (await response.json()) as { checks: Array<{ id: string; status: string; detail: string }> };
        const endpoint = report.checks.find((check) => check.id === 'relay-endpoint');
        assert.equal(endpoint?.status, 'ok', endpoint?.detail);
        assert.match(endpoint?.detail ?? '', /accepted a test delivery signed with 1 secret of RELAY_SECRET \(webhook-id doctor\/\d+, no notification\): HTTP 200/);
        assert.ok(
            lines.some((line) => /test delivery doctor\/\d+ from calls doctor: signature verified/.test(line)),
            explain(),
        );
        assert.equal(bot.received.length, received, 'no notification, no call');
    });
});
