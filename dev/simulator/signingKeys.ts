// RSA keys that sign the simulator's JWTs (Entra access tokens, callback tokens), and the JWKS that publishes them.

import { createHash, generateKeyPair, type JsonWebKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, type JWTPayload } from 'jose';

export interface SigningKey {
    /** RFC 7638 thumbprint: stable for the key, new for every new key, like Entra's and Skype's key ids. */
    kid: string;
    privateKey: KeyObject;
    /** The public half as a JWK, ready for a `keys` array. */
    publicJwk: JsonWebKey & { kid: string; use: 'sig' };
}

export interface Jwks {
    keys: SigningKey['publicJwk'][];
}

const generateRsaKeyPair = promisify(generateKeyPair);

export async function createSigningKey(): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    const kid = createHash('sha256')
        .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
        .digest('base64url');
    return { kid, privateKey, publicJwk: { kty: jwk.kty, use: 'sig', kid, n: jwk.n, e: jwk.e } };
}

export function jwks(...keys: SigningKey[]): Jwks {
    return { keys: keys.map((key) => key.publicJwk) };
}

/** An RS256 JWT that names its key with `kid` in the header, as Entra and the Skype signer do. */
export function signJwt(key: SigningKey, claims: JWTPayload): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: 'RS256', kid: key.kid }).sign(key.privateKey);
}
