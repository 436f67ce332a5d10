// The local host's reading of host.json `extensions.queues` (defaults, overrides by app setting, limits), its
// TimeSpan parser, its base64 check and the polling backoff of an empty queue.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HostJson } from '../../dev/host/hostJson';
import { PollingBackoff } from '../../dev/host/queueListener';
import { decodeMessageText } from '../../dev/host/queueMessage';
import { parseTimeSpan, readQueuesOptions } from '../../dev/host/queueOptions';

const hostJson = (queues: Record<string, unknown>): HostJson => ({ file: 'host.json', document: { version: '2.0', extensions: { queues } } });

describe('host.json extensions.queues', () => {
    test('defaults are the extension’s: 16 at a time, half a batch per core before the next, 5 tries, at once, 1 minute, base64', () => {
        // act
        const options = readQueuesOptions({ file: 'host.json', document: {} }, {}, 2);

        // assess
        assert.deepEqual(options, {
            batchSize: 16,
            newBatchThreshold: 16,
            maxDequeueCount: 5,
            visibilityTimeoutMs: 0,
            maxPollingIntervalMs: 60_000,
            messageEncoding: 'base64',
            leaseMs: 600_000,
        });
    });

    test('values from host.json, names in any case, and an app setting over them', () => {
        // act
        const options = readQueuesOptions(
            hostJson({ BatchSize: 4, maxDequeueCount: 3, visibilityTimeout: '00:00:30', maxPollingInterval: '00:00:02', messageEncoding: 'None' }),
            { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '7' },
            4,
        );

        // assess
        assert.deepEqual(options, {
            batchSize: 4,
            newBatchThreshold: 8,
            maxDequeueCount: 7,
            visibilityTimeoutMs: 30_000,
            maxPollingIntervalMs: 2000,
            messageEncoding: 'none',
            leaseMs: 600_000,
        });
    });

    test('a message is leased for 10 minutes, as in Azure, unless the local-only LOCAL_HOST_QUEUE_LEASE says otherwise', () => {
        assert.equal(readQueuesOptions(hostJson({}), { LOCAL_HOST_QUEUE_LEASE: '00:00:03' }).leaseMs, 3000);
        assert.equal(readQueuesOptions(hostJson({}), { LOCAL_HOST_QUEUE_LEASE: '' }).leaseMs, 600_000);
        assert.throws(
            () => readQueuesOptions(hostJson({}), { LOCAL_HOST_QUEUE_LEASE: '00:00:00.500' }),
            /the app setting LOCAL_HOST_QUEUE_LEASE must be a time span .*, at least 1000 ms/,
        );
    });

    test('what the extension refuses stops start-up, naming the setting', () => {
        assert.throws(() => readQueuesOptions(hostJson({ batchSize: 0 }), {}), /host\.json: extensions\.queues\.batchSize must be a whole number from 1 to 32, not 0\./);
        assert.throws(() => readQueuesOptions(hostJson({ maxDequeueCount: 1.5 }), {}), /maxDequeueCount must be a whole number at least 1/);
        assert.throws(
            () => readQueuesOptions(hostJson({ maxPollingInterval: '00:00:00.050' }), {}),
            /maxPollingInterval must be a time span .*, at least 100 ms, not "00:00:00\.050"/,
        );
        assert.throws(() => readQueuesOptions(hostJson({ visibilityTimeout: 30 }), {}), /visibilityTimeout must be a time span "hh:mm:ss"/);
        assert.throws(() => readQueuesOptions(hostJson({ messageEncoding: 'utf8' }), {}), /messageEncoding must be "base64" or "none", not "utf8"/);
    });
});

describe('TimeSpan as host.json writes it', () => {
    for (const [text, ms] of [
        ['00:00:30', 30_000],
        ['00:01', 60_000],
        ['01:00:00', 3_600_000],
        ['1.02:00:00', 93_600_000],
        ['00:00:00.5', 500],
        ['00:00:00.0500000', 50],
    ] as const) {
        test(`"${text}" is ${ms} ms`, () => assert.equal(parseTimeSpan(text), ms));
    }
    for (const text of ['30', '30s', '00:60:00', '24:00:00', '', '00:00:00.12345678']) {
        test(`"${text}" is not a time span`, () => assert.equal(parseTimeSpan(text), undefined));
    }
});

describe('queue message text', () => {
    test('base64 is decoded as UTF-8; text that .NET would not decode is refused', () => {
        assert.equal(decodeMessageText(Buffer.from('{"a":"é"}').toString('base64'), 'base64'), '{"a":"é"}');
        assert.equal(decodeMessageText('{"a":1}', 'base64'), undefined);
        assert.equal(decodeMessageText('abc', 'base64'), undefined, 'not a whole group of four');
        assert.equal(decodeMessageText('{"a":1}', 'none'), '{"a":1}');
    });
});

describe('polling an empty queue', () => {
    test('the delay starts at the minimum, grows by doubling increments up to the maximum, and drops back once messages are found', () => {
        // prepare
        const backoff = new PollingBackoff(100, 1000);

        // act
        const delays = Array.from({ length: 8 }, () => backoff.next(false));
        const afterMessages = backoff.next(true);

        // assess
        assert.equal(delays[0], 100);
        assert.ok((delays[1] ?? 0) >= 180 && (delays[1] ?? 0) <= 220, `second delay ${delays[1]}`);
        assert.ok((delays[2] ?? 0) >= 260 && (delays[2] ?? 0) <= 340, `third delay ${delays[2]}`);
        assert.equal(delays.at(-1), 1000);
        assert.ok(delays.every((delay, i) => i === 0 || delay >= (delays[i - 1] ?? 0)));
        assert.equal(afterMessages, 100);
    });
});
