// Child process of the cold-start measurement: `node dist/bench/coldStartProbe.js <app|callback|baseline>`.
// Provides `@azure/functions-core` the way the Functions worker (and dev/host/main.ts) does, then times the
// requires of one load set and prints one JSON line.

import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCoreApi, FunctionAppRegistry, provideCoreModule } from '../dev/host/coreApi';
import { findEntryPoints } from '../dev/host/entryPoints';

export const LOAD_SETS = ['baseline', 'app', 'callback'] as const;
export type LoadSet = (typeof LOAD_SETS)[number];

export interface ProbeResult {
    set: LoadSet;
    /** Milliseconds from the first require of the set to the last one's return. */
    loadMs: number;
    /** Milliseconds since the process started (Node's own start-up included) when the set was loaded. */
    readyMs: number;
    /** Modules in the require cache after loading (files of the set and of everything they import). */
    modules: number;
    /** Whether anything of @azure/identity or MSAL was loaded. */
    identityLoaded: boolean;
    functions: number;
}

const REPOSITORY_ROOT = path.resolve(__dirname, '../..');

/** The files each set requires, resolved before the clock starts. */
function filesOf(set: LoadSet): string[] {
    switch (set) {
        case 'baseline':
            return [require.resolve('@azure/functions'), require.resolve('@azure/data-tables')];
        case 'app':
            return findEntryPoints(REPOSITORY_ROOT);
        case 'callback':
            return [path.join(REPOSITORY_ROOT, 'dist/functions/callNotifications.js')];
    }
}

function probe(set: LoadSet): ProbeResult {
    const registry = new FunctionAppRegistry();
    provideCoreModule(createCoreApi(registry, () => undefined, 'bench'));
    const files = filesOf(set);
    const before = Object.keys(require.cache).length;
    const started = performance.now();
    for (const file of files) require(file);
    const loaded = performance.now();
    const cached = Object.keys(require.cache);
    return {
        set,
        loadMs: loaded - started,
        readyMs: loaded,
        modules: cached.length - before,
        identityLoaded: cached.some((file) => /[\\/]@azure[\\/](identity|msal-node)[\\/]/.test(file)),
        functions: registry.functions.size,
    };
}

if (require.main === module) {
    const set = process.argv[2] as LoadSet;
    if (!LOAD_SETS.includes(set)) {
        process.stderr.write(`Usage: node coldStartProbe.js <${LOAD_SETS.join('|')}>\n`);
        process.exit(2);
    }
    process.stdout.write(`${JSON.stringify(probe(set))}\n`);
}
