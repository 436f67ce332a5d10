// `npm run bench`: starts Azurite (in memory), a callback token signer and the local host, runs every
// measurement (issues 6, 9, 10, 11, 13 and 18; see bench/README.md) in this one process run, prints the tables
// and writes bench/results.json. `npm run bench -- --only relay` runs the relay's measurements alone.

import { TableClient } from '@azure/data-tables';
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBareWriter } from './bareWriter';
import { APP_TABLE, BENCH_BOT_APP_ID, BENCH_TENANT, startBenchEnvironment, type BenchEnvironment } from './benchEnvironment';
import { CallbackLoad } from './callbackLoad';
import { measureColdStart } from './coldStart';
import { CONSOLE_LONG_CALL_EVENTS, measureConsole } from './consoleLoad';
import { AppGrowth, LONG_HISTORY, measureMarkerWeight, repeatGrowth, StorageGrowth } from './costGrowth';
import { measureDeploySize } from './deploySize';
import { measureIndexAndLifecycle } from './indexAndLifecycle';
import { createBenchFunctionApp } from './benchFunctionApp';
import { describeMachine, machineBusyMillis } from './machine';
import { measureLoad, type Series, type Subjects } from './loadPhase';
import { pairedRatio, summarise, type LoadSample } from './loadSample';
import { parseBenchOptions, type BenchOptions } from './options';
import { measureRelay, type RelayBenchResult } from './relayBench';
import { formatRelayReport, formatReport } from './report';
import { cpuMillisWithEndedChildren } from './processCpu';
import { progress } from './progress';
import { check, type BenchResults, type TargetCheck } from './results';
import { StorageFloor } from './storageFloor';
import { measureStorageRequests } from './storageRequests';
import { measureTokenReuse } from './tokenReuse';

const REPOSITORY_ROOT = path.resolve(__dirname, '../..');
const FLOOR_TABLE = 'BenchStorageFloor';
const BARE_WRITER_TABLE = 'BenchBareWriter';
const MINIMAL_FUNCTION_TABLE = 'BenchMinimalFunction';

/** The app through its host, and the floor's write on a table of its own, each table emptied first. */
async function measureCostGrowth(options: BenchOptions, subjects: Subjects): Promise<BenchResults['costGrowth']> {
    const top = Math.max(...options.concurrencies);
    await subjects.app.reset(options.calls, top);
    await subjects.floor.reset(options.calls, top);
    const appGrowth = new AppGrowth(subjects.app);
    const app = await repeatGrowth(appGrowth, options.growthRepetitions, options.growthWrites);
    // Right after the writes, so every long call's events are still inside the (default, 600 s) window.
    const markerWeight = await measureMarkerWeight(subjects.app.table, appGrowth.longCalls, 600);
    return {
        app,
        markerWeight,
        storage: await repeatGrowth(new StorageGrowth(subjects.floor.table, 'floor'), options.growthRepetitions, options.growthWrites),
        storageAppRows: await repeatGrowth(new StorageGrowth(subjects.floor.table, 'app-rows'), options.growthRepetitions, options.growthWrites),
    };
}

/** Longer than any full run. */
const TOKEN_LIFETIME_S = 6 * 3600;

type RunningResults = Omit<BenchResults, 'machine' | 'coldStart' | 'deploySize' | 'console' | 'targets' | 'durationSeconds' | 'otherCoreShareOverRun'>;

