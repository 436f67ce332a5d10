// The HTTP side of the local host: reads each request, finds its function by route and method (or the admin API),
// invokes it through the package, writes the answer back, and on shutdown lets in-flight requests and runs finish.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { problemOf, type HttpAnswer } from '../../shared/problem';
import type { AdminApi } from './adminApi';
import type { FunctionAppRegistry } from './coreApi';
import { HostStartupError } from './errors';
import { HOST_CALL_REASON, logLine } from './hostLog';
import { httpOutputOf, invokeFunction } from './invocation';
import type { LocalSignIn } from './localSignIn';
import type { RouteTable } from './routeTable';
import { requestHeaders, requestUrl, toRpcHttpRequest, traceContextOf } from './rpcRequest';
import { writeRpcHttpResponse } from './rpcResponse';

/** Azure's default limit on a request body (100 MB). */
const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;

export class FunctionHostServer {
    readonly #server: http.Server;
    readonly #registry: FunctionAppRegistry;
    readonly #routes: RouteTable;
    #admin: AdminApi | undefined;
    #signIn: LocalSignIn | undefined;
    /** Requests being answered, and functions the admin API started. */
    readonly #inFlight = new Set<Promise<unknown>>();
    #port = 0;
    #closing = false;

    constructor(registry: FunctionAppRegistry, routes: RouteTable) {
        this.#registry = registry;
        this.#routes = routes;
        this.#server = http.createServer((request, response) => this.track(this.#handle(request, response)));
    }

    /** Serves `/admin/functions/{name}` with this API from now on. */
    useAdminApi(admin: AdminApi): void {
        this.#admin = admin;
    }

    /** Plays App Service Authentication in front of the functions from now on (`--sign-in`). */
    useSignIn(signIn: LocalSignIn): void {
        this.#signIn = signIn;
    }

    /** Counts `work` as in flight until it settles, so that `close` waits for it. */
    track(work: Promise<unknown>): void {
        const tracked = work.finally(() => this.#inFlight.delete(tracked));
        this.#inFlight.add(tracked);
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
        const drained = await Promise.race([Promise.allSettled([...this.#inFlight]).then(() => true), delay(graceMs, false, { ref: false })]);
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
            const body = await readBody(request);
            if (body === undefined) {
                const detail = `The request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes.`;
                return writeAnswer(response, problemOf(413, 'Payload too large', detail));
            }
            if (this.#admin?.handles(rawPath)) {
                const contentType = request.headers['content-type'];
                return writeAnswer(response, this.#admin.answer({ method, rawPath, contentType, body }));
            }
            const headers = requestHeaders(request);
            if (this.#signIn?.handles(rawPath)) {
                return writeAnswer(response, this.#signIn.answer({ method, url, headers, body }));
            }
            const resolution = this.#routes.resolve(method, rawPath);
            if (resolution === undefined) {
                // Also when a route matches with another method: the Azure host's routes take the method as a
                // constraint, so a route that fails it does not match (Azure/azure-functions-host#10098).
                return writeAnswer(response, problemOf(404, 'Not found', `No function answers ${method} ${url.pathname}.`));
            }
            const fn = resolution.route.function;
            const invocationId = randomUUID();
            const outcome = await invokeFunction(this.#registry, fn, {
                invocationId,
                reason: HOST_CALL_REASON,
                triggerData: { http: toRpcHttpRequest(request, url, body, resolution.params, this.#signIn?.requestHeaders(headers) ?? headers) },
                traceContext: traceContextOf(request),
            });
            if (outcome.succeeded) {
                return writeRpcHttpResponse(response, httpOutputOf(fn, outcome.response));
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
