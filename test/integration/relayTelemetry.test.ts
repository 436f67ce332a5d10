// The relay's telemetry and the access refusals, read from OpenTelemetry's in-memory exporters in this process:
// the app's own composition root (shared/app/services.ts, configured through the environment as a user would)
// against real Azurite, a callback token issuer, the call simulator's Graph and a bot endpoint that checks every
// signature with `standardwebhooks`. A callback's trace has its relay step (verify, store, relay, answer) with one
// relay.attempt per request; retries, dead letters and replays are counted by how they were sent and what became
// of them; the reconciler reads the relay's backlog; every refusal of authorize() is counted by route and reason.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { APP_ROLES } from '../../shared/access/appRoles';
import { authorize, signedIn } from '../../shared/access/authorize';
import { FUNCTION_KEY_REQUESTER, requestAudit } from '../../shared/access/requester';
import { callbackVerifier, callRelay, callStore, graphCalls } from '../../shared/app/services';
import { answerCallback } from '../../shared/callback/ingestNotifications';
import { reconcileCalls } from '../../shared/lifecycle/reconcileCalls';
import { CallRelay } from '../../shared/relay/callRelay';
import { parseWakeUp, RelayQueue, type RelayWakeUp } from '../../shared/relay/relayQueue';
import { appConfig, type AccessConfig } from '../../shared/settings/config';
import { createQueueClient } from '../../shared/settings/queueClient';
import { METRICS, SPANS } from '../../shared/telemetry/catalogue';
import { v1Notification } from '../fixtures/notifications';
import { startCallbackIssuer, type CallbackIssuer } from '../support/callbackIssuer';
import { startInMemoryTelemetry, type InMemoryTelemetry } from '../support/inMemoryTelemetry';
import { eventually } from '../support/relayApp';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { newRelaySecret, startTestBot, type TestBot } from '../support/testBot';
import { testTls } from '../support/tls';

const BOT_APP_ID = '0f1e2d3c-4b5a-4968-8776-655443322110';
const TENANT = 'dddddddd-4444-4444-8444-dddddddddddd';
const HOUR_MS = 3_600_000;

const log = {
    lines: [] as string[],
    log: (...args: unknown[]) => log.lines.push(args.join(' ')),
    warn: (...args: unknown[]) => log.lines.push(args.join(' ')),
    error: (...args: unknown[]) => log.lines.push(args.join(' ')),
};

/** The spans of one trace, and the children of a span. */
function childrenOf(spans: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
    return spans.filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);
}

