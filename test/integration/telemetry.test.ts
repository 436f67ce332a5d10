// The app's telemetry as Application Insights receives it: the local host runs the app with a connection string
// (APPLICATIONINSIGHTS_CONNECTION_STRING) naming the simulator's ingestion endpoint, which, like the template's
// component, takes Entra tokens only; the real Azure Monitor exporter signs in with a managed identity (a local
// stand-in of the platform's endpoint). The app runs as a deployment with sign-in and the relay on does
// (API_AUTH=entra behind the local host's sign-in; RELAY_URL a bot endpoint). The test drives the callback (202, a
// redelivery, 400, 401s, a 503), API requests refused (no principal, a reader hanging up), a hang-up Graph accepts
// and one it refuses, the reconciler (a call Graph forgot, then a run Graph refuses), the purge, and the relay (a
// first attempt delivered, a call the bot refuses until it is dead-lettered, a replay), stops the host (its
// terminate hook sends what is pending) and reads back every item ingestion took.
// Each metric must carry exactly the catalogue's attributes and values, and every instrument of the catalogue
// must have been written: together with test/infra (alerts only name catalogue entries) no alert can watch a
// signal the app never sends.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { simulatorAppSettings, startSimulator, type RunningSimulator, type TelemetryEnvelope } from '../../dev/simulator';
import { CallStore } from '../../shared/record/callStore';
import { METRICS, SPANS, type MetricDefinition } from '../../shared/telemetry/catalogue';
import { v1Notification } from '../fixtures/notifications';
import { notificationEvent } from '../support/callStoreWriter';
import { startCallbackIssuer, type CallbackIssuer } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { startManagedIdentityEndpoint, type ManagedIdentityEndpoint } from '../support/managedIdentityEndpoint';
import { eventually } from '../support/relayApp';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { newRelaySecret, startTestBot, type TestBot } from '../support/testBot';
import { testTls } from '../support/tls';
import { APP_ROLES } from '../../shared/access/appRoles';

const BOT_APP_ID = '5d1c3b2a-7e6f-4a8b-9c0d-1e2f3a4b5c6d';
const TENANT = 'abababab-1111-4111-8111-abababababab';
const IDENTITY_CLIENT_ID = 'cdcdcdcd-2222-4222-8222-cdcdcdcdcdcd';
const DAY_MS = 86_400_000;
/** The timers run when the test says, never on their own schedule in the middle of it. */
const NEVER = '0 0 0 1 1 *';

interface MetricPoint {
    name: string;
    value: number;
    count: number;
    max?: number;
    properties: Record<string, string>;
}

interface SpanItem {
    name: string;
    id: string;
    success: boolean;
    operationId: string;
    parentId: string | undefined;
    properties: Record<string, string>;
}

/** The app's metric data points; the exporter's own `_OTELRESOURCE_` metric (the resource's attributes) is left out. */
function metricPoints(items: readonly TelemetryEnvelope[]): MetricPoint[] {
    return items
        .filter((item) => item.data?.baseType === 'MetricData')
        .flatMap((item) => {
            const data = item.data?.baseData as { metrics: Array<{ name: string; value: number; count: number; max?: number }>; properties?: Record<string, string> };
            return data.metrics.map((metric) => ({ ...metric, properties: data.properties ?? {} }));
        })
        .filter((point) => point.name !== '_OTELRESOURCE_');
}

function spans(items: readonly TelemetryEnvelope[]): SpanItem[] {
    return items
        .filter((item) => item.data?.baseType === 'RemoteDependencyData')
        .map((item) => {
            const data = item.data?.baseData as { name: string; id: string; success: boolean; properties?: Record<string, string> };
            return {
                name: data.name,
                id: data.id,
                success: data.success,
                operationId: item.tags?.['ai.operation.id'] ?? '',
                parentId: item.tags?.['ai.operation.parentId'],
                properties: data.properties ?? {},
            };
        });
}

/** The total of a metric's data points whose attributes include `attributes`. */
function total(points: readonly MetricPoint[], metric: MetricDefinition, attributes: Record<string, string> = {}): number {
    return points
        .filter((point) => point.name === metric.name && Object.entries(attributes).every(([name, value]) => point.properties[name] === value))
        .reduce((sum, point) => sum + point.value, 0);
}

