// Fetching and storing Graph's call record (issue 19), against the call simulator as Graph: a call ends through the
// app, its record in Graph is made a 250-participant, 300-session meeting (and, to compare, a four-person call), and
// fetchCallRecords is run through the admin endpoint with the message its queue would deliver. Counted: the host's
// time for the run, the Graph requests (the record and every page of sessions and participants), the table and blob
// requests, the queue messages put, and the bytes kept in Blob Storage.

import { ContainerClient } from '@azure/storage-blob';
import type { RunningAzurite } from '../dev/azurite';
import { simulatorAppSettings, startSimulator } from '../dev/simulator';
import type { TlsMaterial } from '../dev/tls';
import type { HostProcess } from '../test/support/hostProcess';
import { startCountingProxy, throughProxy } from './countingProxy';
import { progress } from './progress';
import { median } from './statistics';
import { runTimerFunction } from './timerRun';

export interface CallRecordCostRow {
    participants: number;
    sessions: number;
    /** Medians over the calls fetched. */
    ms: number;
    graphRequests: number;
    tableRequests: number;
    blobRequests: number;
    /** Messages put on queues: recordAvailable, the next fetch. */
    queueMessages: number;
    blobBytes: number;
    calls: number;
}

const TABLE = 'BenchCallRecords';
const CONTAINER = 'bench-call-records';
export const CALL_RECORD_SHAPES = [
    { participants: 4, sessions: 3 },
    { participants: 250, sessions: 300 },
] as const;

export async function measureCallRecordCost(
    azurite: RunningAzurite,
    tls: TlsMaterial,
    startHost: (env: Record<string, string>) => Promise<HostProcess>,
    callsPerShape: number,
): Promise<CallRecordCostRow[]> {
    const sim = await startSimulator({ port: 0, tls });
    const tables = await startCountingProxy(azurite.ports.table);
    const blobs = await startCountingProxy(azurite.ports.blob);
    const queues = await startCountingProxy(azurite.ports.queue);
    let host: HostProcess | undefined;
    try {
        host = await startHost({
            ...simulatorAppSettings(sim),
            CallHistoryStorage: throughProxy(azurite.connectionString, azurite.ports.table, tables.port),
            CallRecordsStorage: throughProxy(azurite.connectionString, azurite.ports.blob, blobs.port),
            // Its queues (the call-ended and recordAvailable events, the delayed fetches) through the counter; its blobs
            // (the host's own timer status and leases) not, so the blob count is the call records'.
            AzureWebJobsStorage: throughProxy(azurite.connectionString, azurite.ports.queue, queues.port),
            CALL_HISTORY_TABLE: TABLE,
            CALL_RECORDS: 'on',
            CALL_RECORDS_CONTAINER: CONTAINER,
            // The queue's own message waits a day: only the runs the benchmark asks for fetch.
            CALL_RECORD_DELAY_MINUTES: '1440',
            CALL_RECORD_GIVE_UP_HOURS: '48',
        });
        sim.clock({ callRecordDelayMinutes: 0 });
        const container = new ContainerClient(azurite.connectionString, CONTAINER);
        const rows: CallRecordCostRow[] = [];
        for (const shape of CALL_RECORD_SHAPES) {
            const samples: Array<Omit<CallRecordCostRow, 'participants' | 'sessions' | 'calls'>> = [];
            // The first fetch of the run (the Graph token, the blob module, the container) is not measured.
            for (let i = 0; i <= callsPerShape; i++) {
                const callId = await endedCall(sim, host);
                sim.callRecord(callId, shape);
                const before = { tables: tables.count(), blobs: blobs.count(), queues: queues.counted(), graph: sim.stats().graphRequests.length };
                const message = JSON.stringify({ callId, attempt: 1, endedAt: new Date().toISOString() });
                const { durationMs, log } = await runTimerFunction(host, 'fetchCallRecords', 5 * 60_000, message);
                if (!/fetched version \d+/.test(log)) throw new Error(`fetchCallRecords did not fetch the record of ${callId}:\n${log}`);
                const graphRequests = sim
                    .stats()
                    .graphRequests.slice(before.graph)
                    .filter((request) => request.path.includes('/callRecords/')).length;
                const sample = {
                    ms: durationMs,
                    graphRequests,
                    tableRequests: tables.count() - before.tables,
                    blobRequests: blobs.count() - before.blobs,
                    // Messages put; the host's polls of its queues are not the fetch's.
                    queueMessages: queues.since(before.queues).kinds['queue message'] ?? 0,
                    blobBytes: (await container.getBlobClient(`${callId}/1.json`).getProperties()).contentLength ?? 0,
                };
                if (i > 0) samples.push(sample);
            }
            const of = (pick: (sample: (typeof samples)[number]) => number) => median(samples.map(pick));
            rows.push({
                ...shape,
                ms: of((s) => s.ms),
                graphRequests: of((s) => s.graphRequests),
                tableRequests: of((s) => s.tableRequests),
                blobRequests: of((s) => s.blobRequests),
                queueMessages: of((s) => s.queueMessages),
                blobBytes: of((s) => s.blobBytes),
                calls: samples.length,
            });
            progress(`call records: ${shape.participants} participants, ${shape.sessions} sessions measured`);
        }
        return rows;
    } finally {
        await host?.stop();
        await sim.stop();
        await tables.stop();
        await blobs.stop();
        await queues.stop();
    }
}

/** A call placed and hung up through the app; resolves once the app has recorded its end (and so its callChainId). */
async function endedCall(sim: Awaited<ReturnType<typeof startSimulator>>, host: HostProcess): Promise<string> {
    const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback` });
    await sim.settled();
    const hangUp = await fetch(`${host.baseUrl}/calls/${call.id}`, { method: 'DELETE' });
    if (hangUp.status !== 204) throw new Error(`DELETE /calls/${call.id}: ${hangUp.status} ${await hangUp.text()}`);
    await sim.settled();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const summary = (await (await fetch(`${host.baseUrl}/calls/${call.id}`)).json()) as { callState?: string; callChainId?: string };
        if (summary.callState === 'terminated' && summary.callChainId !== undefined) return call.id;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`The app did not record the end of call ${call.id}.`);
}
