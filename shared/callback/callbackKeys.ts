// The keys that sign Graph's callback tokens: the JWKS named by the OpenID configuration, fetched here and kept,
// fetched again when they are an hour old or a token names a key they do not have (at most once per cooldown: a
// token that needs a fetch inside the cooldown waits for its end, with every other such token, for one fetch).
// Each key set remembers when its fetch started, so the verifier can tell a key set that proves a token wrong
// (fetched after the token arrived) from one that is merely older than the token.

import { setTimeout as delay } from 'node:timers/promises';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { ServiceUnavailableError } from '../errors';
import { loadJose } from './loadJose';

/** One fetched JWKS, ready for `jwtVerify`. */
export interface CallbackKeySet {
    getKey: JWTVerifyGetKey;
    /** `performance.now()` when its fetch started. */
    fetchStartedAt: number;
}

export interface CallbackKeyOptions {
    /** How long one fetch (OpenID configuration or JWKS) may take. Default 5 s. */
    keyFetchTimeoutMs?: number;
    /**
     * The least time between two fetches of the JWKS, so a flood of made-up key ids cannot become a flood of
     * fetches: a token whose key is unknown meanwhile waits for the cooldown to end, and every token waiting is
     * decided by the one fetch that follows. Default 1 s.
     */
    keyRefetchCooldownMs?: number;
    /** Keys this old are fetched again before use, so withdrawn keys stop being trusted. Default 1 hour. */
    keyMaxAgeMs?: number;
}

const DEFAULTS = { keyFetchTimeoutMs: 5000, keyRefetchCooldownMs: 1000, keyMaxAgeMs: 3600 * 1000 } as const;
/** The OpenID configuration only names the JWKS location, which changes rarely: read it daily. */
const OPENID_CONFIGURATION_MAX_AGE_MS = 24 * 3600 * 1000;
/** What a 503 asks Graph to wait when the keys could not be fetched. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 10;

export class CallbackSigningKeys {
    private readonly openIdConfigurationUrl: string;
    private readonly options: Required<CallbackKeyOptions>;
    private current: CallbackKeySet | undefined;
    private pending: Promise<CallbackKeySet> | undefined;
    private lastFetchStartedAt = -Infinity;
    private jwksUri: { url: string; readAt: number } | undefined;

    constructor(openIdConfigurationUrl: string, options: CallbackKeyOptions = {}) {
        this.openIdConfigurationUrl = openIdConfigurationUrl;
        this.options = { ...DEFAULTS, ...options };
    }

    /**
     * The keys to check a token with. Fetched first when there are none yet or they are past their age; when
     * that fetch fails the kept keys stay in use (an outage of the JWKS does not make its keys wrong). Throws a
     * 503 when there are no keys and none can be fetched.
     */
    async keys(): Promise<CallbackKeySet> {
        const current = this.current;
        if (current !== undefined && performance.now() - current.fetchStartedAt < this.options.keyMaxAgeMs) {
            return current;
        }
        try {
            return await this.refresh();
        } catch (err) {
            if (current === undefined) throw err;
            return current;
        }
    }

    /** Keys fetched later than `seen`: another caller's newer set, the fetch under way, or a new fetch. */
    async newerThan(seen: CallbackKeySet): Promise<CallbackKeySet> {
        if (this.current !== undefined && this.current.fetchStartedAt > seen.fetchStartedAt) {
            return this.current;
        }
        return this.refresh();
    }

    /**
     * The next fetch, shared by every caller until it settles. Inside the cooldown it starts when the cooldown
     * ends, so whoever waits for it gets keys fetched after it asked, and the verdict never depends on how
     * recently another token made the keys be fetched.
     */
    private refresh(): Promise<CallbackKeySet> {
        if (this.pending !== undefined) {
            return this.pending;
        }
        const wait = this.lastFetchStartedAt + this.options.keyRefetchCooldownMs - performance.now();
        this.pending = (wait > 0 ? delay(wait) : Promise.resolve())
            .then(() => {
                const startedAt = performance.now();
                this.lastFetchStartedAt = startedAt;
                return this.fetchKeySet(startedAt);
            })
            .then((keySet) => {
                this.current = keySet;
                return keySet;
            })
            .finally(() => {
                this.pending = undefined;
            });
        return this.pending;
    }

    private async fetchKeySet(fetchStartedAt: number): Promise<CallbackKeySet> {
        const url = await this.jwksLocation();
        const jwks = await this.fetchJson(url, 'the signing keys (JWKS)');
        const keys = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
        if (!Array.isArray(keys) || keys.length === 0) {
            throw keysUnavailable(`the signing keys (JWKS) at ${url} hold no keys`);
        }
        try {
            return { getKey: loadJose().createLocalJWKSet(jwks as JSONWebKeySet), fetchStartedAt };
        } catch (err) {
            throw keysUnavailable(`the signing keys (JWKS) at ${url} are not a key set`, err);
        }
    }

    private async jwksLocation(): Promise<string> {
        if (this.jwksUri !== undefined && performance.now() - this.jwksUri.readAt < OPENID_CONFIGURATION_MAX_AGE_MS) {
            return this.jwksUri.url;
        }
        const readAt = performance.now();
        const configuration = await this.fetchJson(this.openIdConfigurationUrl, 'the OpenID configuration');
        const url = typeof configuration === 'object' && configuration !== null ? (configuration as { jwks_uri?: unknown }).jwks_uri : undefined;
        if (typeof url !== 'string' || !URL.canParse(url)) {
            throw keysUnavailable(`the OpenID configuration ${this.openIdConfigurationUrl} has no valid jwks_uri`);
        }
        this.jwksUri = { url, readAt };
        return url;
    }

    /** A JSON document that must answer 200 within the fetch timeout; anything else is a 503. */
    private async fetchJson(url: string, what: string): Promise<unknown> {
        const noAnswer = `gave no answer within ${this.options.keyFetchTimeoutMs} ms`;
        let response: Response;
        try {
            response = await fetch(url, { signal: AbortSignal.timeout(this.options.keyFetchTimeoutMs), headers: { accept: 'application/json' } });
        } catch (err) {
            throw keysUnavailable(`${what} at ${url} ${isTimeout(err) ? noAnswer : 'could not be fetched'}`, err);
        }
        if (response.status !== 200) {
            await response.body?.cancel().catch(() => undefined);
            throw keysUnavailable(`${what} at ${url} answered HTTP ${response.status}`);
        }
        try {
            return await response.json();
        } catch (err) {
            throw keysUnavailable(`${what} at ${url} ${isTimeout(err) ? noAnswer : 'is not JSON'}`, err);
        }
    }
}

function isTimeout(err: unknown): boolean {
    return err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
}

/** A 503: Graph delivers the notification again, and by then the keys may be back. */
export function keysUnavailable(what: string, cause?: unknown): ServiceUnavailableError {
    return new ServiceUnavailableError(`Callback tokens cannot be checked now: ${what}.`, UNAVAILABLE_RETRY_AFTER_SECONDS, cause === undefined ? {} : { cause });
}
