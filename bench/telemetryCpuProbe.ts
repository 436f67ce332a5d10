// Child process of the telemetry measurement: `node dist/bench/telemetryCpuProbe.js <callbacks> <rounds>`, with
// PROBE_CONNECTION_STRING and PROBE_IDENTITY_CLIENT_ID (and the managed identity endpoint, and the simulator's CA
// in NODE_EXTRA_CA_CERTS) in its environment. It records what a callback records (its four spans, its three
// metrics) through the app's own telemetry, `callbacks` times, with telemetry started as in Azure and exported to
// the simulator's ingestion, then flushed; and the same loop with telemetry off; the rounds alternate. Prints the
// CPU (user + system) each side took, in microseconds per callback, as one JSON line.

import { SPANS, METRICS } from '../shared/telemetry/catalogue';
import { startTelemetry } from '../shared/telemetry/startTelemetry';
import { inSpan, record } from '../shared/telemetry/telemetry';

/** What answerCallback records for a stored notification, and nothing else. */
async function oneCallback(traceParent: string): Promise<void> {
    await inSpan(SPANS.callback, { traceParent }, async (span) => {
        await span.inChild(SPANS.callbackVerify, async () => undefined);
        await span.inChild(SPANS.callbackStore, async (storing) => storing.set({ calls: 1, notifications: 1 }));
        await span.inChild(SPANS.callbackAnswer, async (answering) => answering.set({ status: '202' }));
        record(METRICS.callbackRequests, { status: '202' });
        record(METRICS.callbackDuration, { status: '202' }, 5);
        record(METRICS.notifications, { outcome: 'stored' });
        span.set({ status: '202', stored: 1, duplicates: 0, rejected: 0 });
    });
}

async function loop(callbacks: number): Promise<void> {
    for (let i = 0; i < callbacks; i++) {
        const id = i.toString(16).padStart(16, '0');
        await oneCallback(`00-${id}${id}-${id}-01`);
    }
}

function cpuMicroseconds(): number {
    const { user, system } = process.cpuUsage();
    return user + system;
}

async function main(): Promise<void> {
    const [callbacks = 2000, rounds = 3] = process.argv.slice(2).map(Number);
    const connectionString = process.env.PROBE_CONNECTION_STRING ?? '';
    const clientId = process.env.PROBE_IDENTITY_CLIENT_ID ?? '';
    const config = { azureMonitor: { connectionString, credential: { kind: 'managedIdentity' as const, clientId } }, serviceName: 'telemetry-cpu-probe' };
    const spent = { on: 0, off: 0 };
    // Round 0 warms up both sides (loading the SDK, the first token) and is not counted.
    for (let round = 0; round <= rounds; round++) {
        let started = cpuMicroseconds();
        await loop(callbacks);
        const off = cpuMicroseconds() - started;
        started = cpuMicroseconds();
        const telemetry = startTelemetry(config, () => undefined);
        await loop(callbacks);
        await telemetry?.shutdown();
        const on = cpuMicroseconds() - started;
        if (round > 0) {
            spent.off += off;
            spent.on += on;
        }
    }
    const per = (total: number) => total / (callbacks * rounds);
    process.stdout.write(`${JSON.stringify({ callbacks, rounds, offMicrosecondsPerCallback: per(spent.off), onMicrosecondsPerCallback: per(spent.on) })}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
});
