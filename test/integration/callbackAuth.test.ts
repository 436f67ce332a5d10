// Callback token verification with real RS256 signatures and a JWKS that jose fetches over HTTPS.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallbackTokenVerifier } from '../../shared/callbackAuth';
import type { CallbackAuthConfig } from '../../shared/config';
import { ServiceUnavailableError, UnauthorizedError } from '../../shared/errors';
import { hmacWithPublicKey, newSigningKey, startCallbackIssuer, unsignedToken, type CallbackIssuer } from '../support/callbackIssuer';

const BOT_APP_ID = '9ecd52e5-6592-42b7-b562-093f37f13bde';
const TENANT = 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa';
const now = () => Math.floor(Date.now() / 1000);

describe('CallbackTokenVerifier', () => {
    let issuer: CallbackIssuer;
    let config: CallbackAuthConfig;

    before(async () => {
        issuer = await startCallbackIssuer();
        config = {
            enabled: true,
            openIdConfigurationUrl: issuer.openIdConfigurationUrl,
            issuers: ['https://graph.microsoft.com', 'https://api.botframework.com'],
            audience: BOT_APP_ID,
            allowedTenantIds: null,
        };
    });
    after(() => issuer.stop());

    async function rejects(verifier: CallbackTokenVerifier, authorization: string | null, pattern: RegExp) {
        await assert.rejects(verifier.verify(authorization), (err: unknown) => {
            assert.ok(err instanceof UnauthorizedError, `expected a 401, got ${String(err)}`);
            assert.match(err.detail, pattern);
            return true;
        });
    }

    test('a valid token is accepted and yields its tenant', async () => {
        const verifier = new CallbackTokenVerifier(config);
        const caller = await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        assert.equal(caller.tenantId, TENANT);
        assert.equal(caller.issuer, 'https://api.botframework.com');
    });

    test('missing, malformed and wrongly claimed tokens are refused', async () => {
        const verifier = new CallbackTokenVerifier(config);
        await rejects(verifier, null, /no bearer token/);
        await rejects(verifier, 'Basic dXNlcjpwYXNz', /not a bearer token/);
        await rejects(verifier, 'Bearer not.a.jwt', /malformed|invalid/);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: 'someone-else', tid: TENANT })}`, /"aud"/);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, iss: 'https://evil.example' })}`, /"iss"/);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID })}`, /tid/);
    });

    test('lifetime is checked with five minutes of skew', async () => {
        const verifier = new CallbackTokenVerifier(config);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, exp: now() - 400 })}`, /expired/);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, nbf: now() + 400 })}`, /"nbf"/);
        // Within the skew both are fine.
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, exp: now() - 100, nbf: now() + 100 })}`);
    });

    test('alg none and HS256 signed with the public key are refused', async () => {
        const verifier = new CallbackTokenVerifier(config);
        await rejects(verifier, `Bearer ${unsignedToken({ iss: 'https://api.botframework.com', aud: BOT_APP_ID, tid: TENANT })}`, /RS256|malformed|invalid/);
        await rejects(verifier, `Bearer ${hmacWithPublicKey({ iss: 'https://api.botframework.com', aud: BOT_APP_ID, tid: TENANT }, issuer.key)}`, /RS256/);
    });

    test('a key that is not published is refused', async () => {
        const verifier = new CallbackTokenVerifier(config);
        const stranger = await newSigningKey();
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: stranger })}`, /unknown key/);
        // The right kid with the wrong key's signature: a forged signature.
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: stranger, kid: issuer.key.kid })}`, /signature/);
    });

    test('tenant allow-list', async () => {
        const verifier = new CallbackTokenVerifier({ ...config, allowedTenantIds: new Set(['bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb']) });
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`, /ALLOWED_TENANT_IDS/);
        const allowed = await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: 'BBBBBBBB-2222-4222-8222-BBBBBBBBBBBB' })}`);
        assert.equal(allowed.tenantId, 'BBBBBBBB-2222-4222-8222-BBBBBBBBBBBB');
    });

    test('a rotated key is picked up without a restart; keys are cached between requests', async () => {
        const verifier = new CallbackTokenVerifier(config);
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        const fetchesBefore = issuer.jwksFetches();

        await issuer.rotate();
        await new Promise((resolve) => setTimeout(resolve, 1100)); // past the refetch cooldown
        const caller = await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);

        assert.equal(caller.tenantId, TENANT);
        assert.equal(issuer.jwksFetches(), fetchesBefore + 1);
    });

    test('a token already verified is not checked again; other tokens still are', async () => {
        const verifier = new CallbackTokenVerifier(config);
        const oldKey = issuer.key;
        const reused = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`;
        await verifier.verify(reused);

        await issuer.rotate(); // withdraws the key that signed `reused`
        await new Promise((resolve) => setTimeout(resolve, 1100));
        // A token with the new key makes the verifier fetch the keys again: the old key is gone from them.
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);

        assert.equal((await verifier.verify(reused)).tenantId, TENANT);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: oldKey })}`, /unknown key/);
    });

    test('an unreachable OpenID configuration is a 503, not a 401', async () => {
        const verifier = new CallbackTokenVerifier({ ...config, openIdConfigurationUrl: 'https://localhost:1/.well-known/openid-configuration' });
        await assert.rejects(verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`), ServiceUnavailableError);
    });

    test('disabled auth accepts anything and names no tenant', async () => {
        const verifier = new CallbackTokenVerifier({ ...config, enabled: false });
        assert.deepEqual(await verifier.verify(null), {});
    });
});
