// What goes on the wire to the bot: the notification rebuilt from its two columns exactly as Graph sent it, the
// body's shape, the Standard Webhooks signature (checked with the maintained `standardwebhooks` package), the
// replay request's body, and the relay's settings.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { parseNotification } from '../../shared/callback/notifications';
import { ConfigError } from '../../shared/errors';
import type { CallEvent } from '../../shared/record/callModel';
import { fitToTable } from '../../shared/record/valueLimits';
import { notificationColumn, rebuildNotification, relayBody } from '../../shared/relay/relayBody';
import { parseReplayRequest } from '../../shared/relay/replayRequest';
import { signWebhook } from '../../shared/relay/webhookSignature';
import { loadRelayConfig } from '../../shared/settings/config';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const T0 = new Date('2026-12-01T10:00:00Z');

function stored(notification: Record<string, unknown>, sequence = 1): CallEvent {
    const routed = parseNotification(notification, { receivedAt: T0 });
    return { ...fitToTable(routed.event), callId: routed.partition, sequence };
}

describe('relay: the notification as Graph sent it', () => {
    test('rebuilt from the record with its keys in their order and its values as received', () => {
        // prepare: keys in an unusual order, an unknown key, nested arrays
        const sent = {
            resourceUrl: '/communications/calls/c1/participants',
            '@odata.type': '#microsoft.graph.commsNotification',
            resourceData: [{ '@odata.type': '#microsoft.graph.participant', info: { identity: { user: { id: 'u1', displayName: 'Zoë' } } }, isMuted: false }],
            changeType: 'updated',
            clientState: 'opaque-123',
        };

        // act
        const rebuilt = rebuildNotification(stored(sent));

        // assess
        assert.equal(JSON.stringify(rebuilt.notification), JSON.stringify(sent));
        assert.equal(rebuilt.exact, true);
    });

    test('the column keeps resourceData in its place, as null', () => {
        assert.equal(notificationColumn({ changeType: 'updated', resourceData: { a: 1 }, z: 2 }), '{"changeType":"updated","resourceData":null,"z":2}');
        assert.equal(notificationColumn({ changeType: 'updated' }), '{"changeType":"updated"}');
    });

    test('one the record had to cut is sent with the text it kept, and marked not exact', () => {
        // prepare
        const sent = { changeType: 'updated', resourceUrl: '/communications/calls/c1/participants', resourceData: [{ info: 'x'.repeat(40_000) }] };

        // act
        const rebuilt = rebuildNotification(stored(sent));

        // assess
        assert.equal(rebuilt.exact, false);
        assert.equal(typeof rebuilt.notification.resourceData, 'string');
        assert.ok((rebuilt.notification.resourceData as string).startsWith('[{"info":"xxx'));
    });

    test('a row stored before the record kept notifications whole gives what it knows, marked not exact', () => {
        const rebuilt = rebuildNotification({
            callId: 'c1',
            sequence: 4,
            kind: 'notification',
            receivedAt: T0,
            changeType: 'deleted',
            resourceUrl: '/communications/calls/c1',
            resourceData: '{"state":"terminated"}',
        });
        assert.deepEqual(rebuilt.notification, {
            '@odata.type': '#microsoft.graph.commsNotification',
            changeType: 'deleted',
            resourceUrl: '/communications/calls/c1',
            resourceData: { state: 'terminated' },
        });
        assert.equal(rebuilt.exact, false);
    });

    test("the body is Graph's commsNotifications shape", () => {
        const body = relayBody([rebuildNotification(stored({ changeType: 'updated', resourceUrl: '/communications/calls/c1', resourceData: { state: 'established' } }))]);
        assert.deepEqual(JSON.parse(body), {
            '@odata.type': '#microsoft.graph.commsNotifications',
            value: [{ changeType: 'updated', resourceUrl: '/communications/calls/c1', resourceData: { state: 'established' } }],
        });
    });
});

describe('relay: Standard Webhooks signatures', () => {
    const body = '{"value":[{"changeType":"updated"}]}';
    const secretBytes = Buffer.from(SECRET.slice('whsec_'.length), 'base64');

    test('standardwebhooks verifies what the relay signs', () => {
        // act
        const headers = signWebhook('c1/3', new Date(), body, [secretBytes]);

        // assess
        assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
        assert.deepEqual(new Webhook(SECRET).verify(body, { ...headers }), JSON.parse(body));
    });

    test('with two secrets (a rotation), a bot that knows either one accepts the request', () => {
        // prepare
        const next = 'whsec_dGhlIG5leHQgc2VjcmV0IG9mIHRoZSByZWxheSE=';

        // act
        const headers = signWebhook('c1/3', new Date(), body, [secretBytes, Buffer.from(next.slice(6), 'base64')]);

        // assess
        assert.equal(headers['webhook-signature'].split(' ').length, 2);
        assert.doesNotThrow(() => new Webhook(SECRET).verify(body, { ...headers }));
        assert.doesNotThrow(() => new Webhook(next).verify(body, { ...headers }));
        assert.throws(() => new Webhook('whsec_b3RoZXIgc2VjcmV0IG5vYm9keSBzaGFyZXM=').verify(body, { ...headers }));
    });

    test('a changed body, id or an old timestamp is refused', () => {
        const headers = signWebhook('c1/3', new Date(), body, [secretBytes]);
        assert.throws(() => new Webhook(SECRET).verify(`${body} `, { ...headers }));
        assert.throws(() => new Webhook(SECRET).verify(body, { ...headers, 'webhook-id': 'c1/4' }));
        const old = signWebhook('c1/3', new Date(Date.now() - 10 * 60_000), body, [secretBytes]);
        assert.throws(() => new Webhook(SECRET).verify(body, { ...old }), /timestamp/i);
    });
});

