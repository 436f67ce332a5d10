// The host's memory (issue 10): a freshly started host of the app ingests whole typical calls (eight
// notifications each, in two POSTs: the call's start and its end), 32 calls at a time, until it has
// ingested `calls` calls; its resident set size is read from /proc after each tenth, at the end, and after a
// few idle seconds. Between tenths (nothing in flight) the table and the queue are emptied: Azurite's cost
// per write grows with the rows a table holds, and the host's caches do not care, because its calls never
// come back. The in-process caches that could hold on to calls are listed, with their bounds, in
// bench/README.md.

import { readFileSync } from 'node:fs';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import type { BenchEnvironment } from './benchEnvironment';
import { TYPICAL_CALL } from './notificationBodies';
import { progress } from './progress';
import { WholeCallLoad } from './wholeCallLoad';

export interface MemoryResult {
    calls: number;
    notificationsPerCall: number;
    notificationsPerPost: number;
    /** MiB: after a warm-up of WARM_UP_CALLS calls, then after each tenth of the calls. */
    rssMiB: { afterWarmUp: number; samples: Array<{ calls: number; rssMiB: number }>; atEnd: number; idle: number; peak: number };
    ingestSeconds: number;
    notificationsPerSecond: number;
}

const TABLE = 'BenchMemory';
const QUEUE = 'bench-memory-events';
const WARM_UP_CALLS = 200;
const CONCURRENCY = 32;
const PER_POST = 4;
const IDLE_MS = 5000;

export async function measureMemory(env: BenchEnvironment, tokens: readonly string[], calls: number): Promise<MemoryResult> {
    const host = await env.startHost({ ...env.callbackSettings, CALL_HISTORY_TABLE: TABLE, CALL_EVENTS_QUEUE: QUEUE });
    const table = TableClient.fromConnectionString(env.azurite.connectionString, TABLE, { allowInsecureConnection: true });
    const load = new WholeCallLoad({ baseUrl: host.baseUrl, table, tokens }, TYPICAL_CALL, CONCURRENCY);
    const queue = new QueueClient(env.azurite.connectionString, QUEUE);
    try {
        const pid = host.process.pid ?? 0;
        await load.reset();
        await load.ingest(WARM_UP_CALLS, CONCURRENCY, PER_POST);
        const afterWarmUp = memoryOf(pid).rssMiB;
        const samples: MemoryResult['rssMiB']['samples'] = [];
        const tenth = Math.ceil(calls / 10);
        let ingestMs = 0;
        for (let done = 0; done < calls; done += tenth) {
            await load.reset();
            await queue.clearMessages();
            const started = Date.now();
            await load.ingest(Math.min(tenth, calls - done), CONCURRENCY, PER_POST);
            ingestMs += Date.now() - started;
            samples.push({ calls: Math.min(done + tenth, calls), rssMiB: memoryOf(pid).rssMiB });
            progress(`memory: ${samples.at(-1)?.calls.toLocaleString('en-US')} calls ingested, host RSS ${Math.round(samples.at(-1)?.rssMiB ?? 0)} MiB`);
        }
        const ingestSeconds = ingestMs / 1000;
        const atEnd = memoryOf(pid).rssMiB;
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
        const { rssMiB: idle, peakMiB: peak } = memoryOf(pid);
        return {
            calls,
            notificationsPerCall: load.notificationsPerCall,
            notificationsPerPost: PER_POST,
            rssMiB: { afterWarmUp, samples, atEnd, idle, peak },
            ingestSeconds,
            notificationsPerSecond: (calls * load.notificationsPerCall) / ingestSeconds,
        };
    } finally {
        load.close();
        await host.stop();
        await table.deleteTable();
        await queue.deleteIfExists();
    }
}

/** VmRSS and VmHWM (the peak) of a process, in MiB; NaN without /proc. */
function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
    let status = '';
    try {
        status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
        // Not Linux: nothing to read.
    }
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}
