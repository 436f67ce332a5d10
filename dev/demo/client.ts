// The demo's HTTP: JSON requests to the app (plain http locally) and to the simulator (https with its own CA),
// turning "nothing listens there" and certificate trouble into messages that say what to start or fix.

import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export interface JsonResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    text: string;
    /** The body parsed as JSON; undefined when empty or not JSON. */
    json: unknown;
}

/** Something the demo needs is not there or not right; the message says what to do. */
export class DemoError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = 'DemoError';
    }
}

export interface RequestOptions {
    body?: string | object;
    headers?: Record<string, string>;
    /** Extra CA certificates (PEM) to trust besides the public roots. */
    ca?: string;
    /** What to tell the user when nothing answers at the URL. */
    whenUnreachable: string;
    timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * One request; resolves with any HTTP status, rejects with a DemoError when no answer comes.
 *
 * @example
 * const { status, json } = await jsonRequest('GET', 'http://localhost:7071/api/calls', { whenUnreachable: 'Is npm start running?' });
 */
export function jsonRequest(method: string, url: string, options: RequestOptions): Promise<JsonResponse> {
    const target = new URL(url);
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {
        accept: 'application/json',
        ...(body !== undefined && typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}),
        // Node sends a DELETE's body neither chunked nor with a length unless told its length.
        ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
        ...options.headers,
    };
    const secure = target.protocol === 'https:';
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
        const request = (secure ? https : http).request(
            target,
            { method, headers, agent: false, timeout: timeoutMs, ...(secure && options.ca !== undefined ? { ca: [...rootCertificates, options.ca] } : {}) },
            (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => chunks.push(chunk));
                response.on('error', (err) => reject(unreachable(method, url, err, options.whenUnreachable)));
                response.on('end', () => {
                    const text = Buffer.concat(chunks).toString('utf8');
                    resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: parseJson(text) });
                });
            },
        );
        request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
        request.on('error', (err) => reject(unreachable(method, url, err, options.whenUnreachable)));
        request.end(body);
    });
}

function unreachable(method: string, url: string, err: Error, hint: string): DemoError {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
        return new DemoError(
            `${method} ${url} failed: its certificate is not signed by the CA the demo trusts (${code}). ` +
                "Was the simulator's TLS folder recreated while npm start kept running? Restart npm start, or pass --ca with its CA file.",
            { cause: err },
        );
    }
    const reason = code === 'ECONNREFUSED' ? 'nothing is listening there' : `${code || err.name}: ${err.message}`;
    return new DemoError(`${method} ${url} failed: ${reason}. ${hint}`, { cause: err });
}

/** A short, one-line account of an unexpected answer, for error messages. */
export function describeAnswer(response: JsonResponse): string {
    const problem = response.json as { title?: unknown; detail?: unknown; error?: unknown } | undefined;
    const detail = typeof problem?.detail === 'string' ? problem.detail : typeof problem?.error === 'string' ? problem.error : response.text.slice(0, 300);
    return `${response.status}${detail ? `: ${detail}` : ''}`;
}

function parseJson(text: string): unknown {
    try {
        return text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
        return undefined;
    }
}
