// The relay to the bot (issue 18), against the example bot (dev/exampleBot) in its own process, which checks every
// signature with `standardwebhooks` and answers at once:
//
// 1. Store-to-bot latency of the callback's own attempt at concurrency 1, 8 and 32: from the moment the storage
//    answered the transaction that stored a notification (a proxy in front of Azurite's Table service notes it,
//    commitClock.ts) until the bot has it; and Graph-to-bot, from the moment the bench sent it (all clocks are the
//    machine's).
// 2. Ingest of whole typical calls at 32, relay on and off: two hosts that differ only in RELAY_URL, in turns
//    (sideBySide.ts).
// 3. Storage requests per notification of a typical call, relay on and off, through counting proxies: the relay's
//    happy path adds one table request (the delivery recorded) and no queue request.
// 4. A bot outage: the bot down for a minute while 1,000 new calls each store two notifications, on the default
//    retry schedule; how long after the bot is back every call has reached it (each waits for its own next step
//    of the schedule), and whether any reached it out of order.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { TableClient } from '@azure/data-tables';
import { freePort } from '../dev/ports';
import { inParallel } from '../shared/inParallel';
import { newRelaySecret } from '../test/support/testBot';
import type { BenchEnvironment } from './benchEnvironment';
import { startCountingProxy, throughProxy } from './countingProxy';
import { startCommitClock } from './commitClock';
import { BenchHttpClient, expectStatus } from './httpClient';
import { runLoad } from './loadRunner';
import { pairedRatio } from './loadSample';
import { benchCallIds, callLifecycle, notificationsBody, TYPICAL_CALL } from './notificationBodies';
import { progress } from './progress';
import { measureHostsSideBySide, summariseSide, type SideBySideOptions, type SideSummary } from './sideBySide';
import { percentile } from './statistics';
import { countTypicalCalls } from './storageRequests';

interface Percentiles {
    p50: number;
    p95: number;
    p99: number;
}

export interface RelayBenchResult {
    /** By concurrency: milliseconds from the store's commit to the bot's receipt, from the bench's POST to it, and to the callback's 202. */
    latency: Record<string, { notifications: number; storeToBotMs: Percentiles; graphToBotMs: Percentiles; ackMs: Percentiles }>;
    throughput: { concurrency: number; notificationsPerCall: number; on: SideSummary; off: SideSummary; rateRatio: number };
    /** Median requests per notification of a typical call, by position in the call. */
    storageRequests: { calls: number; on: { table: number[]; queue: number[] }; off: { table: number[]; queue: number[] } };
    outage: OutageResult;
}

interface OutageResult {
    calls: number;
    notificationsPerCall: number;
    retrySchedule: string;
    outageSeconds: number;
    /** How long storing the calls' notifications took (all of it while the bot was down). */
    storeSeconds: number;
    /** After the bot was back: until half the calls, and until every call, had all its notifications at the bot. */
    drainP50Seconds: number;
    drainSeconds: number;
    /** From the first delivery after the bot was back to the last (each call comes back on its own step of the schedule). */
    deliverySpreadSeconds: number;
    /** Requests the bot accepted (not repeats) for those calls. */
    requests: number;
    /** Calls whose requests reached the bot out of sequence order or with a gap. */
    orderViolations: number;
    /** Calls whose notifications did not all reach the bot before the deadline. */
    undelivered: number;
}

/** The default RELAY_RETRY_SCHEDULE (config.ts), which the outage's host runs with. */
const DEFAULT_SCHEDULE = 'on the default schedule (5s,15s,30s,1m,2m,5m,...)';
/** A call may wait for the schedule's 2-minute and 5-minute steps after the bot is back. */
const DRAIN_DEADLINE_MS = 10 * 60_000;

export interface RelayBenchOptions {
    concurrencies: number[];
    windowMs: number;
    repetitions: number;
    tokens: readonly string[];
    outageMs: number;
    outageCalls: number;
    repositoryRoot: string;
}

