// Storage round trips per notification: a host whose storage connection goes through a counting proxy in
// front of Azurite takes POSTs for calls it has written before, and for a call with a 1,000-event history.
// The design promises one request (one transaction) per POST, whatever the history.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TableClient } from '@azure/data-tables';
import type { RunningAzurite } from '../dev/azurite';
import type { HostProcess } from '../test/support/hostProcess';
import { CallbackLoad } from './callbackLoad';
import { AppGrowth, LONG_HISTORY } from './costGrowth';

export interface StorageRequestsResult {
    /** Storage requests per single-notification POST to calls the host has written before. */
    perPost: number;
    /** The same for POSTs to a call whose history holds 1,000 events. */
    perPostLongCall: number;
    posts: number;
}

const TABLE = 'BenchStorageRequests';
const CALLS = 64;
const WINDOW_MS = 1000;

/** Forwards every request to Azurite and counts them. */
async function startCountingProxy(azurite: RunningAzurite): Promise<{ port: number; count(): number; stop(): Promise<void> }> {
    let requests = 0;
    const agent = new http.Agent({ keepAlive: true });
    const server = http.createServer((request, response) => {
        requests += 1;
        const upstream = http.request(
            { host: '127.0.0.1', port: azurite.port, method: request.method, path: request.url, headers: request.headers, agent },
            (answer) => {
                response.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(response);
            },
        );
        upstream.on('error', () => response.destroy());
        request.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        port: (server.address() as AddressInfo).port,
        count: () => requests,
        stop: async () => {
            agent.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

export async function measureStorageRequests(
    azurite: RunningAzurite,
    tokens: readonly string[],
    startHost: (env: Record<string, string>) => Promise<HostProcess>,
    longCallPosts: number,
): Promise<StorageRequestsResult> {
    const proxy = await startCountingProxy(azurite);
    let load: CallbackLoad | undefined;
    let host: HostProcess | undefined;
    try {
        host = await startHost({ CallHistoryStorage: azurite.connectionString.replace(`:${azurite.port}/`, `:${proxy.port}/`), CALL_HISTORY_TABLE: TABLE });
        const table = TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true });
        load = new CallbackLoad({ baseUrl: host.baseUrl, table, tokens }, tokens.length);
        await load.reset(CALLS, tokens.length);

        let before = proxy.count();
        const { operations } = await load.measure(tokens.length, WINDOW_MS);
        const perPost = (proxy.count() - before) / operations;

        const writeLong = await new AppGrowth(load).startCall(LONG_HISTORY);
        before = proxy.count();
        for (let i = 0; i < longCallPosts; i++) await writeLong();
        return { perPost, perPostLongCall: (proxy.count() - before) / longCallPosts, posts: operations + longCallPosts };
    } finally {
        load?.close();
        await host?.stop();
        await proxy.stop();
    }
}
