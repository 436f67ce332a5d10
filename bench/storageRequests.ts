// Storage round trips per notification: a host whose table and queue connections go through counting
// proxies in front of Azurite takes POSTs for calls it has written before, for a call with a 1,000-event
// history, and whole typical calls one notification at a time. The design promises one request (one
// transaction) per notification whatever the history, and index writes (and the call-ended message) only
// with a call's first and ending notifications.

import { TableClient } from '@azure/data-tables';
import type { RunningAzurite } from '../dev/azurite';
import type { HostProcess } from '../test/support/hostProcess';
import { BenchHttpClient, expectStatus } from './httpClient';
import { CallbackLoad } from './callbackLoad';
import { AppGrowth, LONG_HISTORY } from './costGrowth';
import { startCountingProxy, throughProxy, type CountingProxy } from './countingProxy';
import { benchCallIds, callLifecycle, endingPosition, notificationsBody, TYPICAL_CALL } from './notificationBodies';
import { median } from './statistics';

export interface StorageRequestsResult {
    /** Storage requests per single-notification POST to calls the host has written before. */
    perPost: number;
    /** The same for POSTs to a call whose history holds 1,000 events. */
    perPostLongCall: number;
    posts: number;
    /**
     * Whole typical calls (bench/notificationBodies.ts), one notification per POST, one call at a time:
     * the median table requests (transactions included) and queue requests for each position in the call.
     */
    typicalCall: { calls: number; endingPosition: number; tableRequests: number[]; queueRequests: number[]; kinds: Array<Record<string, number>> };
}

const TABLE = 'BenchStorageRequests';
const CALLS = 64;
const WINDOW_MS = 1000;
/** Whole calls posted one notification at a time; the first (the host's first of the day) is left out. */
const TYPICAL_CALLS = 21;

export async function measureStorageRequests(
    azurite: RunningAzurite,
    tokens: readonly string[],
    startHost: (env: Record<string, string>) => Promise<HostProcess>,
    longCallPosts: number,
): Promise<StorageRequestsResult> {
    const tables = await startCountingProxy(azurite.ports.table);
    const queues = await startCountingProxy(azurite.ports.queue);
    let load: CallbackLoad | undefined;
    let host: HostProcess | undefined;
    try {
        const proxied = throughProxy(throughProxy(azurite.connectionString, azurite.ports.table, tables.port), azurite.ports.queue, queues.port);
        host = await startHost({ CallHistoryStorage: proxied, AzureWebJobsStorage: proxied, CALL_HISTORY_TABLE: TABLE });
        const table = TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true });
        load = new CallbackLoad({ baseUrl: host.baseUrl, table, tokens }, tokens.length);
        await load.reset(CALLS, tokens.length);

        let before = tables.count();
        const { operations } = await load.measure(tokens.length, WINDOW_MS);
        const perPost = (tables.count() - before) / operations;

        const writeLong = await new AppGrowth(load).startCall(LONG_HISTORY);
        before = tables.count();
        for (let i = 0; i < longCallPosts; i++) await writeLong();
        const perPostLongCall = (tables.count() - before) / longCallPosts;

        const typicalCall = await countTypicalCalls(host.baseUrl, tokens[0] ?? '', tables, queues);
        return { perPost, perPostLongCall, posts: operations + longCallPosts, typicalCall };
    } finally {
        load?.close();
        await host?.stop();
        await tables.stop();
        await queues.stop();
    }
}

/** One call at a time, one notification per POST, so every request between two answers belongs to that notification. */
export async function countTypicalCalls(baseUrl: string, token: string, tables: CountingProxy, queues: CountingProxy): Promise<StorageRequestsResult['typicalCall']> {
    const client = new BenchHttpClient(1);
    const perPosition: Array<{ table: number[]; queue: number[]; kinds: Array<Record<string, number>> }> = [];
    try {
        for (const [n, callId] of benchCallIds('positions', TYPICAL_CALLS).entries()) {
            for (const [position, notification] of callLifecycle(callId, TYPICAL_CALL).entries()) {
                const [tableBefore, queueBefore] = [tables.counted(), queues.count()];
                const answer = await client.request(
                    'POST',
                    `${baseUrl}/callback`,
                    { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
                    notificationsBody([notification]),
                );
                expectStatus(answer, 202, `POST /api/callback for ${callId}`);
                if (n === 0) continue;
                const slot = perPosition[position] ?? { table: [], queue: [], kinds: [] };
                perPosition[position] = slot;
                const table = tables.since(tableBefore);
                slot.table.push(table.total);
                slot.queue.push(queues.count() - queueBefore);
                slot.kinds.push(table.kinds);
            }
        }
    } finally {
        client.close();
    }
    return {
        calls: TYPICAL_CALLS - 1,
        endingPosition: endingPosition(TYPICAL_CALL),
        tableRequests: perPosition.map((slot) => median(slot.table)),
        queueRequests: perPosition.map((slot) => median(slot.queue)),
        // The last call's, as an example of what the requests were.
        kinds: perPosition.map((slot) => slot.kinds.at(-1) ?? {}),
    };
}
