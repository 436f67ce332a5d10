// A lean keep-alive HTTP client for load: node:http with one connection per worker, so the load
// generator spends as little of the shared CPU as it can on itself.

import http from 'node:http';

export interface HttpAnswer {
    status: number;
    body: string;
}

export interface BenchHttpClientOptions {
    /** A request with no complete answer within this time fails (default: no limit). */
    timeoutMs?: number;
}

export class BenchHttpClient {
    private readonly agent: http.Agent;
    private readonly timeoutMs: number | undefined;

    constructor(connections: number, options: BenchHttpClientOptions = {}) {
        // An idle connection is closed here before the server's keep-alive timeout (Node's 5 s) closes it:
        // otherwise a request sent at that moment meets a reset connection, which says nothing about the app.
        this.agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, timeout: 4000 });
        this.timeoutMs = options.timeoutMs;
    }

    request(method: string, url: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<HttpAnswer> {
        return new Promise((resolve, reject) => {
            const payload = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body) : body;
            const req = http.request(url, { method, agent: this.agent, headers: { ...headers, ...(payload ? { 'Content-Length': String(payload.length) } : {}) } }, (res) => {
                const chunks: Buffer[] = [];
                res.on('data', (chunk: Buffer) => chunks.push(chunk));
                res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
                res.on('error', reject);
            });
            req.on('error', reject);
            const timeoutMs = this.timeoutMs;
            if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`No answer within ${timeoutMs} ms.`)));
            req.end(payload);
        });
    }

    close(): void {
        this.agent.destroy();
    }
}

/** Throws with the answer when it is not the expected status: a benchmark of failures measures nothing. */
export function expectStatus(answer: HttpAnswer, expected: number, what: string): void {
    if (answer.status !== expected) {
        throw new Error(`${what}: expected ${expected}, got ${answer.status}: ${answer.body.slice(0, 500)}`);
    }
}
