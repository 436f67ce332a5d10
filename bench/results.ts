// The shape of bench/results.json: everything one run measured, with the targets it was checked against.

import type { ColdStartResult } from './coldStart';
import type { ConsoleBenchResult } from './consoleLoad';
import type { GrowthSummary, MarkerWeight } from './costGrowth';
import type { DeploySize } from './deploySize';
import type { IndexAndLifecycleResults } from './indexAndLifecycle';
import type { LoadSummary } from './loadSample';
import type { MachineInfo } from './machine';
import type { BenchOptions } from './options';
import type { RelayBenchResult } from './relayBench';
import type { StorageRequestsResult } from './storageRequests';
import type { TokenReuseResult } from './tokenReuse';

export interface TargetCheck {
    name: string;
    value: number;
    comparison: '>=' | '<=' | '==';
    limit: number;
    met: boolean;
}

/** Everything of the run; the call index and lifecycle measurements (issues 10 and 11) come from IndexAndLifecycleResults. */
export interface BenchResults extends IndexAndLifecycleResults {
    startedAt: string;
    durationSeconds: number;
    machine: MachineInfo;
    /** Share of the machine's cores (0 to 1) that processes outside the run used over the whole run; undefined without /proc. */
    otherCoreShareOverRun?: number;
    settings: Omit<BenchOptions, 'output'>;
    /** Keyed by concurrency. */
    storageFloor: Record<string, LoadSummary>;
    /** The bare HTTP writer (bareWriter.ts): what any HTTP server doing the floor's write reaches here. */
    bareWriter: Record<string, LoadSummary & { ratioToFloor: number }>;
    /** The same work as an @azure/functions HTTP function in the local host (minimalFunction.ts). */
    minimalFunction: Record<string, LoadSummary & { ratioToFloor: number }>;
    ingest: Record<string, LoadSummary & { ratioToFloor: number; ratioToMinimalFunction: number }>;
    batches: Record<string, LoadSummary & { ratioToSingle: number }>;
    ackLatencyMs: { concurrency: number; p50: number; p95: number; p99: number };
    /**
     * `storage`: the floor's write on a partition with as many events; `storageAppRows`: the app's rows per
     * notification (summary, event, marker) written directly, on a partition with an event and a marker per notification.
     */
    costGrowth: { app: GrowthSummary; storage: GrowthSummary; storageAppRows: GrowthSummary; markerWeight: MarkerWeight };
    /** Storage requests the app sends per notification (a counting proxy in front of Azurite). */
    storageRequests: StorageRequestsResult;
    coldStart: ColdStartResult & { appRatio: number; callbackRatio: number };
    deploySize: DeploySize;
    tokenReuse: TokenReuseResult & { tokenRequestsPer100: number };
    /** The operator console in headless Chromium, and the size of what it loads. */
    console: ConsoleBenchResult;
    /** The relay to the bot (issue 18). */
    relay: RelayBenchResult;
    targets: TargetCheck[];
}

export function check(name: string, value: number, comparison: TargetCheck['comparison'], limit: number): TargetCheck {
    const met = comparison === '>=' ? value >= limit : comparison === '<=' ? value <= limit : value === limit;
    return { name, value, comparison, limit, met };
}