describe('telemetry: metrics and traces as Application Insights receives them', () => {
    let sim: RunningSimulator;
    let issuer: CallbackIssuer;
    let identity: ManagedIdentityEndpoint;
    let bot: TestBot;
    let host: HostProcess;
    let items: TelemetryEnvelope[];
    /** The second deployment's: keepAlive and call records. */
    let lifecycleSim: RunningSimulator;
    let lifecycleHost: HostProcess;
    let lifecycleItems: TelemetryEnvelope[];
    let lifecycleLogs: string;
    const tableName = uniqueTableName('telemetry');
    const queueName = `telemetry-${randomUUID().slice(0, 8)}`;
    /** The trace id the stored callback was sent with, and the call it stored. */
    const traceId = randomBytes(16).toString('hex');
    const storedCall = randomUUID();
    /** A call the bot refuses until its notification is dead-lettered. */
    const refusedByBot = randomUUID();

    const post = async (body: string, authorization?: string, headers: Record<string, string> = {}) =>
        fetch(`${host.baseUrl}/callback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }), ...headers },
            body,
        });
    const token = (claims: Record<string, unknown> = {}) => issuer.sign({ aud: BOT_APP_ID, tid: TENANT, ...claims });
    /** Signs in at the local host's page, as a person would; the session cookie. */
    const signIn = async (name: string, roles: readonly string[]): Promise<string> => {
        const form = new URLSearchParams({ kind: 'user', name, post_login_redirect_uri: '/api/console' });
        for (const role of roles) form.append('role', role);
        const answer = await fetch(`${new URL(host.baseUrl).origin}/.auth/login/aad`, { method: 'POST', body: form, redirect: 'manual' });
        assert.equal(answer.status, 302, await answer.text());
        return answer.headers.get('set-cookie')?.split(';')[0] ?? '';
    };
    const hangUp = (callId: string, cookie: string) => fetch(`${host.baseUrl}/calls/${callId}`, { method: 'DELETE', headers: { cookie, 'x-requested-with': 'telemetry test' } });

    before(async () => {
        const relaySecret = newRelaySecret();
        [sim, issuer, identity, bot] = await Promise.all([
            startSimulator({ port: 0, tls: testTls() }),
            startCallbackIssuer(),
            startManagedIdentityEndpoint(TENANT),
            startTestBot(relaySecret),
        ]);
        bot.answer((request) => (request.callId === refusedByBot ? { status: 500, body: 'not now' } : { status: 200 }));
        // prepare: an ended call that started 10 days ago, for the purge to delete.
        const store = new CallStore(testTableClient(tableName), { dedupeWindowSeconds: 600 });
        const old = Date.now() - 10 * DAY_MS;
        await store.appendCallEvents('telemetry-old-call', [
            notificationEvent('old', 1, { receivedAt: new Date(old), callState: 'established' }),
            notificationEvent('old', 2, { receivedAt: new Date(old + 1000), callState: 'terminated', changeType: 'deleted' }),
        ]);
        host = await startHostProcess({
            env: {
                ...simulatorAppSettings(sim),
                ...identity.env,
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: tableName,
                CALL_EVENTS_QUEUE: queueName,
                BOT_APP_ID,
                CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
                RECONCILE_AFTER_MINUTES: '0',
                RECONCILE_SCHEDULE: NEVER,
                RETENTION_SCHEDULE: NEVER,
                RETENTION_DAYS: '1',
                GRAPH_TIMEOUT_SECONDS: '5',
                APPLICATIONINSIGHTS_CONNECTION_STRING: sim.applicationInsightsConnectionString,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${IDENTITY_CLIENT_ID};Authorization=AAD`,
                // The exporter's own usage statistics go to Microsoft's endpoints, which this machine cannot reach.
                APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
                API_AUTH: 'entra',
                RELAY_URL: bot.url,
                RELAY_SECRET: relaySecret,
                RELAY_QUEUE: `telemetry-relay-${randomUUID().slice(0, 8)}`,
                RELAY_RETRY_SCHEDULE: '1s',
                // Dead-lettered after 3.6 s: long enough for a first attempt and a retry.
                RELAY_MAX_AGE_HOURS: '0.001',
                AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            },
            signIn: true,
        });
        const operator = await signIn('Ada Lovelace', [APP_ROLES.operate]);
        const reader = await signIn('Grace Hopper', [APP_ROLES.read]);

        // act: callbacks with each answer the metrics tell apart.
        const stored = JSON.stringify({ value: [...v1Notification(storedCall, 'updated', 'establishing').value, ...v1Notification(storedCall, 'updated', 'established').value] });
        const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
        assert.equal((await post(stored, `Bearer ${await token()}`, { traceparent })).status, 202);
        assert.equal((await post(stored, `Bearer ${await token()}`)).status, 202, 'the redelivery');
        assert.equal((await post('{not json', `Bearer ${await token()}`)).status, 400);
        assert.equal((await post(stored, `Bearer ${await token({ aud: 'another-bot' })}`)).status, 401);
        assert.equal((await post(stored)).status, 401);
        // A token signed with a key the JWKS does not have yet, while the JWKS is down: the keys cannot be had.
        await issuer.rotate({ keepOld: true });
        issuer.setJwksAnswer({ status: 503 });
        assert.equal((await post(stored, `Bearer ${await token()}`)).status, 503);
        issuer.setJwksAnswer('ok');

        // act: API requests the app refuses: nobody signed in, and a reader hanging up.
        assert.equal((await fetch(`${host.baseUrl}/calls`)).status, 401);
        assert.equal((await hangUp(storedCall, reader)).status, 403);

        // act: a hang-up Graph takes, and one it refuses (the app's permissions).
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback`, notify: false });
        assert.equal((await hangUp(call.id, operator)).status, 204);
        const refusedCall = randomUUID();
        // Graph refuses the hang-up; later the reconciler's GET finds no such call.
        sim.script(refusedCall, [{ status: 403 }, { status: 404 }]);
        assert.equal((await hangUp(refusedCall, operator)).status, 502);

        // act: the reconciler closes the call Graph never heard of, then a run Graph refuses; the purge deletes the old call.
        await host.runFunction('reconcileCalls');
        const forgotten = randomUUID();
        assert.equal((await post(JSON.stringify(v1Notification(forgotten, 'updated', 'established')), `Bearer ${await token()}`)).status, 202);
        sim.script(forgotten, [{ status: 403 }]);
        await host.runFunction('reconcileCalls');
        await host.runFunction('purgeCalls');

        // act: the relay. A call the bot refuses until its notification is dead-lettered (the retry trigger's
        // attempts), then the stored call delivered again by a replay an operator asks for.
        const table = testTableClient(tableName);
        assert.equal((await post(JSON.stringify(v1Notification(refusedByBot, 'updated', 'established')), `Bearer ${await token()}`)).status, 202);
        await eventually(
            'the refused notification dead-lettered',
            async () => ((await table.getEntity<{ relayFailed?: number }>(refusedByBot, 'state')).relayFailed === 1 ? true : undefined),
            30_000,
            () => host.logs(),
        );
        const replay = await fetch(`${host.baseUrl}/calls/${storedCall}/relay`, {
            method: 'POST',
            headers: { cookie: operator, 'content-type': 'application/json' },
            body: JSON.stringify({ fromSequence: 1, reason: 'the bot lost its state' }),
        });
        assert.equal(replay.status, 202, await replay.text());
        await eventually(
            'the replay delivered',
            () => (bot.requests.filter((request) => request.webhookId === `${storedCall}/1` && request.status === 200).length === 2 ? true : undefined),
            20_000,
            () => host.logs(),
        );

        // The host's terminate hook exports the last interval's metrics and the pending spans.
        await host.stop();
        items = sim.telemetry();

        // A second deployment, on its own simulator (Graph and ingestion): keepAlive and Graph's call records on. A
        // call kept alive, then hung up: its end schedules the fetch of its record, which Graph does not have yet.
        lifecycleSim = await startSimulator({ port: 0, tls: testTls() });
        const suffix = randomUUID().slice(0, 8);
        lifecycleHost = await startHostProcess({
            env: {
                ...simulatorAppSettings(lifecycleSim),
                ...identity.env,
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: uniqueTableName('telemetrylifecycle'),
                CALL_EVENTS_QUEUE: `telemetry-events-${suffix}`,
                CALL_RECORDS: 'on',
                CALL_RECORDS_QUEUE: `telemetry-fetches-${suffix}`,
                CALL_RECORDS_CONTAINER: `telemetry-records-${suffix}`,
                CALL_RECORD_DELAY_MINUTES: '0',
                KEEP_ALIVE_MINUTES: '15',
                RECONCILE_SCHEDULE: NEVER,
                RETENTION_SCHEDULE: NEVER,
                GRAPH_TIMEOUT_SECONDS: '5',
                APPLICATIONINSIGHTS_CONNECTION_STRING: lifecycleSim.applicationInsightsConnectionString,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${IDENTITY_CLIENT_ID};Authorization=AAD`,
                APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
                AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            },
        });
        const kept = lifecycleSim.createCall({ callbackUri: `${lifecycleHost.baseUrl}/callback` });
        await lifecycleSim.settled();
        await lifecycleHost.runFunction('keepCallsAlive');
        assert.equal((await fetch(`${lifecycleHost.baseUrl}/calls/${kept.id}`, { method: 'DELETE' })).status, 204);
        await lifecycleSim.settled();
        await eventually(
            'the first try at its call record',
            () => (lifecycleHost.logs().includes(`Call record of call ${kept.id}, try 1:`) ? true : undefined),
            20_000,
            () => lifecycleHost.logs(),
        );
        await lifecycleHost.stop();
        lifecycleItems = lifecycleSim.telemetry();
        lifecycleLogs = lifecycleHost.logs();
    });

    after(async () => {
        await Promise.all([host?.stop(), lifecycleHost?.stop()]);
        await Promise.all([sim?.stop(), lifecycleSim?.stop(), issuer?.stop(), identity?.stop(), bot?.stop()]);
    });

    test('the exporter signed in with the managed identity named by APPLICATIONINSIGHTS_AUTHENTICATION_STRING, and ingestion refused nothing', () => {
        // assess
        const monitorTokens = identity.requests().filter((request) => request.resource?.startsWith('https://monitor.azure.com'));
        assert.ok(monitorTokens.length > 0, 'a token for Azure Monitor was asked for');
        assert.ok(
            monitorTokens.every((request) => request.clientId === IDENTITY_CLIENT_ID),
            'as the user-assigned identity',
        );
        assert.equal(sim.stats().ingestionRefusals, 0);
        assert.ok(items.length > 0);
    });

    test('a 401, a 503, a stored notification and a redelivery move the callback counters with their status and reason', () => {
        // assess
        const points = metricPoints(items);
        // The stored callback, its redelivery, the call Graph forgot, and the call the bot refuses.
        assert.equal(total(points, METRICS.callbackRequests, { status: '202' }), 4);
        assert.equal(total(points, METRICS.callbackRequests, { status: '400' }), 1);
        assert.equal(total(points, METRICS.callbackRequests, { status: '401', reason: 'audience' }), 1);
        assert.equal(total(points, METRICS.callbackRequests, { status: '401', reason: 'no_token' }), 1);
        assert.equal(total(points, METRICS.callbackRequests, { status: '503', reason: 'signing_keys' }), 1);
        assert.equal(total(points, METRICS.notifications, { outcome: 'stored' }), 4);
        assert.equal(total(points, METRICS.notifications, { outcome: 'duplicate' }), 2);
        const latency = points.filter((point) => point.name === METRICS.callbackDuration.name && point.properties.status === '202');
        assert.equal(
            latency.reduce((sum, point) => sum + point.count, 0),
            4,
            'one latency per acknowledged callback',
        );
        assert.ok(latency.every((point) => point.value > 0 && (point.max ?? 0) > 0));
    });

    test('hang-ups count by what Graph answered; the reconciler, the active calls, the purge and the call-ended messages by outcome', () => {
        // assess
        const points = metricPoints(items);
        assert.equal(total(points, METRICS.hangups, { graph_status: '2xx' }), 1);
        assert.equal(total(points, METRICS.hangups, { graph_status: '403' }), 1);
        // The first run checks the three calls the record knows (the stored one and the two hung up), all gone from
        // Graph, and closes them; the second checks the call stored since, and Graph refuses it.
        assert.equal(total(points, METRICS.reconcilerCalls, { outcome: 'checked' }), 4);
        assert.equal(total(points, METRICS.reconcilerCalls, { outcome: 'closed' }), 3);
        assert.equal(total(points, METRICS.callEventMessages, { type: 'call_ended', result: 'queued' }), 3, 'one call-ended message per closed call');
        assert.equal(total(points, METRICS.reconcilerRuns, { result: 'completed' }), 1);
        assert.equal(total(points, METRICS.reconcilerRuns, { result: 'refused' }), 1);
        assert.ok(
            points.some((point) => point.name === METRICS.activeCalls.name),
            'the active calls, counted by each run',
        );
        assert.equal(total(points, METRICS.purged, { item: 'call' }), 1);
        assert.equal(total(points, METRICS.purged, { item: 'row' }) >= 2, true);
        assert.equal(total(points, METRICS.functionFailures, { function: 'reconcileCalls' }), 1, 'the refused run failed its invocation');
    });

    test('the relay counts its requests by how they were sent and what became of them, the notifications it settled, and its backlog', () => {
        // assess
        const points = metricPoints(items);
        // The stored callback (two notifications in one request), the call Graph forgot, and the first attempt for the refused call.
        assert.equal(total(points, METRICS.relayDeliveries, { attempt: 'inline', result: 'delivered', bot_status: '2xx' }), 2);
        assert.equal(total(points, METRICS.relayDeliveries, { attempt: 'inline', result: 'failed', bot_status: 'other_5xx' }), 1);
        assert.equal(total(points, METRICS.relayDeliveries, { attempt: 'retry', result: 'dead_lettered', bot_status: 'other_5xx' }), 1);
        assert.equal(total(points, METRICS.relayDeliveries, { attempt: 'replay', result: 'delivered', bot_status: '2xx' }), 1);
        assert.equal(total(points, METRICS.relayNotifications, { outcome: 'dead_lettered' }), 1);
        assert.equal(total(points, METRICS.relayNotifications, { outcome: 'delivered' }), 2 + 1 + 2, 'first attempts, then the replay');
        assert.ok(
            points.some((point) => point.name === METRICS.relayBacklog.name),
            "the retry queue's count, read by each reconciler run",
        );
        const durations = points.filter((point) => point.name === METRICS.relayDuration.name);
        assert.equal(
            durations.reduce((sum, point) => sum + point.count, 0),
            total(points, METRICS.relayDeliveries),
            'one duration per request',
        );
    });

    test('API requests the app refuses are counted by route and reason, never by who asked', () => {
        // assess
        const points = metricPoints(items);
        assert.equal(total(points, METRICS.accessRefused, { route: 'calls', status: '401', reason: 'no_principal' }), 1);
        assert.equal(total(points, METRICS.accessRefused, { route: 'hangup', status: '403', reason: 'missing_role' }), 1);
        assert.equal(total(points, METRICS.accessRefused), 2);
    });

    test('keepAlive counts its requests by what Graph answered and its runs; a call record fetch by what came of it', () => {
        // assess
        const points = metricPoints(lifecycleItems);
        // The run the test asked for, and any its 15-minute schedule started meanwhile: as many as the host logged.
        const runs = [...lifecycleLogs.matchAll(/Kept calls alive(?: \(this run was past due\))?: \d+ active calls, \d+ keepAlives sent: (\d+) kept alive/g)];
        assert.ok(runs.length >= 1);
        assert.equal(total(points, METRICS.keepAliveRuns, { result: 'completed' }), runs.length);
        assert.equal(
            total(points, METRICS.keepAliveRequests, { graph_status: '2xx' }),
            runs.reduce((sum, run) => sum + Number(run[1]), 0),
        );
        assert.ok(total(points, METRICS.keepAliveRequests, { graph_status: '2xx' }) >= 1, 'the call was kept alive');
        assert.equal(total(points, METRICS.callRecordFetches, { result: 'not_yet' }), 1, "Graph has a call's record minutes after the call");
        assert.ok(spans(lifecycleItems).some((span) => span.name === SPANS.keepAlive.name && span.properties.kept_alive === '1'));
        assert.ok(
            runs.some((run) => run[1] === '1'),
            'the run the test asked for kept the call alive',
        );
    });

    test('every data point carries exactly the attributes its catalogue entry lists, with listed values, and every instrument was written', () => {
        // assess: both deployments' together
        const points = metricPoints([...items, ...lifecycleItems]);
        const byName = new Map<string, MetricDefinition>(Object.values(METRICS).map((metric) => [metric.name, metric]));
        for (const point of points) {
            const metric = byName.get(point.name);
            assert.ok(metric, `${point.name} is in the catalogue`);
            for (const [name, value] of Object.entries(point.properties)) {
                const attribute = (metric.attributes as Record<string, { values?: readonly string[] }>)[name];
                assert.ok(attribute, `${point.name} has no attribute ${name}`);
                if (attribute.values !== undefined) assert.ok(attribute.values.includes(value), `${point.name} ${name}=${value} is not a listed value`);
            }
            for (const [name, attribute] of Object.entries(metric.attributes as Record<string, { optional?: true }>)) {
                if (attribute.optional !== true) assert.ok(name in point.properties, `${point.name} always carries ${name}`);
            }
        }
        const written = new Set(points.map((point) => point.name));
        assert.deepEqual(
            Object.values(METRICS)
                .map((metric) => metric.name)
                .filter((name) => !written.has(name)),
            [],
            'instruments the catalogue lists that the app never wrote',
        );
        const attributesSeen = new Set(points.flatMap((point) => Object.keys(point.properties).map((name) => `${point.name} ${name}`)));
        const attributesListed = Object.values(METRICS).flatMap((metric) => Object.keys(metric.attributes).map((name) => `${metric.name} ${name}`));
        assert.deepEqual(
            attributesListed.filter((entry) => !attributesSeen.has(entry)),
            [],
            'attributes the catalogue lists that the app never wrote',
        );
    });

    test('one trace per callback: verify, store, relay and answer are children of the callback span, in the trace the request came with', () => {
        // assess
        const all = spans(items);
        const callback = all.filter((span) => span.name === SPANS.callback.name && span.operationId === traceId);
        assert.equal(callback.length, 1, 'the stored callback is one callback span in its trace');
        const [root] = callback;
        assert.ok(root);
        assert.equal(root.properties.status, '202');
        assert.equal(root.properties.stored, '2');
        assert.ok(root.parentId !== undefined, "the host invocation's span is its parent");
        const children = all.filter((span) => span.parentId === root.id).map((span) => span.name);
        assert.deepEqual(children.sort(), [SPANS.callbackAnswer.name, SPANS.callbackRelay.name, SPANS.callbackStore.name, SPANS.callbackVerify.name].sort());
        // The relay's first attempt, a child of its step.
        const relaying = all.find((span) => span.name === SPANS.callbackRelay.name && span.parentId === root.id);
        assert.ok(relaying);
        assert.deepEqual(
            all.filter((span) => span.parentId === relaying.id).map((span) => [span.name, span.properties.attempt, span.properties.result, span.properties.notifications]),
            [[SPANS.relayAttempt.name, 'inline', 'delivered', '2']],
        );
        assert.ok(all.filter((span) => span.operationId === traceId).every((span) => span.success));
        // A refused token fails the verify span of its own trace, with the reason.
        const refused = all.filter((span) => span.name === SPANS.callbackVerify.name && span.properties.reason === 'audience');
        assert.equal(refused.length, 1);
        assert.equal(refused[0]?.success, false);
        const spanNames = new Set<string>(Object.values(SPANS).map((span) => span.name));
        assert.deepEqual(
            [...new Set(all.map((span) => span.name))].filter((name) => !spanNames.has(name)),
            [],
            'every span is in the catalogue',
        );
        for (const span of all) {
            const definition = Object.values(SPANS).find((entry) => (entry.name as string) === span.name);
            const listed = Object.keys(definition?.attributes ?? {});
            assert.deepEqual(
                Object.keys(span.properties).filter((name) => !listed.includes(name)),
                [],
                `${span.name} carries attributes its catalogue entry does not list`,
            );
        }
        assert.ok(['hangup', 'reconcile', 'purge', 'relay.retry'].every((name) => all.some((span) => span.name === name)));
    });

    test("the app's logs reach Application Insights from the worker, once each (the host is told not to forward them)", () => {
        // assess
        const messages = items.filter((item) => item.data?.baseType === 'MessageData').map((item) => String((item.data?.baseData as { message?: unknown } | undefined)?.message));
        assert.equal(messages.filter((message) => message.includes('"aud" claim is not acceptable')).length, 1);
        assert.ok(messages.some((message) => message.startsWith('Reconciled')));
    });
});
