// A Node request as the RPC `http` data the Azure Functions host sends the Node.js worker, shaped by the
// capabilities that worker announces (raw body bytes, body only, nullable dictionaries).

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RpcHttpData, RpcNullableString, RpcTraceContext } from './coreTypes';

/** What the Node.js worker tells the host it can do; the request and response shapes follow from it. */
export const WORKER_CAPABILITIES: Readonly<Record<string, string>> = {
    RawHttpBodyBytes: 'true',
    RpcHttpTriggerMetadataRemoved: 'true',
    RpcHttpBodyOnly: 'true',
    IgnoreEmptyValuedRpcHttpHeaders: 'true',
    UseNullableValueDictionaryForHttp: 'true',
    WorkerStatus: 'true',
    TypedDataCollection: 'true',
    HandlesWorkerTerminateMessage: 'true',
};

/** The request's headers by lower-case name, repeated ones joined with ',' as ASP.NET's StringValues.ToString() does. */
export function requestHeaders(request: IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, values] of Object.entries(request.headersDistinct)) {
        if (values !== undefined) headers[name.toLowerCase()] = values.join(',');
    }
    return headers;
}

/**
 * @param url the absolute request URL, as the host builds it (scheme, Host header, raw path and query)
 * @param params the decoded route values; absent optional parameters have no key
 * @param headers what the function gets (requestHeaders, or what the platform made of them)
 */
export function toRpcHttpRequest(request: IncomingMessage, url: URL, body: Buffer, params: Record<string, string>, headers = requestHeaders(request)): RpcHttpData {
    const query: Record<string, string> = {};
    for (const name of new Set(url.searchParams.keys())) {
        query[name] = url.searchParams.getAll(name).join(',');
    }
    return {
        method: request.method ?? 'GET',
        url: url.href,
        nullableHeaders: toNullable(headers),
        nullableQuery: toNullable(query),
        nullableParams: toNullable(params),
        // The host only sends a body when there is one, and as bytes (RawHttpBodyBytes + RpcHttpBodyOnly).
        body: body.length > 0 ? { bytes: body } : null,
    };
}

/** The URL the host reports for a request; falls back to `localhost` when the Host header is unusable. */
export function requestUrl(request: IncomingMessage, port: number): URL {
    const target = request.url ?? '/';
    try {
        return new URL(`http://${request.headers.host ?? `localhost:${port}`}${target}`);
    } catch {
        return new URL(`http://localhost:${port}${target.startsWith('/') ? target : `/${target}`}`);
    }
}

/** A W3C trace context for the invocation, continuing the caller's trace when it sent `traceparent`. */
export function traceContextOf(request?: IncomingMessage): RpcTraceContext {
    const incoming = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-([\da-f]{2})$/.exec(String(request?.headers.traceparent ?? ''));
    const traceId = incoming?.[1] ?? randomBytes(16).toString('hex');
    const flags = incoming?.[2] ?? '00';
    return {
        traceParent: `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`,
        traceState: String(request?.headers.tracestate ?? ''),
        attributes: {},
    };
}

function toNullable(values: Record<string, string>): Record<string, RpcNullableString> {
    return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, { value }]));
}
