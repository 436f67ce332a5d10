// Everything the fault suite runs against, started by the suite itself: Azurite (in memory), a TCP proxy
// in front of it that can cut storage, a callback signer whose JWKS can go down, a bot endpoint that logs
// everything it receives (test/support/testBot.ts), and two local host processes running the real app on the
// same table through the proxy, with callback auth enabled, and with the relay to the bot on for the relay
// scenarios (`setRelay`), which write a table of their own. The certificate authority the signer's HTTPS needs is the caller's (`npm test` or
// faults.ts make one).

import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { devStorageConnectionString, startAzurite, type RunningAzurite } from '../../dev/azurite';
import { startCallbackIssuer, type CallbackIssuer, type SigningKey } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { newRelaySecret, startTestBot, type TestBot } from '../support/testBot';
import { startStorageProxy, type StorageProxy } from './storageProxy';

const FAULTS_BOT_APP_ID = '6a1f7a52-0d39-4d8c-9d5e-1c2f3b4a5d6e';
const FAULTS_TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';
const FAULTS_TABLE = 'FaultsCallHistory';
/**
 * The relay scenarios' table. Azurite answers any query by scanning the whole table, and the relay's retries read
 * a call's pending rows with a range query (a partition's own range in Azure); on the table the earlier scenarios
 * filled (tens of thousands of rows) those scans, not the relay, would be what the scenarios measure.
 */
const FAULTS_RELAY_TABLE = 'FaultsRelayHistory';
/** The app's default `DEDUPE_WINDOW_SECONDS`; the hosts run with it. */
export const DEDUPE_WINDOW_SECONDS = 600;
/** How long the callback's own attempt may wait for the bot in the relay scenarios. */
export const RELAY_INLINE_TIMEOUT_MS = 1000;
/** The relay scenarios' retry schedule: quicker than the default (5 s, 30 s, 2 min, ...), the same rules. */
const RELAY_RETRY_SCHEDULE = '1s,2s,5s,10s';

export class FaultEnvironment {
    readonly azurite: RunningAzurite;
    readonly proxy: StorageProxy;
    readonly issuer: CallbackIssuer;
    /** What RELAY_URL points at while the relay is on; scenarios say how it answers and read its log. */
    readonly bot: TestBot;
    readonly #tables: { record: TableClient; relay: TableClient };
    /** The two instances; an entry is replaced when its host is restarted. */
    readonly hosts: HostProcess[];
    readonly #relaySettings: Record<string, string>;
    #relayOn = false;

    private constructor(azurite: RunningAzurite, proxy: StorageProxy, issuer: CallbackIssuer, bot: TestBot, relaySettings: Record<string, string>, hosts: HostProcess[]) {
        this.azurite = azurite;
        this.proxy = proxy;
        this.issuer = issuer;
        this.bot = bot;
        this.#relaySettings = relaySettings;
        this.hosts = hosts;
        const client = (name: string) => TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
        this.#tables = { record: client(FAULTS_TABLE), relay: client(FAULTS_RELAY_TABLE) };
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
            const secret = newRelaySecret();
            const bot = await startTestBot(secret);
            stops.push(() => bot.stop());
            const hosts: HostProcess[] = [];
            for (let i = 0; i < 2; i++) {
                const host = await startHostProcess({ env: hostSettings(azurite, proxy, issuer) });
                stops.push(() => host.stop());
                hosts.push(host);
            }
            const env = new FaultEnvironment(azurite, proxy, issuer, bot, relaySettings(bot, secret), hosts);
            await env.#tables.record.createTable();
            await env.#tables.relay.createTable();
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

    /** The table the instances write now, read straight from Azurite, not through the proxy, so read-back works while storage is cut. */
    get table(): TableClient {
        return this.#relayOn ? this.#tables.relay : this.#tables.record;
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

    /** Starts the instance again, on a new port, on the same table (and with the relay on if it was). */
    async restart(instance: number): Promise<void> {
        this.requireHost(instance);
        this.hosts[instance] = await startHostProcess({ env: this.#settings() });
    }

    /**
     * Turns the relay to `bot` on or off: both instances are stopped and started again with or without the relay's
     * settings (nothing happens when it already is as asked). The bot answers 200 at once again either way.
     * Resolves true when the instances were started again.
     */
    async setRelay(on: boolean): Promise<boolean> {
        this.bot.answer(() => ({ status: 200 }));
        await this.bot.up();
        if (on === this.#relayOn) return false;
        this.#relayOn = on;
        for (let i = 0; i < this.hosts.length; i++) {
            await this.requireHost(i).stop();
            this.hosts[i] = await startHostProcess({ env: this.#settings() });
        }
        return true;
    }

    #settings(): Record<string, string> {
        return { ...hostSettings(this.azurite, this.proxy, this.issuer), ...(this.#relayOn ? this.#relaySettings : {}) };
    }

    /** Instances whose process has exited (crashed, or killed and not restarted). */
    deadInstances(): number[] {
        return this.hosts.flatMap((host, i) => (host.process.exitCode !== null || host.process.signalCode !== null ? [i] : []));
    }

    async stop(): Promise<void> {
        for (const step of [...this.hosts.map((host) => () => host.stop()), () => this.bot.stop(), () => this.issuer.stop(), () => this.proxy.stop(), () => this.azurite.stop()]) {
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

/**
 * The relay to the bot, with quick retries: queues polled every 200 ms at most, a failed retry message back after 1 s,
 * and a message whose host died back after 5 s (Azure: 10 min) so the kill scenario ends in time.
 */
function relaySettings(bot: TestBot, secret: string): Record<string, string> {
    return {
        CALL_HISTORY_TABLE: FAULTS_RELAY_TABLE,
        RELAY_URL: bot.url,
        RELAY_SECRET: secret,
        RELAY_QUEUE: `faults-relay-${randomUUID().slice(0, 8)}`,
        RELAY_RETRY_SCHEDULE,
        RELAY_INLINE_TIMEOUT_MS: String(RELAY_INLINE_TIMEOUT_MS),
        AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
        AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
        LOCAL_HOST_QUEUE_LEASE: '00:00:05',
    };
}