describe('relay: the replay request', () => {
    test('fromSequence, 1 when left out', () => {
        assert.deepEqual(parseReplayRequest(Buffer.from('{"fromSequence": 4}'), 'application/json; charset=utf-8'), { fromSequence: 4 });
        assert.deepEqual(parseReplayRequest(Buffer.from('{}'), 'application/json'), { fromSequence: 1 });
        assert.deepEqual(parseReplayRequest(Buffer.alloc(0), 'application/json'), { fromSequence: 1 });
        assert.deepEqual(parseReplayRequest(Buffer.from('{"fromSequence": 2, "reason": "bot lost its state"}'), 'application/json'), {
            fromSequence: 2,
            reason: 'bot lost its state',
        });
    });

    test('JSON only, so a cross-site form cannot send it; anything else a 400 that says what is wanted', () => {
        assert.throws(() => parseReplayRequest(Buffer.from('fromSequence=1'), 'application/x-www-form-urlencoded'), { status: 415 });
        assert.throws(() => parseReplayRequest(Buffer.from('{}'), null), { status: 415 });
        assert.throws(() => parseReplayRequest(Buffer.from('{"fromSequence": 0}'), 'application/json'), /whole number from 1/);
        assert.throws(() => parseReplayRequest(Buffer.from('{"fromSequence": "2"}'), 'application/json'), /whole number from 1/);
        assert.throws(() => parseReplayRequest(Buffer.from('{"from": 2}'), 'application/json'), /Unknown field "from"/);
        assert.throws(() => parseReplayRequest(Buffer.from('[1]'), 'application/json'), /JSON object/);
        assert.throws(() => parseReplayRequest(Buffer.from('{'), 'application/json'), { status: 400 });
    });
});

describe('relay: settings', () => {
    const storage = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

    function refuses(env: Record<string, string>, setting: string, pattern: RegExp): void {
        assert.throws(
            () => loadRelayConfig({ ...storage, ...env }),
            (err: unknown) => err instanceof ConfigError && err.setting === setting && pattern.test(err.message),
        );
    }

    test('off without RELAY_URL; defaults with it', () => {
        assert.equal(loadRelayConfig(storage), undefined);
        const config = loadRelayConfig({ ...storage, RELAY_URL: 'https://bot.example.com/api/calling', RELAY_SECRET: SECRET });
        assert.equal(config?.url, 'https://bot.example.com/api/calling');
        assert.equal(config?.inlineTimeoutMs, 2000);
        assert.equal(config?.maxAgeMs, 24 * 3_600_000);
        assert.deepEqual(config?.retrySchedule, [5000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000]);
        assert.equal(config?.queue.queueName, 'relay-retries');
        assert.equal(config?.queue.binding, 'relay-retries');
        assert.equal(config?.secrets.length, 1);
    });

    test('several secrets, separated by spaces or commas; the queue name from RELAY_QUEUE as a %SETTING% binding', () => {
        const config = loadRelayConfig({
            ...storage,
            RELAY_URL: 'http://localhost:3978/api/calling',
            RELAY_SECRET: `${SECRET}, whsec_dGhlIG5leHQgc2VjcmV0IG9mIHRoZSByZWxheSE=`,
            RELAY_QUEUE: 'my-retries',
            RELAY_MAX_AGE_HOURS: '0.5',
            RELAY_RETRY_SCHEDULE: '1s 2m 1h',
        });
        assert.equal(config?.secrets.length, 2);
        assert.equal(config?.queue.binding, '%RELAY_QUEUE%');
        assert.equal(config?.maxAgeMs, 1_800_000);
        assert.deepEqual(config?.retrySchedule, [1000, 120_000, 3_600_000]);
    });

    test('what start-up refuses, naming the setting', () => {
        refuses({ RELAY_URL: 'https://bot.example.com/x' }, 'RELAY_SECRET', /is missing/);
        refuses({ RELAY_URL: 'http://bot.example.com/x', RELAY_SECRET: SECRET }, 'RELAY_URL', /must use https/);
        refuses({ RELAY_URL: 'https://user:pw@bot.example.com/x', RELAY_SECRET: SECRET }, 'RELAY_URL', /user name or password/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: 'whsec_c2hvcnQ=' }, 'RELAY_SECRET', /at least 16 random bytes/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: 'whsec_not-base64!' }, 'RELAY_SECRET', /not whsec_ followed by base64/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: SECRET, RELAY_INLINE_TIMEOUT_MS: '50' }, 'RELAY_INLINE_TIMEOUT_MS', /from 100 to 30000/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: SECRET, RELAY_MAX_AGE_HOURS: '0' }, 'RELAY_MAX_AGE_HOURS', /above 0/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: SECRET, RELAY_RETRY_SCHEDULE: '5s,500ms' }, 'RELAY_RETRY_SCHEDULE', /"500ms" is not a wait/);
        refuses({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: SECRET, RELAY_QUEUE: 'Relay_Queue' }, 'RELAY_QUEUE', /not a queue name/);
        assert.throws(
            () => loadRelayConfig({ RELAY_URL: 'https://bot.example.com/x', RELAY_SECRET: SECRET }),
            (err: unknown) => err instanceof ConfigError && err.setting === 'AzureWebJobsStorage',
        );
    });
});
