// No request path of the app scans the table (SPEC "Across calls"). A recording proxy in front of Azurite's table
// service sees every table request the app sends while this test drives, through the local host and the call
// simulator (Graph for the hang-ups and the reconciler's GETs), every HTTP operation of the OpenAPI document, both
// timers through the host's admin endpoint, the relay's retries through its queue trigger (the relay is on, to a bot
// of the test's), and every `calls` command; every entity query must be confined to
// partitions (test/support/tableScans.ts). `calls reindex` is the one documented exception: it builds the index by
// reading every summary row once, with exactly `RowKey eq 'state'`, and nothing else may query like it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { HELP } from '../../cli/arguments';
import type { ParticipantListJson } from '../../shared/participants/participantQueries';
import type { CallListPageJson, CallSummaryJson, HistoryPageJson } from '../../shared/query/callJson';
import type { NewCallEvent } from '../../shared/record/callModel';
import { ACTIVE_PARTITION, indexRowKey } from '../../shared/record/callIndex';
import { CallStore } from '../../shared/record/callStore';
import { tableEndpointOf } from '../../shared/settings/connectionString';
import { v1Notification } from '../fixtures/notifications';
import { startCallbackIssuer, type CallbackIssuer } from '../support/callbackIssuer';
import { REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';
import { appOpenApi, checkedFetch } from '../support/openApi';
import { proxiedTableConnectionString, startRecordingProxy, type RecordedRequest, type RecordingProxy } from '../support/recordingProxy';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { tableQueries, tableScans, type TableQuery } from '../support/tableScans';
import { newRelaySecret, startTestBot, type TestBot } from '../support/testBot';
import { testTls } from '../support/tls';

const CLI = path.resolve(__dirname, '../../cli/calls.js');
/** Timers that never fire by themselves during the test: it runs them through the admin endpoint. */
const NEVER = '0 0 0 1 1 *';
const RETENTION_DAYS = 30;
/** Calls old enough for the retention timer, and calls only `calls purge --older-than CLI_PURGE_DAYS` deletes. */
const TIMER_PURGED_AGE_DAYS = 60;
const CLI_PURGED_AGE_DAYS = 20;
const CLI_PURGE_DAYS = 10;
const DAY_MS = 86_400_000;
/** The one filter `calls reindex` may send without a PartitionKey: every summary row, once. */
const REINDEX_FILTER = "RowKey eq 'state'";

interface Step {
    name: string;
    requests: RecordedRequest[];
}

interface CliRun {
    code: number | null;
    stdout: string;
    stderr: string;
}

describe('no request path scans the table: every HTTP route, timer and CLI command, recorded at the table', () => {
    const tableName = uniqueTableName('noscan');
    const direct = testTableClient(tableName);
    let proxy: RecordingProxy;
    let sim: RunningSimulator;
    let issuer: CallbackIssuer;
    /** Receives the simulator's callbacks (tokens signed by the simulator). */
    let host: HostProcess;
    /** Receives the test's own callbacks (tokens signed by the test's issuer): redeliveries, unroutable. */
    let relay: HostProcess;
    let workDir: string;
    const steps: Step[] = [];
    /** The app operations the test sent requests for (operationId), and the timers and commands it ran. */
    const driven = { operations: new Set<string>(), timers: new Set<string>(), commands: new Set<string>() };
    /** The call-ended events' queue of the hosts (and of `calls events`). */
    const eventsQueue = `noscan-${randomUUID().slice(0, 8)}`;
    /** The relay to the bot: its retry queue and its secret. */
    const relayQueue = `noscan-relay-${randomUUID().slice(0, 8)}`;
    const relaySecret = newRelaySecret();
    let bot: TestBot;
    /** Calls as the test knows them. */
    const calls = { answered: '', stuck: '', live: '', relayed: randomUUID(), never: randomUUID(), deadLetter: randomUUID() };
    /** Ended calls written long ago, in order: for the retention timer, then for `calls purge`. */
    const old = { timer: [] as string[], cli: [] as string[] };

    before(async () => {
        const connectionString = testConnectionString();
        [proxy, sim, issuer, bot] = await Promise.all([
            startRecordingProxy(new URL(tableEndpointOf(connectionString) ?? '').origin),
            startSimulator({ port: 0, tls: testTls() }),
            startCallbackIssuer(),
            startTestBot(relaySecret),
        ]);
        workDir = mkdtempSync(path.join(os.tmpdir(), 'no-table-scans-'));
        const settings = {
            ...simulatorAppSettings(sim),
            CallHistoryStorage: proxiedTableConnectionString(connectionString, proxy),
            CALL_HISTORY_TABLE: tableName,
            CALL_EVENTS_QUEUE: eventsQueue,
            RECONCILE_AFTER_MINUTES: '0',
            RECONCILE_SCHEDULE: NEVER,
            RETENTION_DAYS: String(RETENTION_DAYS),
            RETENTION_SCHEDULE: NEVER,
            // Its schedule follows from the interval (every 30 minutes); the test runs it through the admin endpoint.
            KEEP_ALIVE_MINUTES: '30',
            // Graph's call record of every ended call, fetched at once by the queue trigger (the simulator has it at once).
            CALL_RECORDS: 'on',
            CALL_RECORDS_QUEUE: `noscan-fetches-${eventsQueue.slice(-8)}`,
            CALL_RECORD_DELAY_MINUTES: '0',
            AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            GRAPH_TIMEOUT_SECONDS: '3',
            ...relaySettings(),
            // A notification the bot refuses for 1.8 s is dead-lettered; retries every second, polled every 200 ms (above).
            RELAY_MAX_AGE_HOURS: '0.0005',
            RELAY_RETRY_SCHEDULE: '1s',
        };
        sim.clock({ callRecordDelayMinutes: 0 });
        [host, relay] = await Promise.all([
            startHostProcess({ env: settings, timerStatusDir: path.join(workDir, 'host-timers') }),
            startHostProcess({
                env: { ...settings, CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl },
                timerStatusDir: path.join(workDir, 'relay-timers'),
            }),
        ]);
        // The oldest first: unrouted notifications are purged from the partition's oldest row on.
        old.timer = await oldEndedCalls(TIMER_PURGED_AGE_DAYS, 3);
        old.cli = await oldEndedCalls(CLI_PURGED_AGE_DAYS, 2);
    });
    after(async () => {
        await Promise.all([host?.stop(), relay?.stop()]);
        await Promise.all([proxy?.stop(), sim?.stop(), issuer?.stop(), bot?.stop()]);
        if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
    });

    function relaySettings(): Record<string, string> {
        return { RELAY_URL: bot.url, RELAY_SECRET: relaySecret, RELAY_QUEUE: relayQueue };
    }

    /** Runs `act` and keeps the table requests sent meanwhile under `name`. */
    async function step<T>(name: string, act: () => Promise<T>): Promise<T> {
        const from = proxy.requests().length;
        try {
            return await act();
        } finally {
            steps.push({ name, requests: proxy.requests().slice(from) });
        }
    }

    /** A request to the app's API, its answer checked against the OpenAPI document. */
    async function app(on: HostProcess, method: string, apiPath: string, init: RequestInit = {}): Promise<Response> {
        const url = `${on.baseUrl}${apiPath}`;
        const operation = appOpenApi().operationOf(method, url);
        if (operation !== undefined) driven.operations.add(operation.operationId);
        return checkedFetch(url, { ...init, method });
    }

    async function appJson<T>(method: string, apiPath: string, status = 200): Promise<T> {
        const response = await app(host, method, apiPath);
        assert.equal(response.status, status, `${method} ${apiPath}: ${await response.clone().text()}`);
        return (await response.json()) as T;
    }

    async function relayCallback(body: unknown): Promise<unknown> {
        const response = await app(relay, 'POST', '/callback', {
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await issuer.sign({ aud: sim.botAppId, tid: sim.tenantId })}` },
            body: JSON.stringify(body),
        });
        assert.equal(response.status, 202, await response.clone().text());
        return response.json();
    }

    /** Runs a timer through the host's admin endpoint (the host's API, not the app's) and waits for its end. */
    function runTimer(name: string): Promise<string> {
        driven.timers.add(name);
        return host.runFunction(name);
    }

    /** The `calls` command line on the app's settings (the proxied table), in a folder without local settings. */
    function cli(args: string[]): Promise<CliRun> {
        driven.commands.add(args[0] ?? '');
        const env = {
            PATH: process.env.PATH ?? '',
            // `calls doctor` asks Graph and the signing keys too: the simulator, as the hosts do.
            ...simulatorAppSettings(sim),
            CallHistoryStorage: proxiedTableConnectionString(testConnectionString(), proxy),
            CALL_HISTORY_TABLE: tableName,
            // `calls events` reads the hosts' queue; it has no business with the table at all.
            AzureWebJobsStorage: testConnectionString(),
            CALL_EVENTS_QUEUE: eventsQueue,
            // `calls relay replay` puts its retry message on the app's relay queue.
            ...relaySettings(),
        };
        return new Promise((resolve) => {
            execFile(process.execPath, [CLI, ...args], { cwd: workDir, env, timeout: 60_000 }, (err, stdout, stderr) => {
                resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
            });
        });
    }

    async function cliOk(args: string[]): Promise<string> {
        const run = await step(`calls ${args.join(' ')}`, () => cli(args));
        assert.equal(run.code, 0, `calls ${args.join(' ')}: ${run.stderr}`);
        return run.stdout;
    }

    /** Ended calls that started `days` ago, and an unrouted notification received then, written as the app writes them. */
    async function oldEndedCalls(days: number, count: number): Promise<string[]> {
        const store = new CallStore(direct, { dedupeWindowSeconds: 600 });
        const at = (seconds: number) => new Date(Date.now() - days * DAY_MS + seconds * 1000);
        const ids = Array.from({ length: count }, () => randomUUID());
        for (const callId of ids) {
            const event = (callState: string, seconds: number): NewCallEvent => ({
                kind: 'notification',
                resourceKind: 'call',
                resourceUrl: `/communications/calls/${callId}`,
                changeType: 'updated',
                callState,
                receivedAt: at(seconds),
                resourceData: JSON.stringify({ state: callState }),
            });
            await store.appendCallEvents(callId, [event('established', 0), event('terminated', 60)]);
        }
        await store.appendCallEvents('_unrouted', [{ kind: 'rejected', receivedAt: at(0), rejectReason: 'The notification has no resourceUrl or resource.', resourceData: '{}' }]);
        return ids;
    }

    /** Every step whose name starts with one of `prefixes` sent only queries confined to partitions. */
    function assertNoScans(...prefixes: string[]): void {
        const chosen = steps.filter((s) => prefixes.some((prefix) => s.name.startsWith(prefix)));
        assert.ok(chosen.length > 0, `no step starts with ${prefixes.join(' or ')}`);
        const scans = chosen.flatMap((s) => tableScans(s.requests).map((query) => `${s.name}: ${describeQuery(query)}`));
        assert.deepEqual(scans, [], 'table scans');
    }

    function queriesOf(name: string): TableQuery[] {
        return tableQueries(steps.filter((s) => s.name === name).flatMap((s) => s.requests));
    }

    test('POST /api/callback: new calls, their redeliveries, a notification of the test, its redelivery, an unroutable one', async () => {
        // act: the simulator places calls and delivers every callback twice, as a redelivering Graph would
        await step('POST /api/callback (simulator: new calls, each notification twice)', async () => {
            sim.setFaults({ duplicate: true });
            const callbackUri = `${host.baseUrl}/callback`;
            calls.answered = sim.createCall({ callbackUri, participants: true }).id;
            calls.stuck = sim.createCall({ callbackUri, dropLastNotifications: 2 }).id;
            calls.live = sim.createCall({ callbackUri }).id;
            await sim.settled(20_000);
            sim.clearFaults();
        });
        const first = await step('POST /api/callback (a new call)', () => relayCallback(v1Notification(calls.relayed, 'updated', 'established')));
        const again = await step('POST /api/callback (its redelivery)', () => relayCallback(v1Notification(calls.relayed, 'updated', 'established')));
        const unroutable = await step('POST /api/callback (unroutable)', () => relayCallback({ value: [{ changeType: 'updated', resourceData: {} }] }));

        // assess
        const deliveries = sim.stats().deliveries;
        assert.ok(deliveries.length >= 12, `${deliveries.length} deliveries`);
        assert.deepEqual(new Set(deliveries.map((delivery) => delivery.status)), new Set([202]));
        assert.deepEqual(
            [first, again, unroutable],
            [
                { accepted: 1, duplicates: 0, rejected: 0 },
                { accepted: 0, duplicates: 1, rejected: 0 },
                { accepted: 0, duplicates: 0, rejected: 1 },
            ],
        );
        assert.equal((await appJson<CallSummaryJson>('GET', `/calls/${calls.answered}`)).callState, 'established');
        assert.ok((await appJson<CallSummaryJson>('GET', `/calls/${calls.answered}`)).duplicateCount > 0, 'redeliveries were recognised');
        assert.ok(
            steps.filter((s) => s.name.startsWith('POST /api/callback')).every((s) => s.requests.length > 0),
            'every POST was seen at the table',
        );
        assertNoScans('POST /api/callback');
    });

    test('the relay: retries through its queue trigger, a dead letter, GET /api/calls?relay=failed, POST /api/calls/{callId}/relay', async () => {
        // prepare: the bot refuses the call's notifications until the test says
        let refusing = true;
        bot.answer((request) => (request.callId === calls.deadLetter && refusing ? { status: 500, body: 'refused' } : { status: 200 }));
        const summaryOf = () => appJson<CallSummaryJson>('GET', `/calls/${calls.deadLetter}`);

        // act
        await step('POST /api/callback (the bot refuses)', () => relayCallback(v1Notification(calls.deadLetter, 'updated', 'established')));
        await step('relay retries through the queue trigger, until dead-lettered', async () => {
            const deadline = Date.now() + 20_000;
            while ((await summaryOf()).relayFailed !== 1) {
                assert.ok(Date.now() < deadline, `not dead-lettered:\n${relay.logs()}`);
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        });
        const failed = await step('GET /api/calls?relay=failed', () => appJson<CallListPageJson>('GET', '/calls?relay=failed'));
        refusing = false;
        const replay = await step('POST /api/calls/{callId}/relay', async () => {
            const response = await app(host, 'POST', `/calls/${calls.deadLetter}/relay`, { headers: { 'content-type': 'application/json' }, body: '{"fromSequence": 1}' });
            assert.equal(response.status, 202, await response.clone().text());
            const deadline = Date.now() + 20_000;
            while ((await summaryOf()).relayFailed !== 0) {
                assert.ok(Date.now() < deadline, `not replayed:\n${host.logs()}\n${relay.logs()}`);
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            return response.json();
        });
        const refused = await step('POST /api/calls/{callId}/relay (unknown call)', () =>
            app(host, 'POST', `/calls/${randomUUID()}/relay`, { headers: { 'content-type': 'application/json' }, body: '{}' }),
        );

        // assess
        assert.deepEqual(
            failed.calls.map((call) => call.callId),
            [calls.deadLetter],
        );
        assert.deepEqual(replay, { callId: calls.deadLetter, fromSequence: 1, relayedThrough: 0, relayPending: 1 });
        assert.equal(refused.status, 404);
        const received = bot.requests.filter((request) => request.callId === calls.deadLetter);
        assert.ok(received.length >= 3 && received.every((request) => request.verified), `${received.length} requests`);
        assert.equal(received.at(-1)?.status, 200);
        const retries = steps.filter((s) => s.name === 'relay retries through the queue trigger, until dead-lettered').flatMap((s) => s.requests);
        assert.ok(retries.length >= 1, 'the retries were seen at the table');
        assertNoScans('relay retries', 'GET /api/calls?relay', 'POST /api/calls/{callId}/relay', 'POST /api/callback (the bot refuses)');
    });

    test('DELETE /api/calls/{callId}: a hang-up, a call Graph no longer has, a call whose end is never notified, a bad id', async () => {
        // act
        const hangUp = (callId: string) => step(`DELETE /api/calls/{callId} (${callId})`, () => app(host, 'DELETE', `/calls/${callId}`));
        const statuses = [(await hangUp(calls.answered)).status, (await hangUp(calls.stuck)).status, (await hangUp(calls.never)).status, (await hangUp('bad%20id')).status];
        await sim.settled(20_000);

        // assess
        assert.deepEqual(statuses, [204, 204, 404, 400]);
        assert.equal((await appJson<CallSummaryJson>('GET', `/calls/${calls.answered}`)).callState, 'terminated');
        assert.equal((await appJson<CallSummaryJson>('GET', `/calls/${calls.stuck}`)).callState, 'established', 'its end was dropped');
        assertNoScans('DELETE /api/calls');
    });

    test('GET /api/calls/{callId}/participants: a roster of full and delta notifications, read in one range query', async () => {
        // act
        sim.roster(calls.live, {
            join: [
                { id: 'ada', name: 'Ada' },
                { id: 'bob', name: 'Bob' },
            ],
        });
        await sim.settled(20_000);
        await step('POST /api/callback (a delta roster)', async () => {
            sim.roster(calls.live, { leave: ['bob'], as: 'delta' });
            await sim.settled(20_000);
        });
        const list = await step('GET /api/calls/{callId}/participants', () => appJson<ParticipantListJson>('GET', `/calls/${calls.live}/participants`));
        await step('GET /api/calls/{callId}/participants (unknown)', () => appJson('GET', `/calls/${randomUUID()}/participants`, 404));

        // assess
        assert.deepEqual(
            list.participants.filter((p) => p.key === 'ada' || p.key === 'bob').map((p) => [p.key, p.inCall]),
            [
                ['ada', true],
                ['bob', false],
            ],
        );
        assert.ok(queriesOf('GET /api/calls/{callId}/participants').length >= 1, 'the roster was read at the table');
        assertNoScans('GET /api/calls/{callId}/participants', 'POST /api/callback (a delta roster)');
    });

    test("fetchCallRecords (a queue function): Graph's call record of an ended call, without a table scan", async () => {
        // act: the hang-up's end scheduled the fetch, which the queue trigger runs; the test runs it once more itself
        const deadline = Date.now() + 20_000;
        let status: string | undefined;
        while (status !== 'fetched' && Date.now() < deadline) {
            status = (await appJson<CallSummaryJson>('GET', `/calls/${calls.answered}`)).callRecordStatus;
            if (status !== 'fetched') await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const log = await step('queue fetchCallRecords', () =>
            host.runFunction('fetchCallRecords', 30_000, JSON.stringify({ callId: calls.answered, attempt: 2, endedAt: new Date().toISOString(), refresh: true })),
        );

        // assess
        assert.equal(status, 'fetched');
        assert.match(log, /Call record of call .*, try 2: fetched version 1 \(not newer than the one kept\)/);
        assert.ok((steps.find((s) => s.name === 'queue fetchCallRecords')?.requests.length ?? 0) > 0, 'the fetch was seen at the table');
        assertNoScans('queue fetchCallRecords');
    });

    test('GET /api/calls/{callId} and GET /api/calls/{callId}/history, page by page', async () => {
        // act
        const summary = await step('GET /api/calls/{callId}', () => appJson<CallSummaryJson>('GET', `/calls/${calls.answered}`));
        await step('GET /api/calls/{callId} (unknown)', () => appJson('GET', `/calls/${randomUUID()}`, 404));
        const events: number[] = [];
        let token: string | undefined;
        do {
            const query = `?top=2${token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`}`;
            const page = await step('GET /api/calls/{callId}/history', () => appJson<HistoryPageJson>('GET', `/calls/${calls.answered}/history${query}`));
            events.push(...page.events.map((event) => event.sequence));
            token = page.continuationToken;
        } while (token !== undefined);
        await step('GET /api/calls/{callId}/history (unknown)', () => appJson('GET', `/calls/${randomUUID()}/history`, 404));

        // assess
        assert.deepEqual(
            events,
            Array.from({ length: summary.eventCount }, (_, i) => i + 1),
        );
        assert.ok(events.length > 4, 'more than two pages');
        assert.ok(queriesOf('GET /api/calls/{callId}/history').length >= 3);
        assertNoScans('GET /api/calls/{callId}');
    });

    test('GET /api/calls with every filter, and paging', async () => {
        // prepare
        const hourAgo = new Date(Date.now() - 3600_000).toISOString();
        const soon = new Date(Date.now() + 60_000).toISOString();
        const list = (query: string) => step(`GET /api/calls${query}`, () => appJson<CallListPageJson>('GET', `/calls${query}`));
        const allPages = async (query: string) => {
            const ids: string[] = [];
            let token: string | undefined;
            do {
                const page = await list(`${query}${token === undefined ? '' : `&continuationToken=${encodeURIComponent(token)}`}`);
                ids.push(...page.calls.map((call) => call.callId));
                token = page.continuationToken;
            } while (token !== undefined);
            return ids;
        };

        // act
        const all = (await list('')).calls;
        const everything = all.map((call) => call.callId);
        const recent = all
            .filter((call) => (call.firstEventAt ?? '') >= hourAgo)
            .map((call) => call.callId)
            .sort();
        const filtered = {
            established: await list('?state=established'),
            terminated: await list('?state=Terminated'),
            active: await list('?active=true'),
            ended: await list('?active=false'),
            lastHour: await list(`?since=${hourAgo}`),
            beforeSoon: await list(`?until=${soon}`),
            range: await list(`?since=2020-01-01&until=${soon}&top=50`),
            activeEstablished: await list('?active=true&state=established'),
            contradiction: await list('?active=true&state=terminated'),
        };
        const paged = await allPages('?top=1');
        const pagedActive = await allPages(`?active=true&since=${hourAgo}&top=1`);
        const pagedEnded = await allPages(`?active=false&until=${soon}&top=1`);

        // assess: the filters did what they say (so the queries were the real ones)
        const ids = (page: CallListPageJson) => page.calls.map((call) => call.callId).sort();
        assert.ok(everything.includes(calls.answered) && everything.includes(calls.live));
        assert.deepEqual(paged, everything, 'paging one by one gives the same calls in the same order');
        assert.ok(ids(filtered.active).includes(calls.live) && !ids(filtered.active).includes(calls.answered));
        assert.ok(ids(filtered.ended).includes(calls.answered) && !ids(filtered.ended).includes(calls.live));
        assert.deepEqual(ids(filtered.terminated), ids(filtered.ended));
        assert.deepEqual(ids(filtered.established), ids(filtered.activeEstablished));
        assert.deepEqual(filtered.contradiction.calls, []);
        assert.ok(everything.includes(old.timer[0] ?? '-') && !recent.includes(old.timer[0] ?? '-'));
        assert.deepEqual(ids(filtered.lastHour), recent);
        assert.deepEqual(ids(filtered.beforeSoon), [...everything].sort());
        assert.deepEqual(ids(filtered.range), [...everything].sort());
        assert.deepEqual([...pagedActive].sort(), ids(filtered.active));
        assert.deepEqual([...pagedEnded].sort(), ids(filtered.ended));
        assert.ok(queriesOf('GET /api/calls?active=true').length >= 1, 'the listing was seen at the table');
        assertNoScans('GET /api/calls');
    });

    test('GET /api/console, its assets, /api/openapi.json and /api/me read nothing from the table', async () => {
        // act
        await step('GET /api/console and its assets', async () => {
            const page = await app(host, 'GET', '/console');
            assert.equal(page.status, 200);
            const assets = [...(await page.text()).matchAll(/(?:src|href)="([^"]+\/assets\/[^"]+)"/g)].map((match) => new URL(match[1] ?? '', host.baseUrl).pathname);
            assert.ok(assets.length >= 2, `${assets.length} assets`);
            for (const asset of assets) assert.equal((await app(host, 'GET', asset.replace(/^\/api/, ''))).status, 200, asset);
        });
        await step('GET /api/openapi.json', async () => assert.equal((await app(host, 'GET', '/openapi.json')).status, 200));
        await step('GET /api/me', async () => assert.equal((await app(host, 'GET', '/me')).status, 200));

        // assess
        assert.deepEqual(
            steps.filter((s) => s.name.startsWith('GET /api/console') || s.name.startsWith('GET /api/openapi') || s.name.startsWith('GET /api/me')).flatMap((s) => s.requests),
            [],
        );
    });

    test('the timers through the admin endpoint: keepCallsAlive keeps the live call alive, reconcileCalls closes the stuck call, purgeCalls deletes the old ended calls', async () => {
        // act
        // The reconciler first: the stuck call is its to close (keepAlive would close it the same way).
        const reconciled = await step('timer reconcileCalls', () => runTimer('reconcileCalls'));
        const keptAlive = await step('timer keepCallsAlive', () => runTimer('keepCallsAlive'));
        const purged = await step('timer purgeCalls', () => runTimer('purgeCalls'));

        // assess
        assert.match(reconciled, /Reconciled: \d+ active calls, \d+ quiet for 0 min, \d+ checked with Graph: [1-9]\d* closed/);
        const stuck = await appJson<CallSummaryJson>('GET', `/calls/${calls.stuck}`);
        assert.equal(stuck.closedBy, 'reconciler');
        assert.equal((await appJson<CallSummaryJson>('GET', `/calls/${calls.live}`)).reconcileStatus, 200, 'the live call was asked about and left');
        assert.match(keptAlive, /Kept calls alive: \d+ active calls, [1-9]\d* keepAlives sent/);
        assert.equal((await appJson<CallSummaryJson>('GET', `/calls/${calls.live}`)).keepAliveStatus, 200);
        assert.match(purged, /Purged the ended calls that started before .*: 3 calls, \d+ rows, and 1 unrouted notifications/);
        for (const callId of old.timer) await appJson('GET', `/calls/${callId}`, 404);
        for (const callId of old.cli) await appJson('GET', `/calls/${callId}`);
        assert.ok(
            queriesOf('timer keepCallsAlive').length >= 1 && queriesOf('timer reconcileCalls').length >= 1 && queriesOf('timer purgeCalls').length >= 1,
            'every timer was seen at the table',
        );
        assertNoScans('timer ');
    });

    test('every calls command: show, history, list with its filters and paging, events, unrouted, purge --dry-run and purge', async () => {
        // prepare
        const until = new Date(Date.now() + 60_000).toISOString();

        // act and assess
        assert.match(await cliOk(['show', calls.answered]), /state\s+terminated/);
        assert.equal((JSON.parse(await cliOk(['show', calls.stuck, '--json'])) as CallSummaryJson).closedBy, 'reconciler');
        assert.match(await cliOk(['history', calls.answered]), /hangupRequest/);
        assert.match(await cliOk(['participants', calls.live]), /Ada/);
        assert.ok((JSON.parse(await cliOk(['participants', calls.answered, '--json'])) as ParticipantListJson).participants.length >= 2);
        assert.ok((JSON.parse(await cliOk(['history', calls.answered, '--json'])) as HistoryPageJson).events.length > 4);
        const listed = JSON.parse(await cliOk(['list', '--json'])) as CallListPageJson;
        assert.ok(listed.calls.some((call) => call.callId === calls.live));
        assert.match(await cliOk(['list']), new RegExp(calls.live));
        assert.match(await cliOk(['list', '--active']), new RegExp(calls.live));
        assert.match(await cliOk(['list', '--ended', '--since', '90d']), new RegExp(old.cli[0] ?? '-'));
        assert.match(await cliOk(['list', '--state', 'established', '--since', '1h', '--until', until]), new RegExp(calls.live));
        // Paging as a person would: run the command the list prints, until it prints none.
        let command: string[] | undefined = ['list', '--top', '1', '--since', '1h'];
        const pages: string[] = [];
        while (command !== undefined && pages.length < 20) {
            const out = await cliOk(command);
            pages.push(out);
            const next = /More calls:\n\s+\S+ \S+ (list .*)\n/.exec(out)?.[1];
            command = next === undefined ? undefined : next.split(' ').map((word) => word.replace(/^'(.*)'$/, '$1'));
        }
        assert.ok(pages.length >= 3, `${pages.length} pages`);
        const firstPage = JSON.parse(await cliOk(['list', '--top', '1', '--json'])) as CallListPageJson;
        assert.ok(firstPage.continuationToken !== undefined);
        JSON.parse(await cliOk(['list', '--top', '1', '--json', '--continuation-token', firstPage.continuationToken])) as CallListPageJson;
        assert.match(await cliOk(['events']), /terminated/);
        assert.ok((await cliOk(['events', '--json'])).split('\n').filter((line) => line.startsWith('{')).length >= 1);
        assert.match(await cliOk(['unrouted']), /rejected/);
        assert.ok((JSON.parse(await cliOk(['unrouted', '--json'])) as { events: unknown[] }).events.length >= 1);
        const dryRun = await cliOk(['purge', '--older-than', `${CLI_PURGE_DAYS}d`, '--dry-run']);
        assert.match(dryRun, /Would delete 2 ended calls .* and 1 unrouted notifications/);
        for (const callId of old.cli) assert.ok(dryRun.includes(callId), callId);
        assert.match(await cliOk(['purge', '--older-than', `${CLI_PURGE_DAYS}d`]), /Deleted 2 ended calls .* and 1 unrouted notifications/);
        assert.match(await cliOk(['purge', '--older-than', `${CLI_PURGE_DAYS}d`, '--json']), /"calls": \[\]/);
        assert.match(await cliOk(['relay', 'status', calls.deadLetter]), /delivered through\s+1/);
        assert.equal((JSON.parse(await cliOk(['relay', 'status', calls.relayed, '--json'])) as { relayPending: number }).relayPending, 0);
        assert.match(await cliOk(['relay', 'replay', calls.relayed, '--from', '1']), /Replay of call .* from sequence 1 scheduled/);
        assert.match(await cliOk(['list', '--relay-failed']), /No calls match/);

        // Every command but `events` (which reads the call-ended queue only) was seen at the table.
        const tableCommands = steps.filter((s) => s.name.startsWith('calls ') && !s.name.startsWith('calls events'));
        assert.ok(
            tableCommands.every((s) => s.requests.length > 0),
            'every table command was seen at the table',
        );
        assert.ok(
            steps.filter((s) => s.name.startsWith('calls events')).every((s) => s.requests.length === 0),
            'calls events sends the table nothing',
        );
        assertNoScans('calls show', 'calls history', 'calls participants', 'calls list', 'calls unrouted', 'calls purge', 'calls relay');
    });

    test('GET /api/doctor and calls doctor reach the table with one point read, never a scan', async () => {
        // act
        const inTheApp = await step('GET /api/doctor', () => appJson<{ ok: boolean; checks: Array<{ id: string; status: string }> }>('GET', '/doctor'));
        const fromHere = JSON.parse(await cliOk(['doctor', '--json'])) as { ok: boolean; checks: Array<{ id: string; status: string }> };

        // assess
        for (const report of [inTheApp, fromHere]) {
            assert.equal(report.checks.find((check) => check.id === 'table')?.status, 'ok');
            assert.equal(report.ok, true, JSON.stringify(report));
        }
        for (const name of ['GET /api/doctor', 'calls doctor --json']) {
            const requests = steps.filter((s) => s.name === name).flatMap((s) => s.requests);
            assert.ok(requests.length >= 1, `${name} was seen at the table`);
            assert.deepEqual(tableQueries(requests), [], `${name} sends point reads only`);
        }
        assertNoScans('GET /api/doctor', 'calls doctor');
    });

    test(`calls reindex reads every summary once, with exactly ${REINDEX_FILTER}, and is the one command that scans`, async () => {
        // prepare: a call the index has never heard of, as in a table written before the index existed
        const store = new CallStore(direct, { dedupeWindowSeconds: 600 });
        const unindexed = randomUUID();
        await store.appendCallEvents(unindexed, [{ kind: 'notification', resourceKind: 'call', changeType: 'updated', callState: 'established', receivedAt: new Date() }]);
        const summary = await direct.getEntity<{ firstEventAt: Date }>(unindexed, 'state');
        await direct.deleteEntity(ACTIVE_PARTITION, indexRowKey(new Date(summary.firstEventAt), unindexed));

        // act
        const out = await cliOk(['reindex']);

        // assess
        assert.match(out, /^Indexed \d+ calls/);
        const scans = tableScans(steps.find((s) => s.name === 'calls reindex')?.requests ?? []);
        assert.ok(scans.length >= 1, 'reindex reads the summaries');
        assert.deepEqual(new Set(scans.map((query) => query.filter)), new Set([REINDEX_FILTER]));
        assert.match(await cliOk(['list', '--active']), new RegExp(unindexed), 'the call is listed again');
    });

    test('drove every operation of the OpenAPI document, both timers and every command, and nothing but reindex scanned', () => {
        // prepare: what the app has, from its own description, its function files and the command line's help
        const operations = Object.values(appOpenApi().document.paths).flatMap((item) =>
            Object.values(item).flatMap((operation) =>
                typeof (operation as { operationId?: unknown }).operationId === 'string' ? [(operation as { operationId: string }).operationId] : [],
            ),
        );
        const timers = readdirSync(path.join(REPOSITORY_ROOT, 'functions'))
            .filter((file) => file.endsWith('.ts'))
            .flatMap((file) => [...readFileSync(path.join(REPOSITORY_ROOT, 'functions', file), 'utf8').matchAll(/app\.timer\('([^']+)'/g)].map((match) => match[1] ?? ''));
        const commands = [...new Set([...(/Commands:\n([\s\S]*?)\n\n/.exec(HELP)?.[1] ?? '').matchAll(/^ {2}(\w+)\s/gm)].map((match) => match[1] ?? ''))];

        // assess
        assert.deepEqual([...driven.operations].sort(), [...operations].sort());
        assert.deepEqual([...driven.timers].sort(), [...timers].sort());
        assert.deepEqual([...driven.commands].sort(), [...commands].sort());
        assert.ok(tableQueries(proxy.requests()).length >= 50, `${tableQueries(proxy.requests()).length} queries seen at the table`);
        const reindex = steps.find((s) => s.name === 'calls reindex');
        const outsideReindex = proxy.requests().filter((request) => !reindex?.requests.includes(request));
        assert.deepEqual(tableScans(outsideReindex).map(describeQuery), []);
    });
});

function describeQuery(query: TableQuery): string {
    return query.filter === undefined ? `${query.method} ${query.path} (no $filter)` : `$filter=${query.filter}`;
}