async function measureAgainstServices(options: BenchOptions, startedAt: string): Promise<RunningResults> {
    const env = await startBenchEnvironment();
    const closers: Array<() => unknown> = [];
    let stopping: Promise<void> | undefined;
    const stopAll = () =>
        (stopping ??= (async () => {
            progress('stopping Azurite and the hosts');
            for (const close of closers.reverse()) await close();
            await env.stop();
        })());
    // Interrupted: still stop the child processes, which would otherwise outlive the run.
    const onSignal = (signal: NodeJS.Signals) => void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
        const top = Math.max(...options.concurrencies);
        const connectionString = env.azurite.connectionString;
        const tableClient = (name: string) => TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
        // One token per worker, reused for every POST, as Graph reuses its token. Graph's last an hour and are
        // renewed; these last the whole run (over an hour at full size), so no measurement meets an expired one.
        const tokens = await benchTokens(env, top);

        const bareWriter = await startBareWriter(connectionString, BARE_WRITER_TABLE);
        closers.push(() => bareWriter.stop());
        const minimalAppDir = createBenchFunctionApp(REPOSITORY_ROOT, 'minimalFunction.js');
        closers.push(() => rmSync(minimalAppDir, { recursive: true, force: true }));
        const minimalHost = await env.startHost({ CALL_HISTORY_TABLE: MINIMAL_FUNCTION_TABLE }, minimalAppDir);
        closers.push(() => minimalHost.stop());

        const subjects: Subjects = {
            floor: new StorageFloor(connectionString, FLOOR_TABLE),
            bare: new CallbackLoad({ baseUrl: bareWriter.baseUrl, table: tableClient(BARE_WRITER_TABLE), tokens }, top),
            minimal: new CallbackLoad({ baseUrl: minimalHost.baseUrl, table: tableClient(MINIMAL_FUNCTION_TABLE), tokens }, top),
            app: new CallbackLoad({ baseUrl: env.host.baseUrl, table: tableClient(APP_TABLE), tokens }, top),
        };
        closers.push(
            () => subjects.bare.close(),
            () => subjects.minimal.close(),
            () => subjects.app.close(),
        );

        const servers = { bare: bareWriter.pid, minimal: minimalHost.process.pid, app: env.host.process.pid };
        const phases = await measureLoad(env.azurite.process.pid, servers, options, subjects);
        await bareWriter.stop();
        await minimalHost.stop();

        progress(`cost growth: building ${LONG_HISTORY}-event histories, then alternating writes`);
        const costGrowth = await measureCostGrowth(options, subjects);

        progress(`token reuse: ${options.hangUps} hang-ups through a new host wired to the call simulator`);
        const tokenReuse = await measureTokenReuse(options.hangUps, env.tls, env.startHost);

        progress('storage requests per notification: a new host whose storage goes through a counting proxy');
        const storageRequests = await measureStorageRequests(env.azurite, tokens, (settings) => env.startHost({ ...env.callbackSettings, ...settings }), 100);

        const acrossCalls = await measureIndexAndLifecycle(env, options, tokens, REPOSITORY_ROOT);

        const relay = await measureRelay(env, relayOptions(options, tokens));

        const ingestTop = summarise(phases.ingest[String(top)] ?? []);
        const toFloor = (series: Series) => mapSeries(series, (samples, key) => ({ ...summarise(samples), ratioToFloor: pairedRatio(samples, phases.floor[key] ?? []) }));
        return {
            startedAt,
            settings: withoutOutput(options),
            storageFloor: mapSeries(phases.floor, (samples) => summarise(samples)),
            bareWriter: toFloor(phases.bare),
            minimalFunction: toFloor(phases.minimal),
            ingest: mapSeries(phases.ingest, (samples, key) => ({
                ...summarise(samples),
                ratioToFloor: pairedRatio(samples, phases.floor[key] ?? []),
                ratioToMinimalFunction: pairedRatio(samples, phases.minimal[key] ?? []),
            })),
            batches: mapSeries(phases.batches, (samples, key) => ({ ...summarise(samples), ratioToSingle: pairedRatio(samples, phases.ingest[key] ?? []) })),
            ackLatencyMs: { concurrency: top, ...ingestTop.latencyMs },
            costGrowth,
            storageRequests,
            tokenReuse: { ...tokenReuse, tokenRequestsPer100: (tokenReuse.tokenRequests * 100) / tokenReuse.hangUps },
            ...acrossCalls,
            relay,
        };
    } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await stopAll();
    }
}

