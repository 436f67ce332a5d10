// An HTTPS proxy in front of a storage endpoint that records the Authorization header of every request, so a
// test can see which identity the app's storage requests were signed as. Bearer tokens only travel over HTTPS,
// so the proxy serves the test certificate and forwards over HTTPS.

import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { testTls } from './tls';

export interface RecordedRequest {
    method: string;
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
    const tls = testTls();
    const target = new URL(targetOrigin);
    const agent = new https.Agent({ keepAlive: true, ca: tls.caCertPem });
    const requests: RecordedRequest[] = [];
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (request, response) => {
        requests.push({ method: request.method ?? 'GET', path: request.url ?? '/', authorization: request.headers.authorization });
        const upstream = https.request(
            { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host }, agent },
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
        origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => [...requests],
        stop: async () => {
            agent.destroy();
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}
