// A stand-in for the managed identity endpoint of App Service and Azure Functions, spoken the way
// @azure/identity's ManagedIdentityCredential (through MSAL Node) calls it: GET $IDENTITY_ENDPOINT with
// `api-version=2019-08-01`, `resource`, `client_id` for a user-assigned identity, and the `X-IDENTITY-HEADER`
// secret from $IDENTITY_HEADER. It issues a signed token per identity, with the claims Azurite's OAuth check
// reads, and records every request.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';

interface ManagedIdentityRequest {
    apiVersion: string | null;
    resource: string | null;
    clientId: string | null;
    /** The X-IDENTITY-HEADER sent, checked against IDENTITY_HEADER. */
    identityHeader: string | undefined;
}

export interface ManagedIdentityEndpoint {
    /** The app settings App Service sets for the app: point a process's environment at this stand-in. */
    env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
    requests(): ManagedIdentityRequest[];
    /** The `appid` of the identity that a token issued here belongs to; undefined for a token from elsewhere. */
    identityOf(token: string): string | undefined;
    stop(): Promise<void>;
}

const API_VERSION = '2019-08-01';
const TOKEN_LIFETIME_SECONDS = 3600;

/**
 * @example
 * const mi = await startManagedIdentityEndpoint('aaaaaaaa-...'); // tenant of the issued tokens
 * spawn(node, [app], { env: { ...process.env, ...mi.env } });
 */
export async function startManagedIdentityEndpoint(tenantId: string): Promise<ManagedIdentityEndpoint> {
    const { privateKey } = await generateKeyPair('RS256');
    const secret = randomUUID();
    const requests: ManagedIdentityRequest[] = [];
    const issued = new Map<string, string>();
    const server = http.createServer((request, response) => {
        void answer(request, response).catch(() => response.destroy());
    });

    async function answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const record: ManagedIdentityRequest = {
            apiVersion: url.searchParams.get('api-version'),
            resource: url.searchParams.get('resource'),
            clientId: url.searchParams.get('client_id'),
            identityHeader: request.headers['x-identity-header'] as string | undefined,
        };
        requests.push(record);
        const send = (status: number, body: unknown) => {
            response.writeHead(status, { 'content-type': 'application/json' });
            response.end(JSON.stringify(body));
        };
        if (url.pathname !== '/msi/token' || request.method !== 'GET') return send(404, { error: 'not_found' });
        if (record.identityHeader !== secret) return send(401, { error: 'unauthorized', error_description: 'X-IDENTITY-HEADER is missing or wrong.' });
        if (record.apiVersion !== API_VERSION || record.resource === null) {
            return send(400, { error: 'invalid_request', error_description: `api-version ${API_VERSION} and resource are required.` });
        }
        // The system-assigned identity when no client_id is named.
        const clientId = record.clientId ?? 'system-assigned';
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ appid: clientId, oid: randomUUID(), idtyp: 'app', tid: tenantId, uti: randomUUID() })
            .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
            .setIssuer(`https://sts.windows.net/${tenantId}/`)
            .setAudience(record.resource)
            .setIssuedAt(now)
            .setNotBefore(now)
            .setExpirationTime(now + TOKEN_LIFETIME_SECONDS)
            .sign(privateKey);
        issued.set(token, clientId);
        send(200, {
            access_token: token,
            expires_on: String(now + TOKEN_LIFETIME_SECONDS),
            resource: record.resource,
            token_type: 'Bearer',
            client_id: clientId,
        });
    }

    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret },
        requests: () => [...requests],
        identityOf: (token) => (issued.has(token) ? String(decodeJwt(token).appid) : undefined),
        stop: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
