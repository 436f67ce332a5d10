// A recording proxy in front of a storage endpoint: the app (or the command line) is pointed at it like at any
// table endpoint, and every request it sends is kept, so a test can see what the app asked of the table (see
// tableScans.ts) and which identity signed it. It speaks the target's scheme: HTTPS with the test certificate in
// front of an HTTPS target (bearer tokens only travel over HTTPS), plain HTTP in front of plain HTTP.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from './tls';

export interface RecordedRequest {
    method: string;
    /** Path and query as sent, still encoded. */
    path: string;
    authorization: string | undefined;
}

export interface RecordingProxy {
    /** The proxy's origin, e.g. `https://127.0.0.1:PORT`; paths are forwarded as they are. */
    origin: string;
    requests(): RecordedRequest[];
    stop(): Promise<void>;
}

/**
 * @example
 * const proxy = await startRecordingProxy(new URL(azurite.tableEndpoint).origin);
 * // point the app at `${proxy.origin}/devstoreaccount1`, then read proxy.requests()
 */
export async function startRecordingProxy(targetOrigin: string): Promise<RecordingProxy> {
    const target = new URL(targetOrigin);
    const secure = target.protocol === 'https:';
    const tls = secure ? testTls() : undefined;
    const agent = tls === undefined ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true, ca: tls.caCertPem });
    const requests: RecordedRequest[] = [];
    const forward = (request: http.IncomingMessage, response: http.ServerResponse) => {
        requests.push({ method: request.method ?? 'GET', path: request.url ?? '/', authorization: request.headers.authorization });
        const upstream = (secure ? https : http).request(
            { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host }, agent },
            (answer) => {
                response.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(response);
            },
        );
        upstream.on('error', () => response.destroy());
        request.pipe(upstream);
    };
    const server = tls === undefined ? http.createServer(forward) : https.createServer({ cert: tls.certPem, key: tls.keyPem }, forward);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
        origin: `${target.protocol}//127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => [...requests],
        stop: async () => {
            agent.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/**
 * The connection string with its TableEndpoint moved to the proxy (same account path), everything else as it was.
 *
 * @example
 * proxiedTableConnectionString(testConnectionString(), proxy) // '...;TableEndpoint=http://127.0.0.1:PORT/devstoreaccount1;...'
 */
export function proxiedTableConnectionString(connectionString: string, proxy: RecordingProxy): string {
    const endpoint = /(?:^|;)\s*TableEndpoint=([^;]+)/i.exec(connectionString)?.[1];
    if (endpoint === undefined) throw new Error('The connection string names no TableEndpoint to put the proxy in front of.');
    const path = new URL(endpoint).pathname.replace(/\/$/, '');
    return connectionString.replace(/TableEndpoint=[^;]+/i, `TableEndpoint=${proxy.origin}${path}`);
}
