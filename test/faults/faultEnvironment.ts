// Everything the fault suite runs against, started by the suite itself: Azurite (in memory), a TCP proxy
// in front of it that can cut storage, a callback signer whose JWKS can go down, and two local host
// processes running the real app on the same table through the proxy, with callback auth enabled.
// The certificate authority the signer's HTTPS needs is the caller's (`npm test` or faults.ts make one).

import { TableClient } from '@azure/data-tables';
import { devStorageConnectionString, startAzurite, type RunningAzurite } from '../../dev/azurite';
import { startCallbackIssuer, type CallbackIssuer, type SigningKey } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { startStorageProxy, type StorageProxy } from './storageProxy';

const FAULTS_BOT_APP_ID = '6a1f7a52-0d39-4d8c-9d5e-1c2f3b4a5d6e';
const FAULTS_TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';
const FAULTS_TABLE = 'FaultsCallHistory';
/** The app's default `DEDUPE_WINDOW_SECONDS`; the hosts run with it. */
export const DEDUPE_WINDOW_SECONDS = 600;

export class FaultEnvironment {
    readonly azurite: RunningAzurite;
    readonly proxy: StorageProxy;
    readonly issuer: CallbackIssuer;
    /** The table read straight from Azurite, not through the proxy, so read-back works while storage is cut. */
    readonly table: TableClient;
    /** The two instances; an entry is replaced when its host is restarted. */
    readonly hosts: HostProcess[];

    private constructor(azurite: RunningAzurite, proxy: StorageProxy, issuer: CallbackIssuer, hosts: HostProcess[]) {
        this.azurite = azurite;
        this.proxy = proxy;
        this.issuer = issuer;
        this.hosts = hosts;
        this.table = TableClient.fromConnectionString(azurite.connectionString, FAULTS_TABLE, { allowInsecureConnection: true });
    }

    /**
     * @example
     * const env = await FaultEnvironment.start();
     * try { ... env.hosts[0].baseUrl ... } finally { await env.stop(); }
     */
    static async start(): Promise<FaultEnvironment> {
        const stops: Array<() => Promise<void>> = [];
        try {
            const azurite = await startAzurite({ port: 0 });
            stops.push(() => azurite.stop());
            const proxy = await startStorageProxy(azurite.port);
            stops.push(() => proxy.stop());
            const issuer = await startCallbackIssuer();
            stops.push(() => issuer.stop());
            const hosts: HostProcess[] = [];
            for (let i = 0; i < 2; i++) {
                const host = await startHostProcess({ env: hostSettings(azurite, proxy, issuer) });
                stops.push(() => host.stop());
                hosts.push(host);
            }
            const env = new FaultEnvironment(azurite, proxy, issuer, hosts);
            await env.table.createTable();
            return env;
        } catch (err) {
            for (const stop of stops.reverse()) await stop().catch(() => undefined);
            throw err;
        }
    }

    /** A token as Graph sends it (reused for many callbacks), signed with the issuer's current key or `key`. */
    token(key?: SigningKey): Promise<string> {
        return this.issuer.sign({ aud: FAULTS_BOT_APP_ID, tid: FAULTS_TENANT }, key === undefined ? {} : { key });
    }

    /** SIGKILL: no drain, no goodbye, whatever it had in flight is cut off. */
    async kill(instance: number): Promise<void> {
        const host = this.requireHost(instance);
        const exited = new Promise<void>((resolve) => host.process.once('exit', () => resolve()));
        if (host.process.exitCode === null && host.process.signalCode === null) {
            host.process.kill('SIGKILL');
            await exited;
        }
    }

    /** Starts the instance again, on a new port, on the same table. */
    async restart(instance: number): Promise<void> {
        this.requireHost(instance);
        this.hosts[instance] = await startHostProcess({ env: hostSettings(this.azurite, this.proxy, this.issuer) });
    }

    /** Instances whose process has exited (crashed, or killed and not restarted). */
    deadInstances(): number[] {
        return this.hosts.flatMap((host, i) => (host.process.exitCode !== null || host.process.signalCode !== null ? [i] : []));
    }

    async stop(): Promise<void> {
        for (const step of [...this.hosts.map((host) => () => host.stop()), () => this.issuer.stop(), () => this.proxy.stop(), () => this.azurite.stop()]) {
            await step().catch(() => undefined);
        }
    }

    private requireHost(instance: number): HostProcess {
        const host = this.hosts[instance];
        if (host === undefined) throw new Error(`There is no instance ${instance}.`);
        return host;
    }
}

function hostSettings(azurite: RunningAzurite, proxy: StorageProxy, issuer: CallbackIssuer): Record<string, string> {
    return {
        CallHistoryStorage: devStorageConnectionString(proxy.port),
        // The call-ended events go straight to Azurite's queue: the storage cut is the table's (a queue
        // outage is the lifecycle tests' case), and the events of the calls that end here must not fail.
        AzureWebJobsStorage: devStorageConnectionString({ queue: azurite.ports.queue }),
        CALL_HISTORY_TABLE: FAULTS_TABLE,
        BOT_APP_ID: FAULTS_BOT_APP_ID,
        CALLBACK_AUTH: 'enabled',
        CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
        ALLOWED_TENANT_IDS: FAULTS_TENANT,
        DEDUPE_WINDOW_SECONDS: String(DEDUPE_WINDOW_SECONDS),
    };
}