export async function measureRelay(env: BenchEnvironment, options: RelayBenchOptions): Promise<RelayBenchResult> {
    const secret = newRelaySecret();
    const bot = await startBotProcess(options.repositoryRoot, secret);
    try {
        const relaySettings = (name: string) => ({ RELAY_URL: bot.url, RELAY_SECRET: secret, RELAY_QUEUE: `bench-relay-${name}` });
        progress('relay: store-to-bot latency of the callback’s own attempt at each concurrency');
        const latency = await measureLatency(env, bot, relaySettings('latency'), options);
        progress('relay: whole calls at the top concurrency, relay on and off, in turns');
        const top = Math.max(...options.concurrencies);
        const sides: SideBySideOptions = { concurrency: top, windowMs: options.windowMs, repetitions: options.repetitions, tokens: options.tokens };
        const {
            samples: [on = [], off = []],
            notificationsPerCall,
        } = await measureHostsSideBySide(
            env,
            TYPICAL_CALL,
            [{ settings: { CALL_HISTORY_TABLE: 'BenchRelayOn', ...relaySettings('throughput') } }, { settings: { CALL_HISTORY_TABLE: 'BenchRelayOff' } }],
            sides,
            (repetition) => progress(`relay: repetition ${repetition}/${options.repetitions}, on and off`),
        );
        const throughput = { concurrency: top, notificationsPerCall, on: summariseSide(on), off: summariseSide(off), rateRatio: pairedRatio(on, off) };
        progress('relay: storage requests per notification, relay on and off, through counting proxies');
        const storageRequests = {
            calls: 0,
            on: await countRequests(env, options.tokens[0] ?? '', { CALL_HISTORY_TABLE: 'BenchRelayRequestsOn', ...relaySettings('requests') }),
            off: await countRequests(env, options.tokens[0] ?? '', { CALL_HISTORY_TABLE: 'BenchRelayRequestsOff' }),
        };
        storageRequests.calls = storageRequests.on.calls;
        progress(`relay: the bot down for ${options.outageMs / 1000} s while ${options.outageCalls} calls store notifications`);
        const outage = await measureOutage(env, bot, relaySettings('outage'), options);
        return {
            latency,
            throughput,
            storageRequests: { calls: storageRequests.calls, on: storageRequests.on.requests, off: storageRequests.off.requests },
            outage,
        };
    } finally {
        await bot.stop();
    }
}

