// A keepAlive run over many active calls (issue 19), against the call simulator as Graph: the calls exist in the
// simulator and are active in the record (written through the app's CallStore); a host with KEEP_ALIVE_MINUTES set
// runs keepCallsAlive through the admin endpoint. Counted: the host's time for the run, the keepAlives Graph got, the
// table requests (through a counting proxy), and that every call was kept alive. Run twice: the second run is what
// every later one costs.

import { TableClient } from '@azure/data-tables';
import type { RunningAzurite } from '../dev/azurite';
import { simulatorAppSettings, startSimulator } from '../dev/simulator';
import type { TlsMaterial } from '../dev/tls';
import { DEFAULTS } from '../shared/settings/config';
import { CallStore } from '../shared/record/callStore';
import type { HostProcess } from '../test/support/hostProcess';
import { startCountingProxy, throughProxy } from './countingProxy';
import { benchCallIds } from './notificationBodies';
import { progress } from './progress';
import { seedCalls } from './seedCalls';
import { runTimerFunction } from './timerRun';

interface KeepAliveRun {
    durationMs: number;
    active: number;
    /** keepAlives the run says it sent, and those Graph (the simulator) got. */
    sent: number;
    keptAlive: number;
    graphKeepAlives: number;
    tableRequests: number;
    tableKinds: Record<string, number>;
}

export interface KeepAliveCostResult {
    calls: number;
    runs: KeepAliveRun[];
    /** Scheduled runs of the timer that happened to fire during the measurement (they would add to its counts). */
    scheduledRunsMeanwhile: number;
}

const TABLE = 'BenchKeepAlive';
const KEPT = /Kept calls alive(?: \(this run was past due\))?: (\d+) active calls, (\d+) keepAlives sent: (\d+) kept alive/;

export async function measureKeepAlive(
    azurite: RunningAzurite,
    tls: TlsMaterial,
    startHost: (env: Record<string, string>) => Promise<HostProcess>,
    calls: number,
): Promise<KeepAliveCostResult> {
    const sim = await startSimulator({ port: 0, tls });
    const proxy = await startCountingProxy(azurite.ports.table);
    let host: HostProcess | undefined;
    try {
        const table = TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true });
        await table.createTable().catch(() => undefined);
        const store = new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds });
        const ids = benchCallIds('keepalive', calls);
        // Calls Graph has (the simulator, without notifying anyone) and the record has as active.
        for (const id of ids) sim.createCall({ id, callbackUri: 'https://localhost:9/callback', notify: false });
        progress(`keepAlive: writing ${calls} active calls`);
        await seedCalls(
            store,
            ids.map((callId, i) => ({ callId, startedAt: new Date(Date.now() - 20 * 60_000 - i * 100), ended: false })),
        );
        host = await startHost({
            ...simulatorAppSettings(sim),
            CallHistoryStorage: throughProxy(azurite.connectionString, azurite.ports.table, proxy.port),
            CALL_HISTORY_TABLE: TABLE,
            // Every 30 minutes (at :00 and :30): a scheduled run during the measurement is reported, not hidden.
            KEEP_ALIVE_MINUTES: '30',
        });
        const runs: KeepAliveRun[] = [];
        const scheduledBefore = countRuns(host.logs());
        for (let run = 1; run <= 2; run++) {
            const before = { table: proxy.counted(), graph: keepAlives(sim) };
            const { durationMs, log } = await runTimerFunction(host, 'keepCallsAlive');
            const match = KEPT.exec(log);
            if (match === null) throw new Error(`keepCallsAlive did not log its result:\n${log}`);
            const counted = proxy.since(before.table);
            runs.push({
                durationMs,
                active: Number(match[1]),
                sent: Number(match[2]),
                keptAlive: Number(match[3]),
                graphKeepAlives: keepAlives(sim) - before.graph,
                tableRequests: counted.total,
                tableKinds: counted.kinds,
            });
            progress(`keepAlive: run ${run}: ${match[3]} of ${match[1]} kept alive in ${durationMs} ms`);
        }
        return { calls, runs, scheduledRunsMeanwhile: countRuns(host.logs()) - scheduledBefore - runs.length };
    } finally {
        await host?.stop();
        await sim.stop();
        await proxy.stop();
    }
}

function keepAlives(sim: Awaited<ReturnType<typeof startSimulator>>): number {
    return sim.stats().graphRequests.filter((request) => request.path.endsWith('/keepAlive')).length;
}

function countRuns(log: string): number {
    return log.split('\n').filter((line) => KEPT.test(line)).length;
}
