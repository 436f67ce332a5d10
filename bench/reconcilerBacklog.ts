// The reconciler (issue 11) against the call simulator as Graph: a backlog of stuck calls (established,
// quiet for two hours, unknown to Graph, so each check closes one) beside live calls (quiet for five
// minutes, which no run may ask about), written through the app's CallStore. A host with the default
// reconciler settings (RECONCILE_AFTER_MINUTES 45, RECONCILE_MAX_CALLS 500) runs reconcileCalls through the
// admin endpoint until a run finds nothing due; each run's time is the host's. The time to drain the
// backlog on the default schedule follows from the runs it took. Then one run over fresh stuck calls whose
// Graph answer the simulator delays, as a real Graph's round trip would.

import { TableClient } from '@azure/data-tables';
import { DEFAULTS } from '../shared/settings/config';
import { CallStore } from '../shared/record/callStore';
import { TimerSchedule } from '../dev/host/timerSchedule';
import { simulatorAppSettings, startSimulator } from '../dev/simulator';
import type { BenchEnvironment } from './benchEnvironment';
import { benchCallIds } from './notificationBodies';
import { progress } from './progress';
import { seedCalls, type SeededCall } from './seedCalls';
import { runTimerFunction } from './timerRun';

interface ReconcileRun {
    durationMs: number;
    active: number;
    due: number;
    checked: number;
    closed: number;
}

export interface ReconcilerResult {
    backlog: number;
    liveCalls: number;
    maxCallsPerRun: number;
    scheduleMinutes: number;
    runs: ReconcileRun[];
    /** Calls checked with Graph per second of the runs that checked any. */
    checkedPerSecond: number;
    /** From the first scheduled run that sees the backlog to the end of the run that closes its last call. */
    drainMinutes: number;
    /** Graph requests about live calls (must be 0) and stuck calls left open (must be 0). */
    liveCallsAsked: number;
    stuckLeftOpen: number;
    /** One run over stuck calls whose Graph answer takes `graphLatencyMs`. */
    withGraphLatency: { graphLatencyMs: number; calls: number; durationMs: number; checkedPerSecond: number };
}

const TABLE = 'BenchReconcile';
const RECONCILED = /Reconciled(?: \(this run was past due\))?: (\d+) active calls, (\d+) quiet for \d+ min, (\d+) checked with Graph: (\d+) closed/;
const GRAPH_LATENCY_MS = 200;
const WARM_UP_CALLS = 5;

export async function measureReconciler(env: BenchEnvironment, backlog: number, latencyCalls: number): Promise<ReconcilerResult> {
    const sim = await startSimulator({ port: 0, tls: env.tls });
    try {
        const host = await env.startHost({ ...simulatorAppSettings(sim), CALL_HISTORY_TABLE: TABLE });
        const table = TableClient.fromConnectionString(env.azurite.connectionString, TABLE, { allowInsecureConnection: true });
        const store = new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds });
        const now = Date.now();
        // A long-running instance has its Graph token, connections and compiled code: one run over a few stuck calls first.
        await seedCalls(store, calls('warmup', WARM_UP_CALLS, now - 2 * 3600_000));
        await reconcileOnce(host);
        // Typical calls without their end: the last of their six notifications five minutes after the start.
        const stuck = calls('stuck', backlog, now - 2 * 3600_000);
        const live = calls('live', Math.ceil(backlog / 10), now - 10 * 60_000);
        progress(`reconciler: writing ${stuck.length} stuck and ${live.length} live calls`);
        await seedCalls(store, [...stuck, ...live]);

        const runs: ReconcileRun[] = [];
        for (let run = 1; ; run++) {
            const result = await reconcileOnce(host);
            progress(`reconciler: run ${run}: ${result.checked} checked, ${result.closed} closed in ${result.durationMs} ms`);
            if (result.checked === 0) break;
            runs.push(result);
            if (run > backlog / DEFAULTS.reconcileMaxCalls + 2) throw new Error(`The reconciler did not drain ${backlog} stuck calls in ${run} runs.`);
        }
        const liveIds = new Set(live.map((call) => call.callId));
        const liveCallsAsked = sim.stats().graphRequests.filter((request) => request.callId !== undefined && liveIds.has(request.callId)).length;
        const stuckLeftOpen = backlog - runs.reduce((sum, run) => sum + run.closed, 0);

        const delayed = calls('slow', latencyCalls, now - 2 * 3600_000);
        await seedCalls(store, delayed);
        for (const call of delayed) sim.script(call.callId, [{ status: 404, delayMs: GRAPH_LATENCY_MS }]);
        progress(`reconciler: one run over ${latencyCalls} stuck calls, Graph answering in ${GRAPH_LATENCY_MS} ms`);
        const slow = await reconcileOnce(host);
        await host.stop();

        const schedule = TimerSchedule.parse(DEFAULTS.reconcileSchedule);
        const first = schedule.next(new Date());
        const scheduleMinutes = (schedule.next(first).getTime() - first.getTime()) / 60_000;
        const busy = runs.reduce((sum, run) => sum + run.durationMs, 0);
        return {
            backlog,
            liveCalls: live.length,
            maxCallsPerRun: DEFAULTS.reconcileMaxCalls,
            scheduleMinutes,
            runs,
            checkedPerSecond: (runs.reduce((sum, run) => sum + run.checked, 0) * 1000) / busy,
            drainMinutes: (runs.length - 1) * scheduleMinutes + (runs.at(-1)?.durationMs ?? 0) / 60_000,
            liveCallsAsked,
            stuckLeftOpen,
            withGraphLatency: { graphLatencyMs: GRAPH_LATENCY_MS, calls: slow.checked, durationMs: slow.durationMs, checkedPerSecond: (slow.checked * 1000) / slow.durationMs },
        };
    } finally {
        await sim.stop();
    }
}

function calls(purpose: string, count: number, startedAt: number): SeededCall[] {
    return benchCallIds(purpose, count).map((callId, i) => ({ callId, startedAt: new Date(startedAt - i * 1000), ended: false }));
}

async function reconcileOnce(host: Parameters<typeof runTimerFunction>[0]): Promise<ReconcileRun> {
    const { durationMs, log } = await runTimerFunction(host, 'reconcileCalls');
    const match = RECONCILED.exec(log);
    if (match === null) throw new Error(`reconcileCalls did not log its result:\n${log}`);
    const [, active, due, checked, closed] = match.map(Number);
    return { durationMs, active: active ?? 0, due: due ?? 0, checked: checked ?? 0, closed: closed ?? 0 };
}
