// The throughput and latency measurements (1 to 3): the storage floor, the bare HTTP writer, the minimal
// function and the app (single notifications and batches) at each concurrency, taking turns.

import type { CallbackLoad } from './callbackLoad';
import { sampleLoad, type LoadSample } from './loadSample';
import type { BenchOptions } from './options';
import { progress } from './progress';
import type { StorageFloor } from './storageFloor';

/** Long enough for the JIT of every process to settle before anything counts. */
const WARM_UP_MS = 3000;

/** Samples by concurrency. */
export type Series = Record<string, LoadSample[]>;

export interface Subjects {
    floor: StorageFloor;
    bare: CallbackLoad;
    minimal: CallbackLoad;
    app: CallbackLoad;
}

/** The processes that serve each kind of load, for the CPU columns. */
export interface Servers {
    bare: number | undefined;
    minimal: number | undefined;
    app: number | undefined;
}

const LOAD_KINDS = ['floor', 'bare', 'minimal', 'ingest', 'batches'] as const;
type LoadKind = (typeof LOAD_KINDS)[number];
export type LoadPhaseResults = Record<LoadKind, Series>;

/**
 * Within each repetition the kinds of load take turns, each on a freshly emptied table, so drift, noise and
 * table growth hit all of them alike.
 */
export async function measureLoad(azuritePid: number | undefined, servers: Servers, options: BenchOptions, subjects: Subjects): Promise<LoadPhaseResults> {
    const top = Math.max(...options.concurrencies);
    const { calls, batchSize, windowMs } = options;
    const processes = (server: number | undefined) => ({ azurite: azuritePid, server, bench: process.pid });
    const overHttp = (load: CallbackLoad, server: number | undefined, perPost: number) => async (concurrency: number, ms: number) => {
        await load.reset(calls, top);
        return sampleLoad(processes(server), perPost, () => load.measure(concurrency, ms, perPost));
    };
    const runs: Record<LoadKind, (concurrency: number, ms: number) => Promise<LoadSample>> = {
        floor: async (concurrency, ms) => {
            await subjects.floor.reset(calls, top);
            return sampleLoad(processes(undefined), 1, () => subjects.floor.measure(concurrency, ms));
        },
        bare: overHttp(subjects.bare, servers.bare, 1),
        minimal: overHttp(subjects.minimal, servers.minimal, 1),
        ingest: overHttp(subjects.app, servers.app, 1),
        batches: overHttp(subjects.app, servers.app, batchSize),
    };

    progress(`warming up (${(LOAD_KINDS.length * WARM_UP_MS) / 1000} s)`);
    for (const kind of LOAD_KINDS) await runs[kind](top, WARM_UP_MS);

    const results = Object.fromEntries(LOAD_KINDS.map((kind) => [kind, {}])) as LoadPhaseResults;
    for (const concurrency of options.concurrencies) {
        for (let repetition = 1; repetition <= options.repetitions; repetition++) {
            progress(`concurrency ${concurrency}, repetition ${repetition}/${options.repetitions}: ${LOAD_KINDS.join(', ')}`);
            for (const kind of LOAD_KINDS) {
                const samples = results[kind][String(concurrency)] ?? [];
                results[kind][String(concurrency)] = samples;
                samples.push(await runs[kind](concurrency, windowMs));
            }
        }
    }
    return results;
}
