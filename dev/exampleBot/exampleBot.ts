// An example of the bot behind the app: the endpoint RELAY_URL points at. It is what a calling bot changes to
// sit behind the relay: it checks the relay's Standard Webhooks signature (with the maintained `standardwebhooks`
// package) where it checked Graph's bearer token, drops repeats by `webhook-id`, and otherwise handles Graph's
// notifications as before: here, it answers every incoming call through Graph within the 15 seconds Graph gives
// (service-hosted media), and logs the rest. `npm start` runs it (dev/exampleBot/main.ts); `npm run demo` shows it
// at work, through two controls that are the demo's, not a bot's: `GET /_control/received` (what it received) and
// `POST /_control/outage {"seconds": n}` (it stops listening for n seconds, as a bot that is down).

import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ClientSecretCredential } from '@azure/identity';
import { LRUCache } from 'lru-cache';
import { Webhook } from 'standardwebhooks';

export interface ExampleBotOptions {
    /** Default 3978 (the Bot Framework's usual local port); 0 picks a free one. */
    port?: number;
    /** The relay's secret (`RELAY_SECRET`, `whsec_...`). */
    secret: string;
    /** Graph, and the bot's app registration to get a token for it. */
    graph: { baseUrl: string; tenantId: string; clientId: string; clientSecret: string; authorityHost?: string };
    /** Where Graph sends the answered call's notifications: the app's callback, so the app stays in front. */
    appCallbackUrl: string;
    log?: (line: string) => void;
}

/** One request the bot accepted (not a repeat), as it saw it. */
interface ReceivedRequest {
    at: string;
    webhookId: string;
    attempt: number;
    /** `changeType state-or-path` per notification, e.g. `created incoming`, `updated participants`. */
    notifications: string[];
}

export interface RunningExampleBot {
    /** The endpoint to set as RELAY_URL. */
    url: string;
    port: number;
    received: ReceivedRequest[];
    /** Calls it answered, by id. */
    answered: string[];
    /** Stops listening for `seconds` (connections are refused), then listens again. */
    outage(seconds: number): Promise<void>;
    /** Ends an outage now: listens again (nothing when it is up). */
    backUp(): Promise<void>;
    stop(): Promise<void>;
}

const ENDPOINT = '/api/calling';
const CONTROL = '/_control/';

export async function startExampleBot(options: ExampleBotOptions): Promise<RunningExampleBot> {
    const log = options.log ?? (() => undefined);
    const webhook = new Webhook(options.secret);
    const seen = new LRUCache<string, true>({ max: 10_000 });
    const credential = new ClientSecretCredential(options.graph.tenantId, options.graph.clientId, options.graph.clientSecret, {
        ...(options.graph.authorityHost === undefined ? {} : { authorityHost: options.graph.authorityHost, disableInstanceDiscovery: true }),
    });
    const received: ReceivedRequest[] = [];
    const answered: string[] = [];
    const sockets = new Set<Socket>();

    const answerCall = async (callId: string): Promise<void> => {
        const { token } = await credential.getToken('https://graph.microsoft.com/.default');
        const response = await fetch(`${options.graph.baseUrl}/communications/calls/${encodeURIComponent(callId)}/answer`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({
                callbackUri: options.appCallbackUrl,
                acceptedModalities: ['audio'],
                mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
            }),
        });
        if (response.status !== 202) throw new Error(`Graph answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
        answered.push(callId);
        log(`answered incoming call ${callId} (Graph 202); its notifications go to ${options.appCallbackUrl}`);
    };

    let back: NodeJS.Timeout | undefined;
    const outage = async (seconds: number): Promise<void> => {
        await close();
        log(`down for ${seconds} s: connections are refused`);
        back = setTimeout(() => {
            listen(port).then(
                () => log('back up'),
                (err: unknown) => log(`could not listen again: ${String(err)}`),
            );
        }, seconds * 1000);
    };

    const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
        if (request.url?.startsWith(CONTROL) === true) return control(request, response);
        if (request.method !== 'POST' || request.url !== ENDPOINT) {
            response.writeHead(404).end();
            return;
        }
        const body = await readText(request);
        const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
        try {
            // Where the bot checked Graph's bearer token, it checks the relay's signature.
            webhook.verify(body, headers);
        } catch {
            response.writeHead(401).end('bad signature');
            return;
        }
        const webhookId = headers['webhook-id'] ?? '';
        if (webhookId.startsWith('doctor/')) {
            // calls doctor's test delivery: signed like every request, and no notification in it.
            log(`test delivery ${webhookId} from calls doctor: signature verified`);
            response.writeHead(200).end();
            return;
        }
        if (seen.has(webhookId)) {
            // At least once: a retry or a replay repeats a webhook-id the bot already has.
            response.writeHead(200).end('already received');
            return;
        }
        seen.set(webhookId, true);
        const notifications = (JSON.parse(body) as { value: Array<{ changeType: string; resourceUrl: string; resourceData: { state?: string } }> }).value;
        received.push({
            at: new Date().toISOString(),
            webhookId,
            attempt: Number(headers['x-call-record-attempt'] ?? 1),
            notifications: notifications.map((n) => `${n.changeType} ${n.resourceData?.state ?? n.resourceUrl.split('/').slice(4).join('/')}`),
        });
        log(`received ${webhookId}: ${received.at(-1)?.notifications.join(', ')}`);
        response.writeHead(200).end();
        // Answered after the 200: the relay is waiting, and Graph gives the bot 15 seconds.
        for (const notification of notifications) {
            if (notification.changeType === 'created' && notification.resourceData?.state === 'incoming') {
                const callId = notification.resourceUrl.split('/').pop() ?? '';
                answerCall(callId).catch((err: unknown) => log(`answering call ${callId} failed: ${err instanceof Error ? err.message : String(err)}`));
            }
        }
    };

    const control = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
        const json = (status: number, value: unknown): void => {
            response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        };
        if (request.method === 'GET' && request.url === `${CONTROL}received`) return json(200, { received, answered });
        if (request.method === 'POST' && request.url === `${CONTROL}outage`) {
            const seconds = Number((JSON.parse((await readText(request)) || '{}') as { seconds?: unknown }).seconds);
            if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) return json(400, { error: 'seconds must be a whole number from 1 to 3600' });
            json(202, { down: seconds });
            response.once('finish', () => void outage(seconds));
            return;
        }
        json(404, { error: `No control ${request.method} ${request.url}` });
    };

    const server = http.createServer((request, response) => {
        handle(request, response).catch((err: unknown) => {
            log(`failed on a request: ${err instanceof Error ? err.message : String(err)}`);
            if (!response.headersSent) response.writeHead(500).end();
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
        if (!server.listening) return;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
    };
    const port = await listen(options.port ?? 3978);
    return {
        url: `http://localhost:${port}${ENDPOINT}`,
        port,
        received,
        answered,
        outage,
        backUp: async () => {
            clearTimeout(back);
            if (server.listening) return;
            await listen(port);
            log('back up');
        },
        stop: async () => {
            clearTimeout(back);
            await close();
        },
    };
}

async function readText(request: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of request as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
}
