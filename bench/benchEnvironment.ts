// Everything the measurements run against, started by the benchmark itself: a throw-away certificate
// authority, Azurite (in memory), an HTTPS signer of callback tokens, and the local Functions host
// wired to both. Stopped in reverse order, also when a measurement fails.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzurite, type RunningAzurite } from '../dev/azurite';
import { loadOrCreateTls, type TlsMaterial } from '../dev/tls';
import { startCallbackIssuer, type CallbackIssuer } from '../test/support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../test/support/hostProcess';

export const BENCH_BOT_APP_ID = '6a1f7a52-0d39-4d8c-9d5e-1c2f3b4a5d6e';
export const BENCH_TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';
export const APP_TABLE = 'BenchCallHistory';
/**
 * Timers run only when a measurement asks (the admin endpoint), never by their schedules (midnight on
 * 1 January), so no reconciler or purge run lands in a load window of another measurement.
 */
const TIMERS_ON_DEMAND = { RECONCILE_SCHEDULE: '0 0 0 1 1 *', RETENTION_SCHEDULE: '0 0 0 1 1 *' } as const;

export interface BenchEnvironment {
    azurite: RunningAzurite;
    tls: TlsMaterial & { caCertPath: string };
    issuer: CallbackIssuer;
    /** The app settings that make a host accept the issuer's tokens. */
    callbackSettings: Record<string, string>;
    /** The host the callback measurements post to. */
    host: HostProcess;
    /** Starts one more host on the same Azurite with extra settings, for the app or another function app folder. */
    startHost(env: Record<string, string>, appDir?: string): Promise<HostProcess>;
    stop(): Promise<void>;
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
    const stops: Array<() => Promise<void>> = [];
    const stop = async () => {
        for (const step of stops.reverse()) await step().catch(() => undefined);
    };
    try {
        const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'call-record-bench-tls-'));
        stops.push(async () => rmSync(tlsDir, { recursive: true, force: true }));
        const tls = loadOrCreateTls(tlsDir) as TlsMaterial & { caCertPath: string };
        // The test suite's signer reads its certificate from here (it is what `npm test` sets).
        process.env.TEST_TLS_DIR = tlsDir;

        const azurite = await startAzurite({ port: 0 });
        stops.push(() => azurite.stop());
        const issuer = await startCallbackIssuer();
        stops.push(() => issuer.stop());

        const startHost = async (env: Record<string, string>, appDir?: string): Promise<HostProcess> => {
            const host = await startHostProcess({
                env: {
                    // As in Azure, the host has AzureWebJobsStorage, so call-ended events are on by default (its queue).
                    AzureWebJobsStorage: azurite.connectionString,
                    CallHistoryStorage: azurite.connectionString,
                    CALL_HISTORY_TABLE: APP_TABLE,
                    NODE_EXTRA_CA_CERTS: tls.caCertPath,
                    ...TIMERS_ON_DEMAND,
                    ...env,
                },
                ...(appDir !== undefined ? { appDir } : {}),
            });
            stops.push(() => host.stop());
            return host;
        };
        const callbackSettings = {
            BOT_APP_ID: BENCH_BOT_APP_ID,
            CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
            ALLOWED_TENANT_IDS: BENCH_TENANT,
        };
        const host = await startHost(callbackSettings);
        return { azurite, tls, issuer, callbackSettings, host, startHost, stop };
    } catch (err) {
        await stop();
        throw err;
    }
}