/** One token per worker, reused for every POST, as Graph reuses its token (see measureAgainstServices). */
async function benchTokens(env: BenchEnvironment, count: number): Promise<string[]> {
    const tokens: string[] = [];
    const expires = Math.floor(Date.now() / 1000) + TOKEN_LIFETIME_S;
    for (let i = 0; i < count; i++) tokens.push(await env.issuer.sign({ aud: BENCH_BOT_APP_ID, tid: BENCH_TENANT, exp: expires }));
    return tokens;
}

function relayOptions(options: BenchOptions, tokens: readonly string[]) {
    return {
        concurrencies: options.concurrencies,
        windowMs: options.windowMs,
        repetitions: options.repetitions,
        tokens,
        outageMs: options.relayOutageMs,
        outageCalls: options.relayOutageCalls,
        repositoryRoot: REPOSITORY_ROOT,
    };
}

/** The relay's targets (issue 18): latency p50 under 20 ms at every concurrency, ingest >= 0.7 of relay off, no queue request on the happy path, nothing out of order. */
function relayTargets(relay: RelayBenchResult): TargetCheck[] {
    const happyPathQueueRequests = relay.storageRequests.on.queue.reduce((sum, n, i) => sum + n - (relay.storageRequests.off.queue[i] ?? 0), 0);
    return [
        ...Object.entries(relay.latency).map(([concurrency, latency]) => check(`relayLatencyP50At${concurrency}`, latency.storeToBotMs.p50, '<=', 20)),
        check('relayIngestRatio', relay.throughput.rateRatio, '>=', 0.7),
        check('relayHappyPathQueueRequests', happyPathQueueRequests, '==', 0),
        check('relayOrderViolations', relay.outage.orderViolations, '==', 0),
        check('relayUndelivered', relay.outage.undelivered, '==', 0),
    ];
}

/** `--only relay`: the relay's measurements alone, against their own Azurite and signer. */
async function relayOnly(options: BenchOptions): Promise<void> {
    const started = performance.now();
    const machine = describeMachine();
    const startedAt = new Date().toISOString();
    progress(`${machine.cores} cores, Node.js ${machine.node}; starting Azurite and the callback signer for the relay's measurements`);
    const env = await startBenchEnvironment();
    let relay: RelayBenchResult;
    try {
        relay = await measureRelay(env, relayOptions(options, await benchTokens(env, Math.max(...options.concurrencies))));
    } finally {
        await env.stop();
    }
    const results = {
        startedAt,
        durationSeconds: Math.round((performance.now() - started) / 1000),
        machine,
        settings: withoutOutput(options),
        relay,
        targets: relayTargets(relay),
    };
    writeFileSync(options.output, `${JSON.stringify(results, null, 2)}\n`);
    console.log(formatRelayReport(results));
    console.log(`\nResults written to ${path.relative(process.cwd(), options.output) || options.output} (${results.durationSeconds} s).`);
}

