// Verifies the bearer token Graph puts on every callback: RS256 only, keys from the JWKS named by the
// OpenID configuration (cached; fetched again when a token names a key we do not know), issuer, audience,
// lifetime with 5 minutes of clock skew, and the tenant.

import type { JWTVerifyGetKey } from 'jose';
import type { CallbackAuthConfig } from './config';
import { ServiceUnavailableError, UnauthorizedError } from './errors';

export interface CallbackCaller {
    /** `tid` of the token; undefined only when callback auth is disabled. */
    tenantId?: string;
    issuer?: string;
}

const CLOCK_SKEW_SECONDS = 300;
/** Re-read the OpenID configuration daily: it names the JWKS location, which changes rarely. */
const OPENID_CONFIGURATION_MAX_AGE_MS = 24 * 3600 * 1000;
const FETCH_TIMEOUT_MS = 5000;
const JWKS_MAX_AGE_MS = 3600 * 1000;
/** Graph reuses one token for many callbacks; remember this many verified tokens. */
const VERIFIED_TOKENS = 1000;
/** A cached verdict is trusted this long at most (and never past the token's expiry). */
const VERIFIED_TOKEN_MAX_AGE_MS = 5 * 60 * 1000;

type Jose = typeof import('jose');

/** jose is loaded on the first callback, not when the app starts: it is a tenth of the cold start. */
function jose(): Jose {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('jose') as Jose;
}

export class CallbackTokenVerifier {
    private readonly config: CallbackAuthConfig;
    private keySet: { getKey: JWTVerifyGetKey; fetchedAt: number } | undefined;
    private keySetLoading: Promise<JWTVerifyGetKey> | undefined;
    /** Token -> who sent it, and until when that verdict holds (token expiry or max age, whichever is first). */
    private readonly verified = new Map<string, { caller: CallbackCaller; validUntil: number }>();

    constructor(config: CallbackAuthConfig) {
        this.config = config;
    }

    get enabled(): boolean {
        return this.config.enabled;
    }

    /**
     * Checks the `Authorization` header of a callback. Throws a 401 for a missing or invalid token, and a
     * 503 when the signing keys cannot be fetched (Graph will deliver again).
     *
     * @example
     * const caller = await verifier.verify(request.headers.get('authorization'));
     */
    async verify(authorization: string | null | undefined): Promise<CallbackCaller> {
        if (!this.config.enabled) {
            return {};
        }
        const token = bearerToken(authorization);
        const known = this.verified.get(token);
        if (known !== undefined && Date.now() < known.validUntil) {
            return known.caller;
        }
        const getKey = await this.keys();
        let payload;
        try {
            ({ payload } = await jose().jwtVerify(token, getKey, {
                algorithms: ['RS256'],
                issuer: [...this.config.issuers],
                audience: this.config.audience,
                clockTolerance: CLOCK_SKEW_SECONDS,
                requiredClaims: ['exp'],
            }));
        } catch (err) {
            throw tokenFailure(err);
        }
        const tenantId = typeof payload.tid === 'string' && payload.tid.trim() !== '' ? payload.tid : undefined;
        if (tenantId === undefined) {
            throw new UnauthorizedError('The callback token has no "tid" (tenant) claim.');
        }
        if (this.config.allowedTenantIds !== null && !this.config.allowedTenantIds.has(tenantId.toLowerCase())) {
            throw new UnauthorizedError(`Tenant ${tenantId} is not in ALLOWED_TENANT_IDS.`);
        }
        const caller: CallbackCaller = { tenantId, ...(payload.iss ? { issuer: payload.iss } : {}) };
        this.remember(token, caller, (payload.exp ?? 0) * 1000);
        return caller;
    }

    /** Graph sends one token with many callbacks: its RS256 check is done once, not per request. */
    private remember(token: string, caller: CallbackCaller, expiresAt: number): void {
        this.verified.delete(token);
        this.verified.set(token, { caller, validUntil: Math.min(expiresAt, Date.now() + VERIFIED_TOKEN_MAX_AGE_MS) });
        if (this.verified.size > VERIFIED_TOKENS) {
            const oldest = this.verified.keys().next().value;
            if (oldest !== undefined) this.verified.delete(oldest);
        }
    }

    private async keys(): Promise<JWTVerifyGetKey> {
        if (this.keySet !== undefined && Date.now() - this.keySet.fetchedAt < OPENID_CONFIGURATION_MAX_AGE_MS) {
            return this.keySet.getKey;
        }
        this.keySetLoading ??= this.loadKeySet().finally(() => {
            this.keySetLoading = undefined;
        });
        return this.keySetLoading;
    }

    private async loadKeySet(): Promise<JWTVerifyGetKey> {
        const url = this.config.openIdConfigurationUrl;
        let jwksUri: unknown;
        try {
            const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
            if (!response.ok) {
                throw new Error(`HTTP ${response.status}`);
            }
            jwksUri = ((await response.json()) as { jwks_uri?: unknown }).jwks_uri;
        } catch (err) {
            throw keysUnavailable(`the OpenID configuration ${url} could not be read`, err);
        }
        if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
            throw keysUnavailable(`the OpenID configuration ${url} has no valid jwks_uri`);
        }
        const getKey = jose().createRemoteJWKSet(new URL(jwksUri), {
            timeoutDuration: FETCH_TIMEOUT_MS,
            // An unknown kid makes jose fetch the JWKS again, at most once a second: new keys are picked up
            // at once, and a flood of made-up kids cannot turn into a flood of fetches.
            cooldownDuration: 1000,
            // Keys withdrawn from the JWKS stop being trusted within the hour.
            cacheMaxAge: JWKS_MAX_AGE_MS,
        });
        this.keySet = { getKey, fetchedAt: Date.now() };
        return getKey;
    }
}

function bearerToken(authorization: string | null | undefined): string {
    const match = /^Bearer\s+([A-Za-z0-9\-_.~+/=]+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) {
        throw new UnauthorizedError(authorization ? 'The Authorization header is not a bearer token.' : 'The callback has no bearer token.');
    }
    return match[1];
}

/** Which verification failures mean "bad token" (401) and which mean "cannot check now" (503). */
function tokenFailure(err: unknown): Error {
    const joseErrors = jose().errors;
    if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || isFetchFailure(err)) {
        return keysUnavailable('the signing keys (JWKS) could not be fetched', err);
    }
    if (err instanceof joseErrors.JWTExpired) return new UnauthorizedError('The callback token has expired.', { cause: err });
    if (err instanceof joseErrors.JWTClaimValidationFailed) {
        return new UnauthorizedError(`The callback token's "${err.claim}" claim is not acceptable: ${err.message}`, { cause: err });
    }
    if (err instanceof joseErrors.JOSEAlgNotAllowed) return new UnauthorizedError('The callback token is not signed with RS256.', { cause: err });
    if (err instanceof joseErrors.JWKSNoMatchingKey) return new UnauthorizedError('The callback token is signed with an unknown key.', { cause: err });
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new UnauthorizedError('The callback token signature is invalid.', { cause: err });
    return new UnauthorizedError('The callback token is malformed or invalid.', { cause: err });
}

function isFetchFailure(err: unknown): boolean {
    return err instanceof TypeError || (err instanceof Error && err.name === 'AbortError');
}

function keysUnavailable(what: string, cause?: unknown): ServiceUnavailableError {
    return new ServiceUnavailableError(`Callback tokens cannot be checked now: ${what}.`, 10, { cause });
}
