// Standard Webhooks signatures (https://www.standardwebhooks.com): `v1,` and the base64 HMAC-SHA256 of
// `{webhook-id}.{webhook-timestamp}.{body}` with each secret, space-separated, so a bot that checks any one of
// them (the old or the new secret during a rotation) accepts the request. The `standardwebhooks` package verifies
// what this signs (the tests and the example bot use it).

import { createHmac } from 'node:crypto';

export interface SignedHeaders {
    'webhook-id': string;
    /** Unix seconds of this attempt. */
    'webhook-timestamp': string;
    'webhook-signature': string;
}

/**
 * @example
 * signWebhook('c1/3', new Date(), body, [secret]) // { 'webhook-id': 'c1/3', 'webhook-timestamp': '1764583200', 'webhook-signature': 'v1,K5oZ...' }
 */
export function signWebhook(id: string, at: Date, body: string, secrets: readonly Buffer[]): SignedHeaders {
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const signatures = secrets.map((secret) => `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
    return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
