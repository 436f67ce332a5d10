// An HTTP proxy in front of one Azurite service that counts the requests passing through it, by kind, so a
// measurement can say how many storage round trips an operation of the app costs (an entity-group
// transaction is one request, as it is one round trip to Azure Table Storage).

import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Requests forwarded, in all and by kind (`transaction`, `query`, `point read`, `insert`, `upsert`, `delete`, `queue message`, ...). */
interface Counted {
    total: number;
    kinds: Record<string, number>;
}

export interface CountingProxy {
    port: number;
    /** Requests forwarded so far. */
    count(): number;
    counted(): Counted;
    /** What was forwarded after `before` (an earlier `counted()`). */
    since(before: Counted): Counted;
    stop(): Promise<void>;
}

/**
 * @example
 * const proxy = await startCountingProxy(azurite.port);
 * const connectionString = throughProxy(azurite.connectionString, azurite.port, proxy.port);
 */
export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
    const kinds = new Map<string, number>();
    let requests = 0;
    const agent = new http.Agent({ keepAlive: true });
    const server = http.createServer((request, response) => {
        requests += 1;
        const kind = requestKind(request.method ?? '', request.url ?? '');
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: request.method, path: request.url, headers: request.headers, agent }, (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(response);
        });
        upstream.on('error', () => response.destroy());
        request.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        port: (server.address() as AddressInfo).port,
        count: () => requests,
        counted: () => ({ total: requests, kinds: Object.fromEntries(kinds) }),
        since: (before) => ({
            total: requests - before.total,
            kinds: Object.fromEntries([...kinds].flatMap(([kind, n]) => (n > (before.kinds[kind] ?? 0) ? [[kind, n - (before.kinds[kind] ?? 0)]] : []))),
        }),
        stop: async () => {
            agent.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** The connection string with the endpoint on `servicePort` sent through the proxy instead. */
export function throughProxy(connectionString: string, servicePort: number, proxyPort: number): string {
    return connectionString.replace(`:${servicePort}/`, `:${proxyPort}/`);
}

/** What a Table or Queue service request does, from its method and path. */
function requestKind(method: string, url: string): string {
    const path = decodeURIComponent(url.split('?')[0] ?? '');
    if (path.endsWith('/$batch')) return 'transaction';
    if (path.endsWith('/messages')) return method === 'POST' ? 'queue message' : `queue ${method}`;
    const pointed = /\(PartitionKey='.*',RowKey='.*'\)$/.test(path);
    if (method === 'GET') return pointed ? 'point read' : 'query';
    if (method === 'POST') return 'insert';
    if (method === 'PUT' || method === 'MERGE') return pointed ? 'upsert' : `${method} other`;
    if (method === 'DELETE') return pointed ? 'delete' : 'DELETE other';
    return `${method} other`;
}
