// A bot's endpoint for the relay's tests (node:http): it verifies every request's signature with the maintained
// `standardwebhooks` package, as a bot would, keeps a log of everything it received in order, and answers as the
// test says (a status, after a delay, or not at all while it is down).

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface BotRequest {
    /** When the bot received it (ms). */
    at: number;
    webhookId: string;
    callId: string;
    /** The sequences of the notifications in the body (from the `x-call-record-sequence` header). */
    first: number;
    last: number;
    attempt: number;
    headers: Record<string, string>;
    body: string;
    /** The notifications of the body, parsed. */
    notifications: Array<Record<string, unknown>>;
    /** `standardwebhooks` accepted the signature. */
    verified: boolean;
    /** What the bot answered (0: it did not answer). */
    status: number;
    /** When it answered (0: it did not answer). */
    answeredAt: number;
}

export interface BotAnswer {
    status: number;
    delayMs?: number;
    headers?: Record<string, string>;
    body?: string;
}

export interface TestBot {
    url: string;
    /** Everything received so far, in the order it arrived. */
    requests: BotRequest[];
    /** How the bot answers each request from now on (default 200 at once). */
    answer(decide: (request: BotRequest) => BotAnswer): void;
    /** Stops listening and drops open connections: the app gets no connection until `up`. */
    down(): Promise<void>;
    /** Listens again, on the same port (nothing when it is listening). */
    up(): Promise<void>;
    stop(): Promise<void>;
}

/** A fresh Standard Webhooks secret. */
export function newRelaySecret(): string {
    return `whsec_${Buffer.from(Array.from({ length: 32 }, () => Math.floor(Math.random() * 256))).toString('base64')}`;
}

/**
 * @example
 * const bot = await startTestBot(secret);
 * // ... RELAY_URL=bot.url ...
 * bot.requests.every((request) => request.verified)
 */
export async function startTestBot(secret: string, options: { port?: number } = {}): Promise<TestBot> {
    const webhook = new Webhook(secret);
    const requests: BotRequest[] = [];
    let decide: (request: BotRequest) => BotAnswer = () => ({ status: 200 });
    const sockets = new Set<Socket>();
    const server = http.createServer((incoming, response) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
            const body = Buffer.concat(chunks).toString('utf8');
            const headers = Object.fromEntries(Object.entries(incoming.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(',') : (value ?? '')]));
            const request = describe(headers, body, webhook);
            requests.push(request);
            const answer = decide(request);
            const send = () => {
                request.status = answer.status;
                request.answeredAt = Date.now();
                response.writeHead(answer.status, answer.headers ?? {});
                response.end(answer.body ?? '');
            };
            if (answer.delayMs === undefined) send();
            else setTimeout(send, answer.delayMs).unref();
        });
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    const listen = (port: number) =>
        new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(port, '127.0.0.1', () => {
                server.off('error', reject);
                resolve((server.address() as AddressInfo).port);
            });
        });
    const close = async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
    };
    const port = await listen(options.port ?? 0);
    return {
        url: `http://127.0.0.1:${port}/api/calling`,
        requests,
        answer(next) {
            decide = next;
        },
        down: close,
        up: async () => {
            if (!server.listening) await listen(port);
        },
        stop: async () => {
            if (server.listening) await close();
        },
    };
}

function describe(headers: Record<string, string>, body: string, webhook: Webhook): BotRequest {
    let verified = false;
    try {
        webhook.verify(body, headers);
        verified = true;
    } catch {
        verified = false;
    }
    const [first = 0, last = first] = (headers['x-call-record-sequence'] ?? '').split('-').map(Number);
    let notifications: Array<Record<string, unknown>> = [];
    try {
        notifications = (JSON.parse(body) as { value?: Array<Record<string, unknown>> }).value ?? [];
    } catch {
        notifications = [];
    }
    return {
        at: Date.now(),
        webhookId: headers['webhook-id'] ?? '',
        callId: headers['x-call-record-call-id'] ?? '',
        first,
        last,
        attempt: Number(headers['x-call-record-attempt'] ?? 0),
        headers,
        body,
        notifications,
        verified,
        status: 0,
        answeredAt: 0,
    };
}