describe('the relay and access telemetry, in memory', () => {
    let telemetry: InMemoryTelemetry;
    let sim: RunningSimulator;
    let issuer: CallbackIssuer;
    let bot: TestBot;
    let queue: QueueClient;
    const queueName = `relaytelemetry-${randomUUID().slice(0, 8)}`;

    before(async () => {
        telemetry = startInMemoryTelemetry();
        const secret = newRelaySecret();
        [sim, issuer, bot] = await Promise.all([startSimulator({ port: 0, tls: testTls() }), startCallbackIssuer(), startTestBot(secret)]);
        // The app's settings, as a user gives them: services.ts builds the store, the verifier and the relay from them.
        Object.assign(process.env, {
            ...simulatorAppSettings(sim),
            AzureWebJobsStorage: testConnectionString(),
            CallHistoryStorage: testConnectionString(),
            CALL_HISTORY_TABLE: uniqueTableName('relaytelemetry'),
            CALL_EVENTS_QUEUE: '',
            BOT_APP_ID,
            CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
            RELAY_URL: bot.url,
            RELAY_SECRET: secret,
            RELAY_QUEUE: queueName,
            RELAY_RETRY_SCHEDULE: '1s',
        });
        queue = new QueueClient(testConnectionString(), queueName);
    });
    after(async () => {
        await telemetry?.stop();
        await Promise.all([sim?.stop(), issuer?.stop(), bot?.stop()]);
    });

    /** A callback as Graph posts it, answered by the app: its status. */
    async function callback(body: unknown, traceParent?: string): Promise<number> {
        const token = await issuer.sign({ aud: BOT_APP_ID, tid: TENANT });
        const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const relay = callRelay();
        assert.ok(relay, 'the relay is on');
        const { answer } = await answerCallback(
            {
                header: (name) => headers[name.toLowerCase()] ?? null,
                body: (async function* () {
                    yield Buffer.from(JSON.stringify(body));
                })(),
            },
            { store: callStore(), verifier: callbackVerifier(), relay: { relay, log }, log, ...(traceParent === undefined ? {} : { trace: { traceParent } }) },
        );
        return answer.status;
    }

    /** The retry message of `callId`, once it is visible (its delay is the retry schedule's 1 s), taken off the queue as the trigger does. */
    async function retryMessage(callId: string): Promise<RelayWakeUp> {
        return eventually(
            `a retry message for ${callId}`,
            async () => {
                const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
                let found: RelayWakeUp | undefined;
                for (const item of receivedMessageItems) {
                    const wakeUp = parseWakeUp(JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
                    if (wakeUp?.callId === callId && found === undefined) {
                        found = wakeUp;
                        await queue.deleteMessage(item.messageId, item.popReceipt);
                    } else {
                        // Another call's: back on the queue at once.
                        await queue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
                    }
                }
                return found;
            },
            20_000,
            () => log.lines.join('\n'),
        );
    }

    test("a stored callback is one trace: verify, store, relay, answer, and the relay's first attempt is a relay.attempt of callback.relay", async () => {
        // prepare
        const callId = randomUUID();
        const traceId = randomBytes(16).toString('hex');

        // act
        const status = await callback(
            { value: [...v1Notification(callId, 'updated', 'establishing').value, ...v1Notification(callId, 'updated', 'established').value] },
            `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
        );

        // assess
        assert.equal(status, 202);
        const spans = telemetry.spans().filter((span) => span.spanContext().traceId === traceId);
        const root = spans.find((span) => span.name === SPANS.callback.name);
        assert.ok(root, 'the callback span, in the trace the request came with');
        assert.deepEqual(
            childrenOf(spans, root).map((span) => span.name),
            [SPANS.callbackVerify.name, SPANS.callbackStore.name, SPANS.callbackRelay.name, SPANS.callbackAnswer.name],
            'the steps, in order',
        );
        const relaying = spans.find((span) => span.name === SPANS.callbackRelay.name);
        assert.ok(relaying);
        assert.equal(relaying.attributes.calls, 1);
        const attempts = childrenOf(spans, relaying);
        assert.deepEqual(
            attempts.map((span) => [span.name, span.attributes]),
            [[SPANS.relayAttempt.name, { attempt: 'inline', result: 'delivered', bot_status: '2xx', notifications: 2, attempt_number: 1 }]],
        );
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'inline', result: 'delivered', bot_status: '2xx' }), 1);
        assert.equal(await telemetry.total(METRICS.relayNotifications, { outcome: 'delivered' }), 2);
        const durations = (await telemetry.points()).filter((point) => point.name === METRICS.relayDuration.name && point.attributes.attempt === 'inline');
        assert.equal(
            durations.reduce((sum, point) => sum + point.count, 0),
            1,
        );
        assert.ok(durations.every((point) => point.value > 0));
        assert.equal(bot.requests.filter((request) => request.callId === callId).length, 1);
    });

    test('a failed first attempt is counted failed with the bot status, and the retry that delivers it is a relay.attempt of relay.retry', async () => {
        // prepare: the bot refuses this call's first request
        const callId = randomUUID();
        let refused = false;
        bot.answer((request) => {
            if (request.callId !== callId || refused) return { status: 200 };
            refused = true;
            return { status: 500, body: 'down for a moment' };
        });

        // act
        assert.equal(await callback(v1Notification(callId, 'updated', 'established')), 202);
        const message = await retryMessage(callId);
        const traceId = randomBytes(16).toString('hex');
        const outcome = await callRelay()?.wakeUp(message, log, { traceParent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });

        // assess
        assert.equal(outcome, 'delivered');
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'inline', result: 'failed', bot_status: 'other_5xx' }), 1);
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'retry', result: 'delivered', bot_status: '2xx' }), 1);
        const spans = telemetry.spans().filter((span) => span.spanContext().traceId === traceId);
        const retry = spans.find((span) => span.name === SPANS.relayRetry.name);
        assert.ok(retry, "the retry's span, in the invocation's trace");
        assert.deepEqual(retry.attributes, { replay: 'false', outcome: 'delivered' });
        assert.deepEqual(
            childrenOf(spans, retry).map((span) => span.attributes),
            [{ attempt: 'retry', result: 'delivered', bot_status: '2xx', notifications: 1, attempt_number: 2 }],
        );
    });

    test('a request the bot never accepts within RELAY_MAX_AGE_HOURS is dead-lettered: the request and its notifications are counted so', async () => {
        // prepare: the bot answers 503 to this call; the retry runs on a clock past the relay's maximum age
        const callId = randomUUID();
        bot.answer((request) => (request.callId === callId ? { status: 503 } : { status: 200 }));
        const config = appConfig().relay;
        assert.ok(config);
        const later = new CallRelay({
            config,
            store: callStore(),
            queue: new RelayQueue(() => createQueueClient(config.queue)),
            now: () => new Date(Date.now() + config.maxAgeMs + HOUR_MS),
        });

        // act
        assert.equal(await callback({ value: [...v1Notification(callId, 'updated', 'establishing').value, ...v1Notification(callId, 'updated', 'established').value] }), 202);
        await later.wakeUp(await retryMessage(callId), log);

        // assess
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'inline', result: 'failed', bot_status: '503' }), 1);
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'retry', result: 'dead_lettered', bot_status: '503' }), 1);
        assert.equal(await telemetry.total(METRICS.relayNotifications, { outcome: 'dead_lettered' }), 2);
        assert.equal((await callStore().getCallSummary(callId))?.relayFailed, 2, 'the record agrees');
        bot.answer(() => ({ status: 200 }));
    });

    test('a replay is counted as one: its message says so, and its attempts are replay attempts', async () => {
        // prepare: a call delivered once
        const callId = randomUUID();
        assert.equal(await callback(v1Notification(callId, 'updated', 'established')), 202);
        const relay = callRelay();
        assert.ok(relay);

        // act
        await relay.replay(callId, 1, requestAudit(FUNCTION_KEY_REQUESTER, 'the bot lost its state'));
        const message = await retryMessage(callId);
        const outcome = await relay.wakeUp(message, log);

        // assess
        assert.equal(message.replay, true);
        assert.equal(outcome, 'delivered');
        assert.equal(await telemetry.total(METRICS.relayDeliveries, { attempt: 'replay', result: 'delivered', bot_status: '2xx' }), 1);
        const retry = telemetry.spans().findLast((span) => span.name === SPANS.relayRetry.name);
        assert.equal(retry?.attributes.replay, 'true');
        assert.deepEqual(
            bot.requests.filter((request) => request.callId === callId).map((request) => request.webhookId),
            [`${callId}/1`, `${callId}/1`],
            'the same webhook-id again',
        );
    });

    test("each reconciler run reads the relay's backlog: the retry queue's approximate message count, one queue request, no table scan", async () => {
        // prepare: two calls waiting for a retry (the bot refuses them)
        const waiting: string[] = [randomUUID(), randomUUID()];
        bot.answer((request) => (waiting.includes(request.callId) ? { status: 500 } : { status: 200 }));
        for (const callId of waiting) assert.equal(await callback(v1Notification(callId, 'updated', 'established')), 202);
        const { approximateMessagesCount } = await queue.getProperties();

        // act
        const store = callStore();
        const result = await reconcileCalls(
            { table: store.table, store, graph: graphCalls(), log, relay: callRelay() ?? assert.fail('the relay is on') },
            { afterMinutes: 10_080, maxCalls: 10, timeBudgetMs: 60_000 },
        );

        // assess
        assert.equal(result.checked, 0, 'no call was due: only the backlog is of interest here');
        assert.ok((approximateMessagesCount ?? 0) >= waiting.length);
        assert.equal(await telemetry.total(METRICS.relayBacklog), approximateMessagesCount);
        const run = telemetry.spans().findLast((span) => span.name === SPANS.reconcile.name);
        assert.equal(run?.attributes.relay_backlog, approximateMessagesCount);
        bot.answer(() => ({ status: 200 }));
    });

    test('every refusal of authorize() is counted by route group, status and reason, and an allowed request is not', async () => {
        // prepare
        const entra: AccessConfig = { mode: 'entra', platformSignIn: true };
        const principal = (roles: string[]) =>
            Buffer.from(JSON.stringify({ auth_typ: 'aad', claims: [{ typ: 'oid', val: randomUUID() }, ...roles.map((role) => ({ typ: 'roles', val: role }))] })).toString('base64');
        const request = (method: string, headers: Record<string, string> = {}) => ({ method, headers: { get: (name: string) => headers[name.toLowerCase()] ?? null } });
        const attempt = (run: () => unknown) => {
            try {
                run();
            } catch {
                // Refused: what the counters say is the test.
            }
        };

        // act
        attempt(() => authorize(request('GET'), APP_ROLES.read, { mode: 'entra', platformSignIn: false }, 'console'));
        attempt(() => authorize(request('GET'), APP_ROLES.read, entra, 'calls'));
        attempt(() => authorize(request('GET', { 'x-ms-client-principal': 'not a principal' }), APP_ROLES.read, entra, 'openapi'));
        attempt(() => authorize(request('DELETE', { 'x-ms-client-principal': principal([APP_ROLES.read]), 'x-requested-with': 'test' }), APP_ROLES.operate, entra, 'hangup'));
        attempt(() => authorize(request('POST', { 'x-ms-client-principal': principal([APP_ROLES.operate]) }), APP_ROLES.operate, entra, 'replay'));
        attempt(() => signedIn(request('GET'), entra, 'me'));
        authorize(request('GET', { 'x-ms-client-principal': principal([APP_ROLES.operate]) }), APP_ROLES.operate, entra, 'doctor');
        authorize(request('DELETE'), APP_ROLES.operate, { mode: 'functionKey', platformSignIn: false }, 'hangup');

        // assess
        const refused = (await telemetry.points()).filter((point) => point.name === METRICS.accessRefused.name);
        assert.deepEqual(refused.map((point) => `${point.attributes.route} ${point.attributes.status} ${point.attributes.reason}: ${point.value}`).sort(), [
            'calls 401 no_principal: 1',
            'console 401 platform_off: 1',
            'hangup 403 missing_role: 1',
            'me 401 no_principal: 1',
            'openapi 401 unreadable: 1',
            'replay 403 cross_site: 1',
        ]);
        assert.ok(
            refused.every((point) => Object.keys(point.attributes).sort().join() === 'reason,route,status'),
            'nothing about who asked',
        );
    });
});