/** One relay-on host; each concurrency in turn posts whole calls one notification at a time for the repetitions' windows. */
async function measureLatency(env: BenchEnvironment, bot: BotProcess, relay: Record<string, string>, options: RelayBenchOptions): Promise<RelayBenchResult['latency']> {
    const clock = await startCommitClock(env.azurite.ports.table);
    const host = await env.startHost({
        ...env.callbackSettings,
        CallHistoryStorage: throughProxy(env.azurite.connectionString, env.azurite.ports.table, clock.port),
        CALL_HISTORY_TABLE: 'BenchRelayLatency',
        ...relay,
    });
    const client = new BenchHttpClient(Math.max(...options.concurrencies));
    try {
        const perCall = callLifecycle('x', TYPICAL_CALL).length;
        const result: RelayBenchResult['latency'] = {};
        for (const concurrency of options.concurrencies) {
            const tag = benchCallIds(`latency-${concurrency}`, 1)[0] ?? 'latency';
            const sent = new Map<string, number>();
            const acks: number[] = [];
            const calls = new Map<number, Array<Record<string, unknown>>>();
            await runLoad({ concurrency, durationMs: options.windowMs * options.repetitions }, async (worker, iteration) => {
                const position = iteration % perCall;
                const callId = `${tag}-w${worker}-${Math.floor(iteration / perCall)}`;
                if (position === 0) calls.set(worker, callLifecycle(callId, TYPICAL_CALL));
                const token = options.tokens[worker % options.tokens.length] ?? '';
                const started = performance.now();
                sent.set(`${callId}/${position + 1}`, performance.timeOrigin + started);
                const answer = await client.request(
                    'POST',
                    `${host.baseUrl}/callback`,
                    { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
                    notificationsBody([calls.get(worker)?.[position]]),
                );
                expectStatus(answer, 202, 'POST /api/callback');
                acks.push(performance.now() - started);
            });
            const received = await waitForReceived(bot, (all) => {
                const mine = all.filter((request) => request.webhookId.startsWith(`${tag}-`));
                return mine.length >= sent.size ? mine : undefined;
            });
            const graphToBot: number[] = [];
            const storeToBot: number[] = [];
            for (const request of received) {
                const at = Date.parse(request.at);
                const sentAt = sent.get(request.webhookId);
                if (sentAt !== undefined) graphToBot.push(at - sentAt);
                const slash = request.webhookId.lastIndexOf('/');
                const committedAt = clock.committedAt(request.webhookId.slice(0, slash), Number(request.webhookId.slice(slash + 1)));
                if (committedAt !== undefined) storeToBot.push(at - committedAt);
            }
            result[String(concurrency)] = {
                notifications: sent.size,
                storeToBotMs: percentiles(storeToBot),
                graphToBotMs: percentiles(graphToBot),
                ackMs: percentiles(acks),
            };
        }
        return result;
    } finally {
        client.close();
        await host.stop();
        await clock.stop();
    }
}

async function countRequests(env: BenchEnvironment, token: string, settings: Record<string, string>): Promise<{ calls: number; requests: { table: number[]; queue: number[] } }> {
    const tables = await startCountingProxy(env.azurite.ports.table);
    const queues = await startCountingProxy(env.azurite.ports.queue);
    const proxied = throughProxy(throughProxy(env.azurite.connectionString, env.azurite.ports.table, tables.port), env.azurite.ports.queue, queues.port);
    const host = await env.startHost({ ...env.callbackSettings, CallHistoryStorage: proxied, AzureWebJobsStorage: proxied, ...settings });
    try {
        const counted = await countTypicalCalls(host.baseUrl, token, tables, queues);
        return { calls: counted.calls, requests: { table: counted.tableRequests, queue: counted.queueRequests } };
    } finally {
        await host.stop();
        await tables.stop();
        await queues.stop();
    }
}

/**
 * The bot goes down; `outageCalls` new calls store their first two notifications (32 at a time) while it is down;
 * it comes back when the outage ends; then the bot's log says when each call's notifications reached it, and in
 * which order.
 */
async function measureOutage(env: BenchEnvironment, bot: BotProcess, relay: Record<string, string>, options: RelayBenchOptions): Promise<OutageResult> {
    const table = 'BenchRelayOutage';
    const host = await env.startHost({ ...env.callbackSettings, CALL_HISTORY_TABLE: table, ...relay });
    const concurrency = Math.max(...options.concurrencies);
    const client = new BenchHttpClient(concurrency);
    const perCall = 2;
    try {
        const callIds = benchCallIds('outage', options.outageCalls);
        const outageSeconds = options.outageMs / 1000;
        await bot.outage(outageSeconds);
        const downAt = performance.now();
        await inParallel(callIds, concurrency, async (callId, i) => {
            for (const notification of callLifecycle(callId, TYPICAL_CALL).slice(0, perCall)) {
                const answer = await client.request(
                    'POST',
                    `${host.baseUrl}/callback`,
                    { Authorization: `Bearer ${options.tokens[i % options.tokens.length] ?? ''}`, 'Content-Type': 'application/json' },
                    notificationsBody([notification]),
                );
                expectStatus(answer, 202, 'POST /api/callback');
            }
        });
        const storeSeconds = (performance.now() - downAt) / 1000;
        if (storeSeconds >= outageSeconds) throw new Error(`Storing the calls took ${storeSeconds.toFixed(1)} s, longer than the outage (${outageSeconds} s).`);
        await bot.waitUntilUp();
        const backAt = Date.now();
        const prefix = callIds[0]?.replace(/-\d+$/, '-') ?? 'outage-';
        const byCall = (all: ReceivedRequest[]) => {
            const calls = new Map<string, ReceivedRequest[]>();
            for (const request of all) {
                if (!request.webhookId.startsWith(prefix)) continue;
                const callId = request.webhookId.slice(0, request.webhookId.lastIndexOf('/'));
                calls.set(callId, [...(calls.get(callId) ?? []), request]);
            }
            return calls;
        };
        const complete = (requests: readonly ReceivedRequest[]) => requests.reduce((sum, request) => sum + request.notifications.length, 0) >= perCall;
        const received = await waitForReceived(
            bot,
            (all) => {
                const calls = byCall(all);
                return calls.size === callIds.length && [...calls.values()].every(complete) ? calls : undefined;
            },
            DRAIN_DEADLINE_MS,
        ).catch(() => undefined);
        const calls = received ?? byCall(await bot.received());
        let orderViolations = 0;
        let undelivered = 0;
        const doneAt: number[] = [];
        const after: number[] = [];
        for (const callId of callIds) {
            const requests = calls.get(callId) ?? [];
            // The bot keeps first receipts only: sequences 1, 2, ... in order of arrival, no gap.
            let expected = 1;
            for (const request of requests) {
                if (Number(request.webhookId.slice(request.webhookId.lastIndexOf('/') + 1)) !== expected) orderViolations += 1;
                expected += request.notifications.length;
                after.push(Date.parse(request.at));
            }
            if (!complete(requests)) undelivered += 1;
            else doneAt.push(Math.max(...requests.map((request) => Date.parse(request.at))) - backAt);
        }
        const arrivals = after.filter((at) => at >= backAt - 1000);
        return {
            calls: callIds.length,
            notificationsPerCall: perCall,
            retrySchedule: DEFAULT_SCHEDULE,
            outageSeconds,
            storeSeconds,
            drainP50Seconds: percentile(doneAt, 50) / 1000,
            drainSeconds: Math.max(...doneAt) / 1000,
            deliverySpreadSeconds: arrivals.length === 0 ? 0 : (Math.max(...arrivals) - Math.min(...arrivals)) / 1000,
            requests: [...calls.values()].reduce((sum, requests) => sum + requests.length, 0),
            orderViolations,
            undelivered,
        };
    } finally {
        client.close();
        await host.stop();
        await TableClient.fromConnectionString(env.azurite.connectionString, table, { allowInsecureConnection: true }).deleteTable();
    }
}

function percentiles(values: readonly number[]): Percentiles {
    return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** One request the example bot accepted (repeats are dropped): GET /_control/received. */
interface ReceivedRequest {
    at: string;
    webhookId: string;
    attempt: number;
    notifications: string[];
}

interface BotProcess {
    url: string;
    received(): Promise<ReceivedRequest[]>;
    /** Down for `seconds`, from when this resolves (connections refused). */
    outage(seconds: number): Promise<void>;
    /** Resolves once the bot answers again (polled every 20 ms). */
    waitUntilUp(): Promise<void>;
    stop(): Promise<void>;
}

async function waitForReceived<T>(bot: BotProcess, done: (all: ReceivedRequest[]) => T | undefined, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = done(await bot.received());
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`The bot did not receive what was expected within ${timeoutMs / 1000} s.`);
        await delay(500);
    }
}