async function main(): Promise<void> {
    const options = parseBenchOptions(process.argv.slice(2), path.join(REPOSITORY_ROOT, 'bench/results.json'));
    if (options.only === 'relay') return relayOnly(options);
    const started = performance.now();
    const machine = describeMachine();
    const cpuAtStart = { machine: machineBusyMillis(), run: cpuMillisWithEndedChildren(process.pid) };
    progress(`${machine.cores} cores, Node.js ${machine.node}; starting Azurite, the callback signer, the hosts and the bare writer`);
    const measured = await measureAgainstServices(options, new Date().toISOString());

    // On a quiet machine: Azurite and the hosts are gone.
    progress(`cold start: ${options.coldStartRuns} runs per load set`);
    // AzureWebJobsStorage as the Functions host always sets it (the call-ended events fall back to it).
    const coldStart = await measureColdStart(options.coldStartRuns, {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        CallHistoryStorage: 'UseDevelopmentStorage=true',
        BOT_APP_ID: BENCH_BOT_APP_ID,
    });
    progress('deployable zip: the package npm run package writes');
    const deploySize = await measureDeploySize(REPOSITORY_ROOT);
    progress(`console: headless Chromium, 100 calls and a ${CONSOLE_LONG_CALL_EVENTS}-event call, ${options.consoleRuns} runs`);
    const consoleLoad = await measureConsole(options.consoleRuns);

    const top = String(Math.max(...options.concurrencies));
    const withRatios = {
        ...coldStart,
        appRatio: coldStart.app.loadMs / coldStart.baseline.loadMs,
        callbackRatio: coldStart.callback.loadMs / coldStart.baseline.loadMs,
    };
    const elapsedMs = performance.now() - started;
    const results: BenchResults = {
        ...measured,
        machine,
        durationSeconds: Math.round(elapsedMs / 1000),
        otherCoreShareOverRun: otherCoreShare(cpuAtStart, elapsedMs),
        coldStart: withRatios,
        deploySize,
        console: consoleLoad,
        targets: [
            check('ingestToFloor', measured.ingest[top]?.ratioToFloor ?? Number.NaN, '>=', 0.8),
            check('batchToSingle', measured.batches[top]?.ratioToSingle ?? Number.NaN, '>=', 3),
            check('ingestToMinimalFunction', measured.ingest[top]?.ratioToMinimalFunction ?? Number.NaN, '>=', 0.86),
            check('costGrowth', measured.costGrowth.app.ratio, '<=', 1.2),
            check('markerKeysDropped', measured.costGrowth.markerWeight.keysInWindow - measured.costGrowth.markerWeight.keysFound, '==', 0),
            check('listingTimeRatio', measured.listing.timeRatio, '<=', 1.3),
            check('listingRequestsDifference', measured.listing.large.requestsPerPage - measured.listing.small.requestsPerPage, '==', 0),
            check('ingestWithIndex', measured.indexCost.ratio, '>=', 0.9),
            check('laterNotificationRequests', laterNotificationRequests(measured.storageRequests), '==', 1),
            check('purgeCostRatio', measured.retention.costRatio, '<=', 1.3),
            check('reconcilerMistakes', measured.reconciler.liveCallsAsked + measured.reconciler.stuckLeftOpen, '==', 0),
            check('coldStart', withRatios.appRatio, '<=', 1.5),
            check('tokenReuse', measured.tokenReuse.tokenRequestsPer100, '==', 1),
            check('consoleAssetKilobytes', consoleLoad.assetBytes.compressed / 1000, '<=', 100),
            ...relayTargets(measured.relay),
        ],
    };
    writeFileSync(options.output, `${JSON.stringify(results, null, 2)}\n`);
    console.log(formatReport(results));
    console.log(`\nResults written to ${path.relative(process.cwd(), options.output) || options.output} (${results.durationSeconds} s).`);
}

/** The most table requests any notification of a typical call after its first, other than its ending one, took. */
function laterNotificationRequests({ typicalCall }: BenchResults['storageRequests']): number {
    return Math.max(...typicalCall.tableRequests.filter((_, position) => position > 0 && position !== typicalCall.endingPosition));
}

/** The share of the cores that processes outside this run (and the processes it started, all ended by now) used since `start`. */
function otherCoreShare(start: { machine: number | undefined; run: number | undefined }, elapsedMs: number): number | undefined {
    const [machine, run] = [machineBusyMillis(), cpuMillisWithEndedChildren(process.pid)];
    if (start.machine === undefined || start.run === undefined || machine === undefined || run === undefined) return undefined;
    return Math.max(0, machine - start.machine - (run - start.run)) / elapsedMs / os.availableParallelism();
}

function mapSeries<T>(series: Series, summary: (samples: LoadSample[], key: string) => T): Record<string, T> {
    return Object.fromEntries(Object.entries(series).map(([key, samples]) => [key, summary(samples, key)]));
}

function withoutOutput(options: BenchOptions): BenchResults['settings'] {
    const { output: _output, ...settings } = options;
    return settings;
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
});
