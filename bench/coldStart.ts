// Measurement 5, cold start: new Node processes load the compiled function app (every file of package.json
// `main`, with what they import at load time, `@azure/functions-core` provided as the worker provides it),
// the callback function alone, and `@azure/functions` + `@azure/data-tables` alone; the sets take turns.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { LOAD_SETS, type LoadSet, type ProbeResult } from './coldStartProbe';
import { median } from './statistics';

const run = promisify(execFile);
const PROBE = path.join(__dirname, 'coldStartProbe.js');

interface LoadSetResult {
    /** Median over the runs. */
    loadMs: number;
    readyMs: number;
    runs: number[];
    modules: number;
    identityLoaded: boolean;
    functions: number;
}

export type ColdStartResult = Record<LoadSet, LoadSetResult>;

/**
 * @param env the app's settings: the function files validate them while they load.
 */
export async function measureColdStart(runs: number, env: Record<string, string>): Promise<ColdStartResult> {
    const samples = new Map<LoadSet, ProbeResult[]>(LOAD_SETS.map((set) => [set, []]));
    // One discarded round warms the file system cache, which a real cold start on a fresh instance may not
    // have; the comparison between the sets is what matters.
    for (let round = -1; round < runs; round++) {
        for (let i = 0; i < LOAD_SETS.length; i++) {
            const set = LOAD_SETS[(i + Math.max(round, 0)) % LOAD_SETS.length] as LoadSet;
            const { stdout } = await run(process.execPath, [PROBE, set], { env: { ...process.env, ...env } });
            if (round >= 0) samples.get(set)?.push(JSON.parse(stdout) as ProbeResult);
        }
    }
    return Object.fromEntries(
        LOAD_SETS.map((set) => {
            const results = samples.get(set) ?? [];
            const last = results[results.length - 1];
            return [
                set,
                {
                    loadMs: median(results.map((r) => r.loadMs)),
                    readyMs: median(results.map((r) => r.readyMs)),
                    runs: results.map((r) => r.loadMs),
                    modules: last?.modules ?? 0,
                    identityLoaded: last?.identityLoaded ?? false,
                    functions: last?.functions ?? 0,
                },
            ];
        }),
    ) as ColdStartResult;
}
