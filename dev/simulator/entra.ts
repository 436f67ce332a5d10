// Entra ID for one tenant and one app: the OpenID metadata, the signing keys and the client-credentials token
// endpoint that MSAL (inside @azure/identity) calls, plus the check Graph applies to the tokens issued here.

import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { SimulatorContext, SimulatorSettings } from './context';
import { SIMULATOR_DEFAULTS } from './defaults';
import { header, readBody, sendJson, type Exchange } from './http';
import { jwks, signJwt } from './signingKeys';
import type { AuthorizationCheck } from './state';

/** The paths below `/{tenant}` that MSAL and token validators use on login.microsoftonline.com. */
const ENTRA_ROUTE = /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|discovery\/v2\.0\/keys|oauth2\/v2\.0\/token)$/;

/** Answers Entra's routes; false when the request is not one of them. */
export async function handleEntra(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
    const match = ENTRA_ROUTE.exec(ex.url.pathname);
    if (match === null) {
        return false;
    }
    const [, tenant = '', route = ''] = match;
    if (route === 'oauth2/v2.0/token' && ex.method === 'POST') {
        await issueToken(ctx, ex, tenant);
        return true;
    }
    if (ex.method !== 'GET') {
        return false;
    }
    if (tenant.toLowerCase() !== ctx.settings.tenantId) {
        sendEntraError(ex, 400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    } else if (route === 'discovery/v2.0/keys') {
        sendJson(ex.res, 200, jwks(ctx.keys.entra));
    } else {
        sendJson(ex.res, 200, openIdConfiguration(ctx.settings));
    }
    return true;
}

export function authorityUrl(settings: SimulatorSettings): string {
    return `${settings.url}/${settings.tenantId}`;
}

export function tokenEndpoint(settings: SimulatorSettings): string {
    return `${authorityUrl(settings)}/oauth2/v2.0/token`;
}

/** The v2.0 metadata document, shaped like login.microsoftonline.com's; MSAL needs the four endpoints and issuer. */
function openIdConfiguration(settings: SimulatorSettings): Record<string, unknown> {
    const authority = authorityUrl(settings);
    return {
        token_endpoint: tokenEndpoint(settings),
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${authority}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${authority}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${settings.url}/oidc/userinfo`,
        authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'roles'],
        tenant_region_scope: null,
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
    };
}

/** The client-credentials grant, checked the way Entra checks it, answering its error codes. */
async function issueToken(ctx: SimulatorContext, ex: Exchange, tenant: string): Promise<void> {
    const { settings, state } = ctx;
    state.tokenRequests++;
    const form = new URLSearchParams(await readBody(ex.req));
    const clientId = form.get('client_id');
    const secret = form.get('client_secret');
    const scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
    if (tenant.toLowerCase() !== settings.tenantId) {
        return sendEntraError(
            ex,
            400,
            'invalid_request',
            90002,
            `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        );
    }
    for (const required of ['grant_type', 'client_id', 'scope']) {
        if (!form.get(required)) {
            return sendEntraError(ex, 400, 'invalid_request', 900144, `The request body must contain the following parameter: '${required}'.`);
        }
    }
    if (form.get('grant_type') !== 'client_credentials') {
        return sendEntraError(ex, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type. This simulator grants client_credentials only.');
    }
    if (clientId?.toLowerCase() !== settings.clientId) {
        return sendEntraError(
            ex,
            400,
            'unauthorized_client',
            700016,
            `Application with identifier '${clientId ?? ''}' was not found in the directory '${settings.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        );
    }
    const nonDefault = scopes.find((scope) => !scope.endsWith('/.default'));
    if (nonDefault !== undefined) {
        return sendEntraError(
            ex,
            400,
            'invalid_scope',
            1002012,
            `The provided value for scope ${nonDefault} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        );
    }
    if (scopes.length !== 1 || scopes[0] !== SIMULATOR_DEFAULTS.graphScope) {
        return sendEntraError(
            ex,
            400,
            'invalid_resource',
            500011,
            `The resource principal named ${scopes.join(' ')} was not found in the tenant named ${settings.tenantId}. This simulator issues tokens for ${SIMULATOR_DEFAULTS.graphScope} only.`,
        );
    }
    if (!secret) {
        return sendEntraError(ex, 401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    if (secret !== settings.clientSecret) {
        return sendEntraError(
            ex,
            401,
            'invalid_client',
            7000215,
            `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${settings.clientId}'.`,
        );
    }
    const lifetime = SIMULATOR_DEFAULTS.accessTokenLifetimeSeconds;
    const accessToken = await signJwt(ctx.keys.entra, accessTokenClaims(settings, lifetime));
    state.tokensIssued++;
    sendJson(
        ex.res,
        200,
        // Entra answers one second short of the lifetime: the token's exp is later than expires_in says.
        { token_type: 'Bearer', expires_in: lifetime - 1, ext_expires_in: lifetime - 1, access_token: accessToken },
        { ...entraHeaders(ex), 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    );
}

/** Scopes MSAL may add to any request; Entra ignores them for client credentials. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** A v1.0 app-only access token for Graph, with the claims Graph reads (`aud`, `tid`, `appid`, `roles`, `exp`). */
function accessTokenClaims(settings: SimulatorSettings, lifetimeSeconds: number): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
        aud: SIMULATOR_DEFAULTS.graphAudience,
        iss: accessTokenIssuer(settings),
        iat: now,
        nbf: now,
        exp: now + lifetimeSeconds,
        app_displayname: 'Teams call record (simulated)',
        appid: settings.clientId,
        appidacr: '1',
        idp: accessTokenIssuer(settings),
        idtyp: 'app',
        oid: settings.servicePrincipalId,
        roles: [...settings.graphRoles],
        sub: settings.servicePrincipalId,
        tid: settings.tenantId,
        uti: randomUUID().replace(/-/g, ''),
        ver: '1.0',
    };
}

function accessTokenIssuer(settings: SimulatorSettings): string {
    return `https://sts.windows.net/${settings.tenantId}/`;
}

export interface AccessTokenCheck {
    result: AuthorizationCheck;
    /** Why the token was refused, in the words Graph uses. */
    reason?: string;
}

/** Graph's check of a bearer token: signed here, for Graph, for this tenant, not expired. */
export async function checkAccessToken(ctx: SimulatorContext, authorization: string | undefined): Promise<AccessTokenCheck> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (token === undefined) {
        return { result: authorization ? 'invalid' : 'missing', reason: authorization ? 'The authorization header is not a bearer token.' : 'Access token is empty.' };
    }
    try {
        const { payload } = await jwtVerify(token, createLocalJWKSet(jwks(ctx.keys.entra)), {
            algorithms: ['RS256'],
            audience: SIMULATOR_DEFAULTS.graphAudience,
            issuer: accessTokenIssuer(ctx.settings),
        });
        if (payload.tid !== ctx.settings.tenantId) {
            return { result: 'invalid', reason: 'Access token validation failure. Invalid tenant.' };
        }
        return { result: 'valid' };
    } catch (err) {
        return { result: 'invalid', reason: `Access token validation failure. ${err instanceof Error ? err.message : String(err)}` };
    }
}

/** Entra's OAuth error body: `error`, a description that starts with the AADSTS code, and the trace fields. */
function sendEntraError(ex: Exchange, status: number, error: string, code: number, description: string): void {
    const traceId = randomUUID();
    const correlationId = entraCorrelationId(ex);
    const timestamp = new Date()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z');
    sendJson(
        ex.res,
        status,
        {
            error,
            error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
            error_codes: [code],
            timestamp,
            trace_id: traceId,
            correlation_id: correlationId,
            error_uri: `${ex.url.origin}/error?code=${code}`,
        },
        entraHeaders(ex),
    );
}

function entraHeaders(ex: Exchange): Record<string, string> {
    return { 'x-ms-request-id': randomUUID(), 'client-request-id': entraCorrelationId(ex) };
}

/** MSAL sends its correlation id as a `client-request-id` query parameter; other clients send the header. */
function entraCorrelationId(ex: Exchange): string {
    return ex.url.searchParams.get('client-request-id') ?? header(ex.req, 'client-request-id') ?? randomUUID();
}
