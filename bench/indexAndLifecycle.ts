// The measurements of the call index (issue 10), the call lifecycle (issue 11) and the telemetry's cost (issue 21), in the order that keeps
// each one's table small while the next runs: the load comparisons first, then the reconciler, the host's
// memory, and last the two call tables of the listing and retention measurements (dropped when done).

import type { BenchEnvironment } from './benchEnvironment';
import { measureCallEventsCost, type CallEventsCostResult } from './callEventsCost';
import { prepareCallTables } from './callTables';
import { measureIndexCost, type IndexCostResult } from './indexCost';
import { measureListing, type ListingResult } from './listing';
import { measureMemory, type MemoryResult } from './memory';
import type { BenchOptions } from './options';
import { progress } from './progress';
import { measureReconciler, type ReconcilerResult } from './reconcilerBacklog';
import { measureRetention, type RetentionResult } from './retention';
import { measureTelemetryCost, type TelemetryCostResult } from './telemetryCost';

export interface IndexAndLifecycleResults {
    indexCost: IndexCostResult;
    callEvents: CallEventsCostResult;
    telemetry: TelemetryCostResult;
    reconciler: ReconcilerResult;
    listing: ListingResult;
    retention: RetentionResult;
    memory: MemoryResult;
}

export async function measureIndexAndLifecycle(env: BenchEnvironment, options: BenchOptions, tokens: readonly string[], repositoryRoot: string): Promise<IndexAndLifecycleResults> {
    const load = { concurrency: Math.max(...options.concurrencies), windowMs: options.windowMs, repetitions: options.repetitions, tokens };
    progress('index cost: whole calls through the app, with and without its index writes');
    const indexCost = await measureIndexCost(env, repositoryRoot, load);
    progress('call-ended messages: whole calls of four notifications, messages on and off');
    const callEvents = await measureCallEventsCost(env, load);
    progress('telemetry: whole calls of three notifications, Application Insights on (the simulator ingesting) and off');
    const telemetry = await measureTelemetryCost(env, load);
    progress(`reconciler: a backlog of ${options.reconcileBacklog} stuck calls, default settings`);
    const reconciler = await measureReconciler(env, options.reconcileBacklog, options.reconcileLatencyCalls);
    progress(`memory: a new host ingests ${options.memoryCalls.toLocaleString('en-US')} whole calls`);
    const memory = await measureMemory(env, tokens, options.memoryCalls);

    const tables = await prepareCallTables(env, options.callTables);
    let listing: ListingResult;
    let retention: RetentionResult;
    try {
        progress(`listing: ${options.listingRounds} pages from each table, in turns`);
        listing = await measureListing(tables, options.listingRounds);
        retention = await measureRetention(tables, options.purgeCalls, options.purgeRepetitions);
    } finally {
        await tables.close();
    }

    return { indexCost, callEvents, telemetry, reconciler, listing, retention, memory };
}