/** The example bot as its own process; its Graph is never called (no incoming call in the bench's notifications). */
async function startBotProcess(repositoryRoot: string, secret: string): Promise<BotProcess> {
    const port = await freePort();
    const nowhere = 'http://127.0.0.1:9';
    const child: ChildProcess = spawn(
        process.execPath,
        [
            path.join(repositoryRoot, 'dist/dev/exampleBot/main.js'),
            '--port',
            String(port),
            '--secret',
            secret,
            '--graph',
            `${nowhere}/v1.0`,
            '--app-callback',
            `${nowhere}/api/callback`,
        ],
        {
            env: { ...process.env, AZURE_TENANT_ID: 'bench', AZURE_CLIENT_ID: 'bench', AZURE_CLIENT_SECRET: 'bench', AZURE_AUTHORITY_HOST: 'https://127.0.0.1:9' },
            stdio: ['ignore', 'pipe', 'pipe'],
        },
    );
    let errors = '';
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => {
        errors = (errors + chunk.toString('utf8')).slice(-2000);
    });
    const control = `http://127.0.0.1:${port}/_control`;
    const answers = () =>
        fetch(`${control}/received`, { method: 'HEAD' }).then(
            () => true,
            () => false,
        );
    const started = Date.now();
    for (;;) {
        if (child.exitCode !== null) throw new Error(`The example bot exited: ${errors}`);
        const answer = await fetch(`${control}/received`).catch(() => undefined);
        if (answer?.ok === true) break;
        if (Date.now() - started > 15_000) throw new Error(`The example bot did not start: ${errors}`);
        await delay(100);
    }
    return {
        url: `http://127.0.0.1:${port}/api/calling`,
        received: async () => {
            const answer = await fetch(`${control}/received`);
            return ((await answer.json()) as { received: ReceivedRequest[] }).received;
        },
        outage: async (seconds) => {
            const answer = await fetch(`${control}/outage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds }) });
            if (answer.status !== 202) throw new Error(`The example bot refused the outage: ${answer.status}`);
            // Down once it no longer answers.
            while (await answers()) await delay(20);
        },
        waitUntilUp: async () => {
            while (!(await answers())) await delay(20);
        },
        stop: async () => {
            if (child.exitCode !== null) return;
            child.kill('SIGTERM');
            await once(child, 'exit');
        },
    };
}
