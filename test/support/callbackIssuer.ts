// A stand-in for the service that signs Graph's callback tokens: an HTTPS OpenID configuration and
// JWKS that `jose` in the app really fetches, with keys made in the test and rotatable at run time.

import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { testTls } from './tls';

export interface SigningKey {
    kid: string;
    privateKey: CryptoKey;
    publicJwk: JWK;
    publicPem: string;
}

export interface CallbackIssuer {
    openIdConfigurationUrl: string;
    /** How many times the JWKS was fetched. */
    jwksFetches(): number;
    /**
     * What the JWKS endpoint answers from now on: the published keys (`ok`, the default), an HTTP error
     * status, a body that is not JSON, a key set without keys, or no answer at all within `hangMs`.
     */
    setJwksAnswer(answer: JwksAnswer): void;
    /** A key that is published in the JWKS. */
    key: SigningKey;
    /** Publishes a new key, or `key` (and, unless told otherwise, withdraws the old ones). */
    rotate(options?: { keepOld?: boolean; key?: SigningKey }): Promise<SigningKey>;
    sign(claims: JWTPayload, options?: { key?: SigningKey; kid?: string }): Promise<string>;
    stop(): Promise<void>;
}

export type JwksAnswer = 'ok' | 'not-json' | 'no-keys' | { status: number } | { hangMs: number };

const CALLBACK_ISSUER = 'https://api.botframework.com';

export async function newSigningKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const kid = randomUUID();
    const jwk = await exportJWK(publicKey);
    const publicPem = createPublicKey({ key: jwk as Parameters<typeof createPublicKey>[0] & object, format: 'jwk' } as never)
        .export({ type: 'spki', format: 'pem' })
        .toString();
    return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' }, publicPem };
}

/**
 * @example
 * const issuer = await startCallbackIssuer();
 * const token = await issuer.sign({ aud: BOT_APP_ID, tid: TENANT });
 */
export async function startCallbackIssuer(): Promise<CallbackIssuer> {
    const tls = testTls();
    let published: SigningKey[] = [await newSigningKey()];
    let fetches = 0;
    let jwksAnswer: JwksAnswer = 'ok';
    const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (request, response) => {
        const base = `https://localhost:${(server.address() as AddressInfo).port}`;
        response.setHeader('Content-Type', 'application/json');
        if (request.url === '/.well-known/openid-configuration') {
            response.end(JSON.stringify({ issuer: CALLBACK_ISSUER, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
        } else if (request.url === '/keys') {
            fetches += 1;
            answerJwks(response, jwksAnswer, published);
        } else {
            response.statusCode = 404;
            response.end('{}');
        }
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;

    const issuer: CallbackIssuer = {
        openIdConfigurationUrl: `https://localhost:${port}/.well-known/openid-configuration`,
        jwksFetches: () => fetches,
        setJwksAnswer(answer) {
            jwksAnswer = answer;
        },
        key: published[0]!,
        async rotate(options = {}) {
            const key = options.key ?? (await newSigningKey());
            published = options.keepOld ? [...published, key] : [key];
            issuer.key = key;
            return key;
        },
        async sign(claims, options = {}) {
            const key = options.key ?? issuer.key;
            const now = Math.floor(Date.now() / 1000);
            return new SignJWT({ iss: CALLBACK_ISSUER, iat: now, nbf: now, exp: now + 3600, ...claims })
                .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: options.kid ?? key.kid })
                .sign(key.privateKey);
        },
        stop: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
    return issuer;
}

function answerJwks(response: ServerResponse, answer: JwksAnswer, published: readonly SigningKey[]): void {
    if (answer === 'ok') {
        response.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
    } else if (answer === 'not-json') {
        response.setHeader('Content-Type', 'text/html');
        response.end('<html><body>Service Unavailable</body></html>');
    } else if (answer === 'no-keys') {
        response.end(JSON.stringify({ keys: [] }));
    } else if ('status' in answer) {
        response.statusCode = answer.status;
        response.end(JSON.stringify({ error: 'unavailable' }));
    } else {
        setTimeout(() => response.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) })), answer.hangMs).unref();
    }
}

/** A token with `alg: none` (no signature at all). */
export function unsignedToken(claims: JWTPayload): string {
    return new UnsecuredJWT(claims).setIssuedAt().setExpirationTime('1h').encode();
}

/** The classic key-confusion forgery: HS256 with the RSA public key as the HMAC secret. */
export function hmacWithPublicKey(claims: JWTPayload, key: SigningKey): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const input = `${encode({ alg: 'HS256', typ: 'JWT', kid: key.kid })}.${encode({ iat: now, exp: now + 3600, ...claims })}`;
    return `${input}.${createHmac('sha256', key.publicPem).update(input).digest('base64url')}`;
}
