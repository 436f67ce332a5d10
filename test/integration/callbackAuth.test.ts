// Callback token verification with real RS256 signatures and a JWKS fetched over HTTPS, first on its own, then
// through the local host: a JWKS that cannot be fetched is a 503 (Graph delivers again), never a 401.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CallbackTokenVerifier } from '../../shared/callback/callbackAuth';
import type { CallbackAuthConfig } from '../../shared/settings/config';
import { ServiceUnavailableError, UnauthorizedError } from '../../shared/errors';
import { v1Notification } from '../fixtures/notifications';
import { hmacWithPublicKey, newSigningKey, startCallbackIssuer, unsignedToken, type CallbackIssuer, type JwksAnswer } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';

const BOT_APP_ID = '9ecd52e5-6592-42b7-b562-093f37f13bde';
const TENANT = 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa';
const now = () => Math.floor(Date.now() / 1000);
/** A refetch whenever a token names an unknown key, and a short wait for a JWKS that hangs. */
const EAGER = { keyRefetchCooldownMs: 0, keyFetchTimeoutMs: 500 };
/** Every way a JWKS can fail to give keys, with what the 503 says about it. */
const JWKS_OUTAGES: Array<[string, JwksAnswer, RegExp]> = [
    ['non-200', { status: 503 }, /answered HTTP 503/],
    ['timeout', { hangMs: 3000 }, /no answer within 500 ms/],
    ['not JSON', 'not-json', /not JSON/],
    ['no keys', 'no-keys', /no keys/],
];

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
        const verifier = new CallbackTokenVerifier(config, EAGER);
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        const fetchesBefore = issuer.jwksFetches();

        await issuer.rotate();
        const caller = await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);

        assert.equal(caller.tenantId, TENANT);
        assert.equal(issuer.jwksFetches(), fetchesBefore + 1);
    });

    test('a token already verified is not checked again; other tokens still are', async () => {
        const verifier = new CallbackTokenVerifier(config, EAGER);
        const oldKey = issuer.key;
        const reused = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`;
        await verifier.verify(reused);

        await issuer.rotate(); // withdraws the key that signed `reused`
        // A token with the new key makes the verifier fetch the keys again: the old key is gone from them.
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);

        assert.equal((await verifier.verify(reused)).tenantId, TENANT);
        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, jti: 'not-the-reused-one' }, { key: oldKey })}`, /unknown key/);
    });

    async function unavailable(verifier: CallbackTokenVerifier, authorization: string, pattern: RegExp) {
        await assert.rejects(verifier.verify(authorization), (err: unknown) => {
            assert.ok(err instanceof ServiceUnavailableError, `expected a 503, got ${String(err)}`);
            assert.ok(Number(err.headers['Retry-After']) >= 1, 'Retry-After');
            assert.match(err.detail, pattern);
            return true;
        });
    }

    test('a JWKS outage during a key rotation is a 503 with Retry-After, not a 401: non-200, timeout, not JSON, no keys', async () => {
        for (const [name, answer, pattern] of JWKS_OUTAGES) {
            // prepare
            const verifier = new CallbackTokenVerifier(config, EAGER);
            await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
            await issuer.rotate();
            const rotated = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`;
            issuer.setJwksAnswer(answer);
            try {
                // act, assess
                await unavailable(verifier, rotated, pattern);
            } finally {
                issuer.setJwksAnswer('ok');
            }
            // The redelivery, once the JWKS answers again, is accepted.
            assert.equal((await verifier.verify(rotated)).tenantId, TENANT, name);
        }
    });

    test('signing keys that were never fetched and cannot be are a 503: non-200, timeout, not JSON, no keys', async () => {
        for (const [, answer, pattern] of JWKS_OUTAGES) {
            const verifier = new CallbackTokenVerifier(config, EAGER);
            issuer.setJwksAnswer(answer);
            try {
                await unavailable(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`, pattern);
            } finally {
                issuer.setJwksAnswer('ok');
            }
        }
    });

    test('an unknown kid inside the refetch cooldown waits for its end, and one fetch decides: the rotated key is found, the forged one refused', async () => {
        // prepare: the keys were fetched just now, so the next fetch must wait out the cooldown
        const [next, stranger] = await Promise.all([newSigningKey(), newSigningKey()]);
        const verifier = new CallbackTokenVerifier(config, { keyRefetchCooldownMs: 1000 });
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        await issuer.rotate({ key: next });
        const rotated = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`;
        const forged = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: stranger })}`;
        const fetches = issuer.jwksFetches();

        // act
        const [found, refused] = await Promise.allSettled([verifier.verify(rotated), verifier.verify(forged)]);

        // assess: however soon after the last fetch they came, neither is a 503, and both shared one fetch
        assert.equal(found.status === 'fulfilled' && found.value.tenantId, TENANT, String(found.status === 'rejected' && found.reason));
        assert.ok(refused.status === 'rejected' && refused.reason instanceof UnauthorizedError && /unknown key/.test(refused.reason.detail), String(refused.status));
        assert.equal(issuer.jwksFetches(), fetches + 1);
    });

    test('a flood of made-up key ids fetches the keys once per cooldown, and every one of them is refused', async () => {
        // prepare
        const strangers = await Promise.all(Array.from({ length: 5 }, () => newSigningKey()));
        const verifier = new CallbackTokenVerifier(config, { keyRefetchCooldownMs: 1000 });
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        const forged = await Promise.all(strangers.map(async (key) => `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key })}`));
        const fetches = issuer.jwksFetches();

        // act: all at once, then one more after them
        const flood = await Promise.allSettled(forged.map((token) => verifier.verify(token)));
        const later = await Promise.allSettled([verifier.verify(forged[0]!)]);

        // assess
        for (const outcome of [...flood, ...later]) {
            assert.ok(outcome.status === 'rejected' && outcome.reason instanceof UnauthorizedError, String(outcome.status === 'rejected' && outcome.reason));
        }
        assert.equal(issuer.jwksFetches(), fetches + 2, 'one fetch for the flood, one for the token after it');
    });

    test('an unknown kid is a 401 only after a key set fetched after the token arrived', async () => {
        const verifier = new CallbackTokenVerifier(config, EAGER);
        await verifier.verify(`Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`);
        const fetches = issuer.jwksFetches();

        await rejects(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, { key: await newSigningKey() })}`, /unknown key/);

        assert.equal(issuer.jwksFetches(), fetches + 1, 'the keys were fetched again before the token was refused');
    });

    test('keys past their age are fetched again; while the JWKS is down the kept keys still verify, a new kid is a 503', async () => {
        const verifier = new CallbackTokenVerifier(config, { ...EAGER, keyMaxAgeMs: 0 });
        const known = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, jti: 'known-1' })}`;
        await verifier.verify(known);
        const fetches = issuer.jwksFetches();
        issuer.setJwksAnswer({ status: 500 });
        try {
            const again = `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT, jti: 'known-2' })}`;
            assert.equal((await verifier.verify(again)).tenantId, TENANT);
            assert.equal(issuer.jwksFetches(), fetches + 1, 'the old keys were due and fetched again');
            await issuer.rotate({ keepOld: true });
            await unavailable(verifier, `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}`, /answered HTTP 500/);
        } finally {
            issuer.setJwksAnswer('ok');
        }
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

describe('POST /api/callback while the signing keys rotate, through the local host', () => {
    let issuer: CallbackIssuer;
    let host: HostProcess;
    const tableName = uniqueTableName('keyrotation');
    const table = testTableClient(tableName);

    before(async () => {
        issuer = await startCallbackIssuer();
        host = await startHostProcess({
            env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName, BOT_APP_ID, CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl },
        });
    });
    after(async () => {
        await host?.stop();
        await issuer?.stop();
    });

    const sign = (options: Parameters<CallbackIssuer['sign']>[1] = {}) => issuer.sign({ aud: BOT_APP_ID, tid: TENANT }, options);

    function post(body: unknown, token: string): Promise<Response> {
        return checkedFetch(`${host.baseUrl}/callback`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
            body: JSON.stringify(body),
        });
    }

    /** Delivers the POST again while it is answered 503, as Graph would (faster); the statuses in order. */
    async function events(callId: string) {
        return (await partitionRows(table, callId)).filter((row) => String(row.rowKey).startsWith('event-'));
    }

    test('a JWKS answering 503 while a new kid is in use: 503 with Retry-After, nothing stored; the redelivery after it recovers is stored once', async () => {
        // prepare: the app has the current keys
        assert.equal((await post(v1Notification('before-rotation', 'updated', 'established'), await sign())).status, 202);
        await issuer.rotate();
        issuer.setJwksAnswer({ status: 503 });
        const callId = 'during-jwks-outage';
        const body = v1Notification(callId, 'updated', 'established');
        const rotated = await sign();

        // act: Graph delivers while the JWKS is down
        const refused = await post(body, rotated);

        // assess
        assert.equal(refused.status, 503, await refused.clone().text());
        assert.ok(Number(refused.headers.get('retry-after')) >= 1, 'Retry-After');
        assert.equal(refused.headers.get('content-type'), 'application/problem+json');
        assert.match(((await refused.json()) as { detail: string }).detail, /signing key/);
        assert.deepEqual(await events(callId), []);

        // act: the JWKS recovers and Graph delivers again
        issuer.setJwksAnswer('ok');
        const redelivered = await post(body, rotated);

        // assess: the keys are fetched again (after the refetch cooldown) and hold the new key
        assert.equal(redelivered.status, 202, await redelivered.clone().text());
        assert.equal((await events(callId)).length, 1);
    });

    test('a key that is not in the JWKS fetched after the token arrived is still a 401, and nothing is stored', async () => {
        const callId = 'forged-call';
        const forged = await sign({ key: await newSigningKey() });
        const fetches = issuer.jwksFetches();

        const refused = await post(v1Notification(callId, 'updated', 'established'), forged);

        assert.equal(refused.status, 401, await refused.clone().text());
        assert.equal(issuer.jwksFetches(), fetches + 1, 'the keys were fetched again before the token was refused');
        assert.deepEqual(await events(callId), []);
    });
});
