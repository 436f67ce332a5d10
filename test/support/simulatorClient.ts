// Talks to the call simulator from tests over real HTTPS (its CA passed explicitly), and receives its callbacks
// on a plain local HTTP server, recording each POST for the test to inspect.

import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { CommsNotifications, RunningSimulator } from '../../dev/simulator';

export interface SimulatorResponse {
    status: number;
    headers: http.IncomingHttpHeaders;
    text: string;
    /** The body parsed as JSON, or undefined when it is empty or not JSON. */
    json: unknown;
    elapsedMs: number;
}

export interface RequestOptions {
    headers?: Record<string, string>;
    body?: string | object;
}

/** One HTTPS request to the simulator, on a fresh connection so a reset affects only this request. */
export function simulatorRequest(sim: RunningSimulator, method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<SimulatorResponse> {
    const url = new URL(pathOrUrl, sim.url);
    const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    const headers: Record<string, string> = {
        ...(body !== undefined && typeof options.body === 'object' ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
    };
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const request = https.request(url, { method, headers, ca: sim.caCertPem, agent: false }, (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
                const text = Buffer.concat(chunks).toString('utf8');
                resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json: parseJson(text), elapsedMs: Date.now() - started });
            });
        });
        request.on('error', reject);
        request.end(body);
    });
}

/** A Graph access token from the simulator's token endpoint, by a plain client-credentials POST. */
export async function graphToken(sim: RunningSimulator): Promise<string> {
    const response = await tokenRequest(sim, {});
    const token = (response.json as { access_token?: unknown } | undefined)?.access_token;
    if (response.status !== 200 || typeof token !== 'string') {
        throw new Error(`The simulator refused a token: ${response.status} ${response.text}`);
    }
    return token;
}

/** POSTs a client-credentials form to the token endpoint; `overrides` replace or (with undefined) drop fields. */
export function tokenRequest(sim: RunningSimulator, overrides: Record<string, string | undefined>, tenant = sim.tenantId): Promise<SimulatorResponse> {
    const fields: Record<string, string | undefined> = {
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: sim.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
        ...overrides,
    };
    const form = new URLSearchParams(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return simulatorRequest(sim, 'POST', `/${tenant}/oauth2/v2.0/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
    });
}

/** Verifies a JWT the way the app does: JWKS from the named OpenID configuration, RS256, issuer and audience. */
export async function verifyWithOpenIdConfiguration(
    sim: RunningSimulator,
    openIdConfigurationUrl: string,
    token: string,
    expected: { issuer: string; audience: string },
): Promise<JWTPayload> {
    const configuration = (await simulatorRequest(sim, 'GET', openIdConfigurationUrl)).json as { jwks_uri?: string } | undefined;
    if (typeof configuration?.jwks_uri !== 'string') {
        throw new Error(`${openIdConfigurationUrl} names no jwks_uri.`);
    }
    const jwks = (await simulatorRequest(sim, 'GET', configuration.jwks_uri)).json as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'], ...expected });
    return payload;
}

interface ReceivedCallback {
    headers: http.IncomingHttpHeaders;
    body: CommsNotifications;
    /** The bearer token from the Authorization header. */
    token: string;
}

export interface CallbackReceiver {
    /** `http://127.0.0.1:PORT/api/callback`. */
    url: string;
    received: ReceivedCallback[];
    /** The status the receiver answers with (default 202). */
    status: number;
    clear(): void;
    close(): Promise<void>;
}

/** A local HTTP endpoint standing in for the app's callback; it records and answers every POST. */
export async function startCallbackReceiver(): Promise<CallbackReceiver> {
    const receiver: CallbackReceiver = {
        url: '',
        received: [],
        status: 202,
        clear: () => {
            receiver.received.length = 0;
        },
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
            const authorization = req.headers.authorization ?? '';
            receiver.received.push({
                headers: req.headers,
                body: parseJson(Buffer.concat(chunks).toString('utf8')) as CommsNotifications,
                token: authorization.replace(/^Bearer\s+/i, ''),
            });
            res.writeHead(receiver.status).end();
        });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/callback`;
    return receiver;
}

/** The states carried by received callbacks, in arrival order (participants notifications show as their path). */
export function receivedStates(receiver: CallbackReceiver): string[] {
    return receiver.received.map(({ body }) => {
        const notification = body.value[0];
        const data = notification?.resourceData;
        return data !== undefined && !Array.isArray(data) ? String(data.state) : String(notification?.resourceUrl);
    });
}

function parseJson(text: string): unknown {
    try {
        return text === '' ? undefined : JSON.parse(text);
    } catch {
        return undefined;
    }
}
