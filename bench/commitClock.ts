// An HTTP proxy in front of Azurite's Table service that notes when each history row was committed: the moment the
// answer to the first transaction that wrote `event-{n}` of a call went back to the app. The relay's latency is
// measured from there to the bot (store-to-bot), so the callback's own queueing, token check and store stay out of it.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface CommitClock {
    port: number;
    /** When the row `event-{sequence}` of the call was committed (ms since the epoch, sub-millisecond). */
    committedAt(callId: string, sequence: number): number | undefined;
    stop(): Promise<void>;
}

/**
 * @example
 * const clock = await startCommitClock(azurite.ports.table);
 * // CallHistoryStorage through throughProxy(connectionString, azurite.ports.table, clock.port) ...
 * clock.committedAt('call-1', 1) // 1764980000123.4
 */
export async function startCommitClock(targetPort: number): Promise<CommitClock> {
    const committed = new Map<string, number>();
    const agent = new http.Agent({ keepAlive: true });
    const server = http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
            const body = Buffer.concat(chunks);
            const rows = (request.url ?? '').includes('$batch') ? writtenRows(body.toString('utf8')) : [];
            const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
                response.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(response);
                const parts: Buffer[] = [];
                if (rows.length > 0) answer.on('data', (chunk: Buffer) => parts.push(chunk));
                answer.on('end', () => {
                    const at = performance.timeOrigin + performance.now();
                    // A transaction's answer is 202 whatever became of it; an operation refused shows in its parts.
                    const refused = /HTTP\/1\.1 [45]\d\d/.test(Buffer.concat(parts).toString('utf8'));
                    if ((answer.statusCode ?? 0) < 300 && !refused) for (const row of rows) if (!committed.has(row)) committed.set(row, at);
                });
            });
            upstream.on('error', () => response.destroy());
            upstream.end(body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        port: (server.address() as AddressInfo).port,
        committedAt: (callId, sequence) => committed.get(`${callId}/${sequence}`),
        stop: async () => {
            agent.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** `{callId}/{sequence}` of every history row a transaction writes (one partition per transaction). */
function writtenRows(body: string): string[] {
    const partition = /"PartitionKey":"([^"]+)"/.exec(body)?.[1];
    if (partition === undefined) return [];
    return [...body.matchAll(/"RowKey":"event-(\d+)"/g)].map((match) => `${partition}/${Number(match[1])}`);
}
