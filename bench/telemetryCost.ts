// What the app's telemetry costs the callback (issue 21): whole calls at concurrency 32 through two hosts of the
// app that differ only in APPLICATIONINSIGHTS_CONNECTION_STRING (and its authentication string): on, the real
// Azure Monitor exporter sends the metrics, the four spans of every callback and the logs to the call simulator's
// ingestion endpoint, signing in with a managed-identity stand-in, as in Azure; off, nothing is loaded. They take
// turns on emptied tables. The hosts stop at the end, which sends what is pending; the simulator then counts
// what arrived, so a telemetry that quietly dropped spans cannot pass for a cheap one.

import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { startSimulator } from '../dev/simulator';
import { startManagedIdentityEndpoint } from '../test/support/managedIdentityEndpoint';
import { METRICS } from '../shared/telemetry/catalogue';
import { BENCH_TENANT, type BenchEnvironment } from './benchEnvironment';
import { pairedRatio } from './loadSample';
import type { CallShape } from './notificationBodies';
import { progress } from './progress';
import { measureHostsSideBySide, summariseSide, type SideBySideOptions, type SideSummary } from './sideBySide';

const run = promisify(execFile);

export interface TelemetryCostResult {
    concurrency: number;
    notificationsPerCall: number;
    on: SideSummary;
    off: SideSummary;
    /** Notifications per second, on / off (median of the per-repetition ratios). */
    rateRatio: number;
    /** What ingestion took from the host with telemetry on, warm-up included, by kind; and the requests it refused. */
    received: { metrics: number; spans: number; logs: number; refusedRequests: number };
    /** Callbacks the host with telemetry on answered, warm-up included, as its own callback metric counted them: four spans each. */
    callbacksOn: number;
    /** Spans of those callbacks that did not reach ingestion (four per callback, less those received). */
    spansLost: number;
    /**
     * The telemetry's own CPU per callback, in one process doing nothing else (telemetryCpuProbe.ts): what a
     * callback records, exported to the simulator and flushed, against the same loop with telemetry off; and what
     * that makes of the host's CPU per notification with telemetry off, as a throughput ratio for a host whose CPU
     * is the limit: off / (off + telemetry).
     */
    cpu: { callbacks: number; offMicrosecondsPerCallback: number; onMicrosecondsPerCallback: number; telemetryMicrosecondsPerCallback: number; cpuBoundRatio: number };
}

/** A call as Graph usually sends it: establishing, established, terminated, one POST each. */
const PLAIN_CALL: CallShape = { rosterUpdates: 0, deletedAfterEnd: false };
const IDENTITY_CLIENT_ID = 'dededede-4444-4444-8444-dededededede';
/** callback, callback.verify, callback.store, callback.answer. */
const SPANS_PER_CALLBACK = 4;
const PROBE = path.join(__dirname, 'telemetryCpuProbe.js');
const PROBE_CALLBACKS = 5000;
const PROBE_ROUNDS = 3;

type ProbeResult = { callbacks: number; offMicrosecondsPerCallback: number; onMicrosecondsPerCallback: number };

/** The probe in a process of its own, trusting the simulator's CA as a host does. */
async function runCpuProbe(env: BenchEnvironment, connectionString: string, platform: Record<string, string>): Promise<ProbeResult> {
    progress(`telemetry: its own CPU, ${PROBE_CALLBACKS} callbacks' worth, ${PROBE_ROUNDS} rounds on and off in one process`);
    const { stdout } = await run(process.execPath, [PROBE, String(PROBE_CALLBACKS), String(PROBE_ROUNDS)], {
        env: { ...process.env, ...platform, NODE_EXTRA_CA_CERTS: env.tls.caCertPath, PROBE_CONNECTION_STRING: connectionString, PROBE_IDENTITY_CLIENT_ID: IDENTITY_CLIENT_ID },
    });
    return JSON.parse(stdout) as ProbeResult;
}

export async function measureTelemetryCost(env: BenchEnvironment, options: SideBySideOptions): Promise<TelemetryCostResult> {
    const [simulator, identity] = await Promise.all([startSimulator({ port: 0, tls: env.tls }), startManagedIdentityEndpoint(BENCH_TENANT)]);
    try {
        // Both hosts see the same platform settings (a managed identity at hand); only the connection string differs.
        const platform = { ...identity.env, APPLICATION_INSIGHTS_NO_STATSBEAT: 'true' };
        const {
            samples: [on = [], off = []],
            notificationsPerCall,
        } = await measureHostsSideBySide(
            env,
            PLAIN_CALL,
            [
                {
                    settings: {
                        CALL_HISTORY_TABLE: 'BenchTelemetryOn',
                        CALL_EVENTS_QUEUE: '',
                        ...platform,
                        APPLICATIONINSIGHTS_CONNECTION_STRING: simulator.applicationInsightsConnectionString,
                        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: `ClientId=${IDENTITY_CLIENT_ID};Authorization=AAD`,
                    },
                },
                { settings: { CALL_HISTORY_TABLE: 'BenchTelemetryOff', CALL_EVENTS_QUEUE: '', ...platform } },
            ],
            options,
            (repetition) => progress(`telemetry: repetition ${repetition}/${options.repetitions}, on and off`),
        );
        const items = simulator.telemetry();
        const count = (baseType: string) => items.filter((item) => item.data?.baseType === baseType).length;
        const callbacksOn = items
            .flatMap((item) => (item.data?.baseType === 'MetricData' ? ((item.data.baseData as { metrics: Array<{ name: string; value: number }> }).metrics ?? []) : []))
            .filter((metric) => metric.name === METRICS.callbackRequests.name)
            .reduce((sum, metric) => sum + metric.value, 0);
        const callbackSpans = items.filter((item) => item.data?.baseType === 'RemoteDependencyData' && String(item.data.baseData?.name).startsWith('callback')).length;
        const probe = await runCpuProbe(env, simulator.applicationInsightsConnectionString, platform);
        const telemetryMicroseconds = probe.onMicrosecondsPerCallback - probe.offMicrosecondsPerCallback;
        const hostMicroseconds = (summariseSide(off).cpuMsPerNotification.server ?? Number.NaN) * 1000;
        return {
            concurrency: options.concurrency,
            notificationsPerCall,
            on: summariseSide(on),
            off: summariseSide(off),
            rateRatio: pairedRatio(on, off),
            received: { metrics: count('MetricData'), spans: count('RemoteDependencyData'), logs: count('MessageData'), refusedRequests: simulator.stats().ingestionRefusals },
            callbacksOn,
            spansLost: Math.max(0, callbacksOn * SPANS_PER_CALLBACK - callbackSpans),
            cpu: { ...probe, telemetryMicrosecondsPerCallback: telemetryMicroseconds, cpuBoundRatio: hostMicroseconds / (hostMicroseconds + telemetryMicroseconds) },
        };
    } finally {
        await Promise.all([simulator.stop(), identity.stop()]);
    }
}
