// What one call costs the CallStore's cache of known calls, in heap: 3,000 typical calls stored through one
// CallStore whose cache holds one call, then through one whose cache holds them all, the heap read after a
// full garbage collection each time. Not part of `npm run bench` (it needs --expose-gc); run it with
//
//   npm run build && node --expose-gc dist/bench/cachedCallHeap.js

import { TableClient } from '@azure/data-tables';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAzurite } from '../dev/azurite';
import { CallStore } from '../shared/record/callStore';
import { DEFAULTS } from '../shared/settings/config';
import { seedCalls, spreadCalls } from './seedCalls';

const CALLS = 3000;

async function heapAfterGc(): Promise<number> {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (gc === undefined) throw new Error('Run with node --expose-gc.');
    await sleep(1500); // lets sockets and timers of the last writes settle
    for (let i = 0; i < 4; i++) gc();
    return process.memoryUsage().heapUsed;
}

async function main(): Promise<void> {
    const azurite = await startAzurite({ port: 0 });
    try {
        const table = TableClient.fromConnectionString(azurite.connectionString, 'CachedCallHeap', { allowInsecureConnection: true });
        await table.createTable();
        const hour = () => [new Date(Date.now() - 3600_000), new Date()] as const;
        // Warm-up: connections, compiled code.
        await seedCalls(new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds }), spreadCalls('warm', 300, ...hour()));
        const kept: CallStore[] = [];
        for (const cachedCalls of [1, 10_000]) {
            const store = new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds, cachedCalls });
            kept.push(store);
            const before = await heapAfterGc();
            await seedCalls(store, spreadCalls(`cached${cachedCalls}`, CALLS, ...hour()));
            const perCall = (await heapAfterGc()) - before;
            console.log(
                `cache of ${cachedCalls.toLocaleString('en-US')}: ${(perCall / CALLS / 1024).toFixed(2)} KiB of heap per call stored (${CALLS.toLocaleString('en-US')} typical calls)`,
            );
        }
    } finally {
        await azurite.stop();
    }
}

main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
});
