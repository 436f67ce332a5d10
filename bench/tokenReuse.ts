// Measurement 6, token reuse: 100 hang-ups (DELETE /api/calls/{id}) through a freshly started host wired to
// the call simulator, counting the simulator's token requests: the app must fetch one Graph token and reuse it.

import { performance } from 'node:perf_hooks';
import type { TlsMaterial } from '../dev/tls';
import { simulatorAppSettings, startSimulator } from '../dev/simulator';
import type { HostProcess } from '../test/support/hostProcess';
import { BenchHttpClient, expectStatus } from './httpClient';
import { median } from './statistics';

export interface TokenReuseResult {
    hangUps: number;
    tokenRequests: number;
    /** Median milliseconds per hang-up (Graph stand-in round trip plus the history write). */
    hangUpMs: number;
    /** Notifications the simulator delivered for the ended calls, and how many the app accepted (202). */
    callbacksDelivered: number;
    callbacksAccepted: number;
}

const CONCURRENCY = 10;

export async function measureTokenReuse(hangUps: number, tls: TlsMaterial, startHost: (env: Record<string, string>) => Promise<HostProcess>): Promise<TokenReuseResult> {
    const sim = await startSimulator({ port: 0, tls });
    const client = new BenchHttpClient(CONCURRENCY);
    let host: HostProcess | undefined;
    try {
        host = await startHost(simulatorAppSettings(sim));
        const baseUrl = host.baseUrl;
        sim.reset();
        const calls = Array.from({ length: hangUps }, () => sim.createCall({ callbackUri: `${baseUrl}/callback`, notify: false }).id);
        const latencies: number[] = [];
        let next = 0;
        await Promise.all(
            Array.from({ length: CONCURRENCY }, async () => {
                for (let callId = calls[next++]; callId !== undefined; callId = calls[next++]) {
                    const started = performance.now();
                    const answer = await client.request('DELETE', `${baseUrl}/calls/${encodeURIComponent(callId)}`);
                    latencies.push(performance.now() - started);
                    expectStatus(answer, 204, `DELETE /api/calls/${callId}`);
                }
            }),
        );
        const { tokenRequests } = sim.stats();
        await sim.settled(30_000);
        const { deliveries } = sim.stats();
        return {
            hangUps,
            tokenRequests,
            hangUpMs: median(latencies),
            callbacksDelivered: deliveries.length,
            callbacksAccepted: deliveries.filter((d) => d.status === 202).length,
        };
    } finally {
        client.close();
        await host?.stop();
        await sim.stop();
    }
}
