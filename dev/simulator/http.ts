// Reading request bodies and writing answers: the simulator's only contact with raw node:http details.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { SimulatorInputError } from './errors';

/** One request and its answer, with the URL already parsed. */
export interface Exchange {
    req: IncomingMessage;
    res: ServerResponse;
    url: URL;
    method: string;
}

const BODY_LIMIT_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > BODY_LIMIT_BYTES) {
            throw new SimulatorInputError(`The request body is larger than ${BODY_LIMIT_BYTES} bytes.`);
        }
        chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
}

/** The body as a JSON object; an empty body is `{}`. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
    const text = await readBody(req);
    if (text.trim() === '') {
        return {};
    }
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        throw new SimulatorInputError('The request body is not JSON.');
    }
    if (!isObject(value)) {
        throw new SimulatorInputError('The request body must be a JSON object.');
    }
    return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
    });
    res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: OutgoingHttpHeaders = {}): void {
    res.writeHead(status, headers);
    res.end();
}

/** The first value of a request header (Node joins repeated ones, or gives an array for a few). */
export function header(req: IncomingMessage, name: string): string | undefined {
    const value = req.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
}

/**
 * Waits `ms`, or until `signal` aborts. With `keepsProcess: false` the wait alone does not keep the process
 * running: a scripted slow answer to a client that stopped the simulator must not hold the test process open.
 */
export function sleep(ms: number, signal?: AbortSignal, options: { keepsProcess?: boolean } = {}): Promise<void> {
    return new Promise((resolve) => {
        if (ms <= 0 || signal?.aborted) {
            resolve();
            return;
        }
        const timer = setTimeout(done, ms);
        if (options.keepsProcess === false) timer.unref();
        function done(): void {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
    });
}
