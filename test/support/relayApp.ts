// The app with its relay on, for the relay's tests: a local host (or two) on a fresh table and retry queue of the
// tests' Azurite, a callback token issuer, and a bot endpoint (testBot.ts) that RELAY_URL points at. Retries are
// quick (a 1 s schedule, queues polled every 200 ms) unless a test says otherwise.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startCallbackIssuer, type CallbackIssuer } from './callbackIssuer';
import { startHostProcess, type HostProcess } from './hostProcess';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from './storage';
import { newRelaySecret, startTestBot, type TestBot } from './testBot';

const BOT_APP_ID = '6a1f7a52-0d39-4d8c-9d5e-1c2f3b4a5d6e';
const TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';

export interface RelayApp {
    hosts: HostProcess[];
    bot: TestBot;
    secret: string;
    table: TableClient;
    queue: QueueClient;
    /** POSTs a callback body to host `instance` (default 0), as Graph would, with a valid token. */
    post(body: unknown, options?: { instance?: number; headers?: Record<string, string> }): Promise<Response>;
    summary(callId: string): Promise<Record<string, unknown> | undefined>;
    events(callId: string): Promise<Array<Record<string, unknown>>>;
    stop(): Promise<void>;
}

export interface RelayAppOptions {
    /** Settings for the hosts, over the defaults here. */
    env?: Record<string, string>;
    instances?: number;
}

export async function startRelayApp(options: RelayAppOptions = {}): Promise<RelayApp> {
    const secret = newRelaySecret();
    const bot = await startTestBot(secret);
    const issuer: CallbackIssuer = await startCallbackIssuer();
    const tableName = uniqueTableName('relay');
    const queueName = `relay-${randomUUID().slice(0, 13)}`;
    const env = {
        CallHistoryStorage: testConnectionString(),
        CALL_HISTORY_TABLE: tableName,
        CALL_EVENTS_QUEUE: '',
        BOT_APP_ID,
        CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
        RELAY_URL: bot.url,
        RELAY_SECRET: secret,
        RELAY_QUEUE: queueName,
        RELAY_RETRY_SCHEDULE: '1s',
        AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
        ...options.env,
    };
    const hosts = await Promise.all(Array.from({ length: options.instances ?? 1 }, () => startHostProcess({ env })));
    const table = testTableClient(tableName);
    return {
        hosts,
        bot,
        secret,
        table,
        queue: new QueueClient(testConnectionString(), queueName),
        async post(body, postOptions = {}) {
            const host = hosts[postOptions.instance ?? 0];
            assert.ok(host, `no instance ${postOptions.instance}`);
            return fetch(`${host.baseUrl}/callback`, {
                method: 'POST',
                headers: { 'content-type': 'application/json', authorization: `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`, ...postOptions.headers },
                body: JSON.stringify(body),
            });
        },
        async summary(callId) {
            return (await partitionRows(table, callId)).find((row) => row.rowKey === 'state');
        },
        async events(callId) {
            return (await partitionRows(table, callId)).filter((row) => String(row.rowKey).startsWith('event-'));
        },
        async stop() {
            await Promise.all(hosts.map((host) => host.stop()));
            await bot.stop();
            await issuer.stop();
        },
    };
}

/** Polls `probe` until it gives a value, failing after `timeoutMs` with what `explain` says. */
export async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, explain?: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms.${explain ? `\n${explain()}` : ''}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}
