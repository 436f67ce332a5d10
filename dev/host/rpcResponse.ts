// Writes the RPC `http` response the package produced back as a Node response, the way the Azure Functions
// host does: status (200 when the function returned nothing), headers, cookies as ASP.NET formats them, body.

import type { ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData, RpcTypedData } from './coreTypes';

/** Framing headers belong to the server, not to the function. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);
const BODILESS_STATUSES = new Set([204, 205, 304]);
/** The package's `none` means "not specified" (no attribute); `explicitNone` is `SameSite=None`. */
const SAME_SITE_ATTRIBUTES: Partial<Record<NonNullable<RpcHttpCookie['sameSite']>, string>> = {
    strict: 'strict',
    lax: 'lax',
    explicitNone: 'none',
};

export function writeRpcHttpResponse(response: ServerResponse, http: RpcHttpData | null | undefined): void {
    const status = http?.statusCode ? Number.parseInt(http.statusCode, 10) : 200;
    for (const [name, value] of Object.entries(http?.headers ?? {})) {
        if (!FRAMING_HEADERS.has(name.toLowerCase())) response.setHeader(name, value);
    }
    const cookies = (http?.cookies ?? []).map(formatSetCookie);
    if (cookies.length > 0) {
        const fromHeaders = response.getHeader('set-cookie');
        response.setHeader('set-cookie', [...(fromHeaders === undefined ? [] : [fromHeaders].flat().map(String)), ...cookies]);
    }
    response.statusCode = status;
    const body = bodyBytes(http?.body);
    if (BODILESS_STATUSES.has(status) || body.length === 0) {
        response.end();
        return;
    }
    response.setHeader('content-length', body.length);
    response.end(body);
}

/** A `Set-Cookie` value as ASP.NET Core writes it for the host (`CookieOptions` defaults the path to `/`). */
function formatSetCookie(cookie: RpcHttpCookie): string {
    const attributes = [`${cookie.name ?? ''}=${escapeDataString(cookie.value ?? '')}`];
    const expiresSeconds = cookie.expires?.value?.seconds;
    if (typeof expiresSeconds === 'number') attributes.push(`expires=${new Date(expiresSeconds * 1000).toUTCString()}`);
    const maxAge = cookie.maxAge?.value;
    if (typeof maxAge === 'number') attributes.push(`max-age=${Math.trunc(maxAge)}`);
    if (cookie.domain?.value) attributes.push(`domain=${cookie.domain.value}`);
    attributes.push(`path=${cookie.path?.value ?? '/'}`);
    if (cookie.secure?.value) attributes.push('secure');
    const sameSite = cookie.sameSite ? SAME_SITE_ATTRIBUTES[cookie.sameSite] : undefined;
    if (sameSite !== undefined) attributes.push(`samesite=${sameSite}`);
    if (cookie.httpOnly?.value) attributes.push('httponly');
    return attributes.join('; ');
}

function bodyBytes(body: RpcTypedData | null | undefined): Buffer {
    const bytes = body?.bytes ?? body?.stream;
    if (bytes) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const text = body?.string ?? body?.json;
    return text ? Buffer.from(text, 'utf8') : Buffer.alloc(0);
}

/** .NET's Uri.EscapeDataString: everything but unreserved characters is percent-encoded. */
function escapeDataString(value: string): string {
    return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}
