// Verifies the bearer token Graph puts on every callback: RS256 only, keys from the JWKS named by the
// OpenID configuration (see callbackKeys.ts), issuer, audience, lifetime with 5 minutes of clock skew, and
// the tenant. A token is refused (401) only when it is proven wrong; keys that cannot be had are a 503, so
// Graph delivers the notification again instead of dropping it.

import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { CallbackSigningKeys, keysUnavailable, type CallbackKeyOptions, type CallbackKeySet } from './callbackKeys';
import type { CallbackAuthConfig } from '../settings/config';
import { UnauthorizedError } from '../errors';
import type { METRICS } from '../telemetry/catalogue';
import { loadJose } from './loadJose';

/** Why a token was refused, as the callback metric's `reason` says it. */
type RefusalReason = (typeof METRICS.callbackRequests.attributes.reason.values)[number];

export interface CallbackCaller {
    /** `tid` of the token; undefined only when callback auth is disabled. */
    tenantId?: string;
    issuer?: string;
}

const CLOCK_SKEW_SECONDS = 300;
/** Graph reuses one token for many callbacks; remember this many verified tokens. */
const VERIFIED_TOKENS = 1000;
/** A cached verdict is trusted this long at most (and never past the token's expiry). */
const VERIFIED_TOKEN_MAX_AGE_MS = 5 * 60 * 1000;

export class CallbackTokenVerifier {
    private readonly config: CallbackAuthConfig;
    private readonly keys: CallbackSigningKeys;
    /** Token -> who sent it; each entry lives until the token expires or for the max age, whichever is first. */
    private readonly verified = new LRUCache<string, CallbackCaller>({ max: VERIFIED_TOKENS, ttl: VERIFIED_TOKEN_MAX_AGE_MS });

    constructor(config: CallbackAuthConfig, options: CallbackKeyOptions = {}) {
        this.config = config;
        this.keys = new CallbackSigningKeys(config.openIdConfigurationUrl, options);
    }

    /**
     * Checks the `Authorization` header of a callback. Throws a 401 for a missing token or one proven invalid,
     * and a 503 when the signing keys needed to decide cannot be fetched (Graph will deliver again).
     *
     * @example
     * const caller = await verifier.verify(request.headers.get('authorization'));
     */
    async verify(authorization: string | null | undefined): Promise<CallbackCaller> {
        if (!this.config.enabled) {
            return {};
        }
        const arrivedAt = performance.now();
        const token = bearerToken(authorization);
        const known = this.verified.get(token);
        if (known !== undefined) {
            return known;
        }
        const payload = await this.verifiedPayload(token, arrivedAt);
        const tenantId = typeof payload.tid === 'string' && payload.tid.trim() !== '' ? payload.tid : undefined;
        if (tenantId === undefined) {
            throw refused('The callback token has no "tid" (tenant) claim.', 'no_tenant');
        }
        if (this.config.allowedTenantIds !== null && !this.config.allowedTenantIds.has(tenantId.toLowerCase())) {
            throw refused(`Tenant ${tenantId} is not in ALLOWED_TENANT_IDS.`, 'tenant_not_allowed');
        }
        const caller: CallbackCaller = { tenantId, ...(payload.iss ? { issuer: payload.iss } : {}) };
        // Graph sends one token with many callbacks: its RS256 check is done once, not per request.
        const ttl = Math.min((payload.exp ?? 0) * 1000 - Date.now(), VERIFIED_TOKEN_MAX_AGE_MS);
        if (ttl > 0) this.verified.set(token, caller, { ttl });
        return caller;
    }

    /**
     * The token's claims, checked against the kept keys. A key id they do not know proves nothing until the
     * keys have been fetched after the token arrived: then it is a 401, and a fetch that fails is a 503.
     */
    private async verifiedPayload(token: string, arrivedAt: number): Promise<JWTPayload> {
        const { jwtVerify, errors } = loadJose();
        let keySet: CallbackKeySet = await this.keys.keys();
        for (;;) {
            try {
                const { payload } = await jwtVerify(token, keySet.getKey, {
                    algorithms: ['RS256'],
                    issuer: [...this.config.issuers],
                    audience: this.config.audience,
                    clockTolerance: CLOCK_SKEW_SECONDS,
                    requiredClaims: ['exp'],
                });
                return payload;
            } catch (err) {
                if (!(err instanceof errors.JWKSNoMatchingKey) || keySet.fetchStartedAt >= arrivedAt) {
                    throw tokenFailure(err);
                }
            }
            keySet = await this.keys.newerThan(keySet);
        }
    }
}

function bearerToken(authorization: string | null | undefined): string {
    const match = /^Bearer\s+([A-Za-z0-9\-_.~+/=]+)\s*$/i.exec(authorization ?? '');
    if (!match?.[1]) {
        throw authorization ? refused('The Authorization header is not a bearer token.', 'not_bearer') : refused('The callback has no bearer token.', 'no_token');
    }
    return match[1];
}

/** Which verification failures prove the token bad (401) and which mean "cannot check now" (503). */
function tokenFailure(err: unknown): Error {
    const { errors } = loadJose();
    if (err instanceof errors.JWKSInvalid) return keysUnavailable('the signing keys (JWKS) hold a key that cannot be used', err);
    if (err instanceof errors.JWTExpired) return refused('The callback token has expired.', 'expired', err);
    if (err instanceof errors.JWTClaimValidationFailed) {
        return refused(`The callback token's "${err.claim}" claim is not acceptable: ${err.message}`, CLAIM_REASONS[err.claim] ?? 'claim', err);
    }
    if (err instanceof errors.JOSEAlgNotAllowed) return refused('The callback token is not signed with RS256.', 'algorithm', err);
    if (err instanceof errors.JWKSNoMatchingKey) return refused('The callback token is signed with an unknown key.', 'unknown_key', err);
    if (err instanceof errors.JWSSignatureVerificationFailed) return refused('The callback token signature is invalid.', 'signature', err);
    return refused('The callback token is malformed or invalid.', 'malformed', err);
}

/** The claims whose failure says most about a misconfiguration: a wrong BOT_APP_ID refuses every token's `aud`. */
const CLAIM_REASONS: Partial<Record<string, RefusalReason>> = { aud: 'audience', iss: 'issuer', nbf: 'not_yet_valid' };

function refused(detail: string, reason: RefusalReason, cause?: unknown): UnauthorizedError {
    return new UnauthorizedError(detail, { reason, ...(cause === undefined ? {} : { cause }) });
}
