// Runs one operation in a closed loop from N concurrent workers for a fixed time, the way a burst of
// Graph deliveries keeps N requests in flight: each worker starts its next request when the last one ends.

import { performance } from 'node:perf_hooks';

export interface LoadOptions {
    concurrency: number;
    /** How long workers keep starting operations. */
    durationMs: number;
}

export interface LoadResult {
    /** Operations that completed, started before the deadline. */
    operations: number;
    /** From the start until the last operation ended. */
    elapsedMs: number;
    /** Operations per second. */
    rate: number;
    /** Milliseconds, one per operation, in completion order. */
    latenciesMs: number[];
}

/** One operation of worker `worker`; `iteration` counts that worker's operations from 0. Throws on failure. */
export type Operation = (worker: number, iteration: number) => Promise<void>;

/**
 * @example
 * const { rate } = await runLoad({ concurrency: 8, durationMs: 2000 }, (w, i) => post(w, i));
 */
export async function runLoad(options: LoadOptions, operation: Operation): Promise<LoadResult> {
    const latenciesMs: number[] = [];
    const started = performance.now();
    const deadline = started + options.durationMs;
    const worker = async (index: number): Promise<void> => {
        for (let iteration = 0; performance.now() < deadline; iteration++) {
            const begun = performance.now();
            await operation(index, iteration);
            latenciesMs.push(performance.now() - begun);
        }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, index) => worker(index)));
    const elapsedMs = performance.now() - started;
    return { operations: latenciesMs.length, elapsedMs, rate: (latenciesMs.length * 1000) / elapsedMs, latenciesMs };
}
