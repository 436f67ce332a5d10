// The HTTP side of the local host: reads each request, finds its function by route and method, invokes it
// through the package, writes the answer back, and on shutdown lets in-flight requests finish.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { problemOf, type HttpAnswer } from '../../shared/problem';
import type { FunctionAppRegistry } from './coreApi';
import { HostStartupError } from './errors';
import { logLine } from './hostLog';
import { invokeHttpFunction } from './invocation';
import type { RouteTable } from './routeTable';
import { requestUrl, toRpcHttpRequest, traceContextOf } from './rpcRequest';
import { writeRpcHttpResponse } from './rpcResponse';

/** Azure's default limit on a request body (100 MB). */
const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export class FunctionHostServer {
    readonly #server: http.Server;
    readonly #registry: FunctionAppRegistry;
    readonly #routes: RouteTable;
    readonly #inFlight = new Set<Promise<void>>();
    #port = 0;
    #closing = false;

    constructor(registry: FunctionAppRegistry, routes: RouteTable) {
        this.#registry = registry;
        this.#routes = routes;
        this.#server = http.createServer((request, response) => {
            const handled = this.#handle(request, response).finally(() => this.#inFlight.delete(handled));
            this.#inFlight.add(handled);
        });
    }

    get inFlightCount(): number {
        return this.#inFlight.size;
    }

    /** Listens on the loopback interface; resolves with the port (useful with port 0). */
    async listen(port: number): Promise<number> {
        await new Promise<void>((resolve, reject) => {
            this.#server.once('error', (err: NodeJS.ErrnoException) => {
                const inUse = err.code === 'EADDRINUSE';
                reject(inUse ? new HostStartupError(`Port ${port} is unavailable. Stop what uses it, or pick another port with --port.`) : err);
            });
            this.#server.listen(port, '127.0.0.1', resolve);
        });
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : port;
        return this.#port;
    }

    /** Stops accepting connections and waits up to `graceMs` for in-flight requests; true when all finished. */
    async close(graceMs: number): Promise<boolean> {
        this.#closing = true;
        const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
        this.#server.closeIdleConnections();
        const drained = await Promise.race([
            Promise.allSettled([...this.#inFlight]).then(() => true),
            delay(graceMs, false, { ref: false }),
        ]);
        this.#server.closeAllConnections();
        await closed;
        return drained;
    }

    async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
        if (this.#closing) response.setHeader('connection', 'close');
        try {
            const url = requestUrl(request, this.#port);
            const method = request.method ?? 'GET';
            // The raw path, still percent-encoded: routes match segments first and decode values after.
            const rawPath = (request.url ?? '/').split('?')[0] ?? '/';
            const resolution = this.#routes.resolve(method, rawPath);
            const body = await readBody(request);
            if (resolution.kind === 'notFound') {
                return writeAnswer(response, problemOf(404, 'Not found', `No function answers ${method} ${url.pathname}.`));
            }
            if (resolution.kind === 'methodNotAllowed') {
                const allow = resolution.allow.join(', ');
                const detail = `${url.pathname} accepts ${allow}, not ${method}.`;
                return writeAnswer(response, problemOf(405, 'Method not allowed', detail, { Allow: allow }));
            }
            if (body === undefined) {
                const detail = `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes.`;
                return writeAnswer(response, problemOf(413, 'Payload too large', detail));
            }
            const invocationId = randomUUID();
            const outcome = await invokeHttpFunction(this.#registry, resolution.route.function, {
                invocationId,
                request: toRpcHttpRequest(request, url, body, resolution.params),
                traceContext: traceContextOf(request),
            });
            if (outcome.succeeded) {
                return writeRpcHttpResponse(response, outcome.response);
            }
            const detail = `The function failed. Quote invocation id ${invocationId} when reporting it; the host log has the details.`;
            writeAnswer(response, problemOf(500, 'Internal error', detail));
        } catch (err) {
            const detail = err instanceof Error ? err.stack : String(err);
            logLine(`[Error] The local host failed to handle ${request.method} ${request.url}: ${detail}`);
            if (!response.headersSent) {
                writeAnswer(response, problemOf(500, 'Internal error', 'The local host failed to handle the request.'));
            } else {
                response.destroy();
            }
        }
    }
}

/** The whole body; undefined when it is larger than Azure accepts (it is still drained). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size <= MAX_REQUEST_BODY_BYTES) chunks.push(chunk);
    }
    return size <= MAX_REQUEST_BODY_BYTES ? Buffer.concat(chunks) : undefined;
}

function writeAnswer(response: ServerResponse, answer: HttpAnswer): void {
    response.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers ?? {})) {
        response.setHeader(name, value);
    }
    response.end(answer.body);
}
