// The local host's Storage queue triggers, against the fixture app's `queueWork` function
// (test/fixtures/hostApp/functions/queues.ts) and the tests' Azurite: messages as the Functions host decodes and
// hands them over (base64, the trigger metadata), host.json's `extensions.queues` settings (overridden per test by
// `AzureFunctionsJobHost__extensions__queues__*` app settings, as in Azure), failed messages made visible again
// after `visibilityTimeout`, the `-poison` queue after `maxDequeueCount`, and two hosts sharing one queue.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { HostExitedError, REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';

const FIXTURE_APP = path.join(REPOSITORY_ROOT, 'test/fixtures/hostApp');
const connectionString = process.env.TEST_STORAGE_CONNECTION_STRING ?? '';
/** Polls every 200 ms at most, so a test waits for messages, not for the default minute between polls. */
const QUICK_POLLS = { AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200' };

interface Run {
    invocationId: string;
    message: unknown;
    triggerMetadata: Record<string, unknown>;
    active: number;
    startedAt: number;
    endedAt: number;
}

const folders: string[] = [];
after(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function uniqueQueueName(purpose: string): string {
    return `host-${purpose}-${randomUUID().slice(0, 8)}`;
}

async function createQueue(name: string): Promise<QueueClient> {
    const queue = new QueueClient(connectionString, name);
    await queue.createIfNotExists();
    return queue;
}

function base64(text: string): string {
    return Buffer.from(text, 'utf8').toString('base64');
}

/** A host running `queueWork` on `queueName` (null: the setting is left out); `values` go into local.settings.json, `env` into the environment. */
function startQueueHost(queueName: string | null, env: Record<string, string> = {}, values: Record<string, string> = {}): Promise<HostProcess> {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'host-queues-'));
    folders.push(folder);
    const settingsFile = path.join(folder, 'local.settings.json');
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: { ...(queueName === null ? {} : { HOST_FIXTURE_QUEUE: queueName }), ...values } }));
    return startHostProcess({
        appDir: FIXTURE_APP,
        settingsFile,
        env: { HOST_FIXTURE_QUEUES: 'on', HOST_FIXTURE_QUEUE_CONNECTION: connectionString, ...QUICK_POLLS, ...env },
    });
}

function runsOf(host: HostProcess): Run[] {
    const runs: Run[] = [];
    for (const match of host.logs().matchAll(/\] \[Information\] Functions\.queueWork \(Id=([0-9a-f-]{36})\): queue run (\{.*\})\n/g)) {
        runs.push({ invocationId: match[1] ?? '', ...(JSON.parse(match[2] ?? '{}') as Omit<Run, 'invocationId'>) });
    }
    return runs;
}

async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, logs?: () => string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe();
        if (value !== undefined) return value;
        if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms.${logs ? `\n${logs()}` : ''}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

function waitForRuns(hosts: HostProcess | HostProcess[], count: number, timeoutMs = 15_000): Promise<Run[]> {
    const all = Array.isArray(hosts) ? hosts : [hosts];
    const runs = () => all.flatMap(runsOf);
    return waitFor(
        `${count} run(s)`,
        () => (runs().length >= count ? runs() : undefined),
        timeoutMs,
        () => all.map((host) => host.logs()).join('\n'),
    );
}

/** Every message on the queue, visible or not, read without taking them (peek sees visible ones only). */
async function visibleTexts(queue: QueueClient): Promise<string[]> {
    const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
    return peekedMessageItems.map((item) => item.messageText);
}

async function expectStartupFailure(queueName: string | null, env: Record<string, string>, values: Record<string, string> = {}): Promise<string> {
    const error = await startQueueHost(queueName, env, values).then(
        async (host) => {
            await host.stop();
            assert.fail('the host started although it should have refused to');
        },
        (err: unknown) => err,
    );
    assert.ok(error instanceof HostExitedError, String(error));
    assert.equal(error.exitCode, 1);
    assert.doesNotMatch(error.output, /\n\s+at /, 'no stack trace');
    return error.output;
}

describe('local host: Storage queue triggers', () => {
    test('a base64 JSON message runs the function with the parsed message and its trigger metadata, and is deleted', async () => {
        // prepare
        const queueName = uniqueQueueName('basic');
        const queue = await createQueue(queueName);
        const host = await startQueueHost(queueName);
        try {
            // act
            const sent = await queue.sendMessage(base64(JSON.stringify({ callId: 'c-1', note: 'héllo' })));

            // assess
            const [run] = await waitForRuns(host, 1);
            assert.deepEqual(run?.message, { callId: 'c-1', note: 'héllo' });
            assert.equal(run?.triggerMetadata.id, sent.messageId);
            assert.equal(run?.triggerMetadata.dequeueCount, 1);
            assert.deepEqual(run?.triggerMetadata.queueTrigger, { callId: 'c-1', note: 'héllo' });
            assert.equal(run?.triggerMetadata.insertionTime, sent.insertedOn.toISOString());
            assert.equal(typeof run?.triggerMetadata.popReceipt, 'string');
            const logs = host.logs();
            assert.match(
                logs,
                new RegExp(
                    `  queueWork: queueTrigger, queue ${queueName} \\(from %HOST_FIXTURE_QUEUE%\\) on HOST_FIXTURE_QUEUE_CONNECTION, base64 messages, batchSize 16, maxDequeueCount 5 \\(then ${queueName}-poison\\), visibilityTimeout 0 s, maxPollingInterval 0.2 s`,
                ),
            );
            assert.match(logs, new RegExp(`Executing 'Functions\\.queueWork' \\(Reason='New queue message detected on '${queueName}'\\.', Id=${run?.invocationId}\\)`));
            assert.match(logs, new RegExp(`Trigger Details: MessageId: ${sent.messageId}, DequeueCount: 1, InsertedOn: `));
            await waitFor('the message deleted', async () => ((await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined));
        } finally {
            await host.stop();
            await queue.deleteIfExists();
        }
    });

    test('a message sent with a visibility delay runs only once it is visible', async () => {
        // prepare
        const queueName = uniqueQueueName('delayed');
        const queue = await createQueue(queueName);
        const host = await startQueueHost(queueName);
        try {
            // act
            const sent = await queue.sendMessage(base64('{"delayed":true}'), { visibilityTimeout: 2 });

            // assess
            const [run] = await waitForRuns(host, 1);
            assert.ok((run?.startedAt ?? 0) >= sent.nextVisibleOn.getTime() - 50, `ran at ${run?.startedAt}, visible from ${sent.nextVisibleOn.getTime()}`);
        } finally {
            await host.stop();
            await queue.deleteIfExists();
        }
    });

    test('a failing message is made visible again after visibilityTimeout and goes to the poison queue after maxDequeueCount', async () => {
        // prepare
        const queueName = uniqueQueueName('poison');
        const queue = await createQueue(queueName);
        const poison = new QueueClient(connectionString, `${queueName}-poison`);
        const host = await startQueueHost(queueName, {
            AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '3',
            AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
        });
        try {
            // act
            const text = base64('{"failWhileDequeueCount":99}');
            await queue.sendMessage(text);

            // assess
            const runs = await waitForRuns(host, 3);
            assert.deepEqual(
                runs.map((run) => run.triggerMetadata.dequeueCount),
                [1, 2, 3],
            );
            for (const [earlier, later] of [runs.slice(0, 2), runs.slice(1, 3)] as Array<[Run, Run]>) {
                assert.ok(later.startedAt - earlier.endedAt >= 900, `tried again ${later.startedAt - earlier.endedAt} ms after it failed, not after the 1 s visibilityTimeout`);
            }
            const moved = await waitFor(
                'the poison message',
                async () => ((await poison.exists()) ? ((await visibleTexts(poison))[0] ?? undefined) : undefined),
                15_000,
                host.logs,
            );
            assert.equal(moved, text, 'the message text as it was on the queue');
            assert.match(host.logs(), new RegExp(`Message has reached MaxDequeueCount of 3\\. Moving message to queue '${queueName}-poison'\\.`));
            assert.equal((await queue.getProperties()).approximateMessagesCount, 0);
            await new Promise((resolve) => setTimeout(resolve, 1500));
            assert.equal(runsOf(host).length, 3, 'never run again');
        } finally {
            await host.stop();
            await queue.deleteIfExists();
            await poison.deleteIfExists();
        }
    });

    test('a message that fails once succeeds on its second try and is deleted, not poisoned', async () => {
        // prepare
        const queueName = uniqueQueueName('retry');
        const queue = await createQueue(queueName);
        const host = await startQueueHost(queueName, { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' });
        try {
            // act
            await queue.sendMessage(base64('{"failWhileDequeueCount":1}'));

            // assess
            const runs = await waitForRuns(host, 2);
            assert.deepEqual(
                runs.map((run) => run.triggerMetadata.dequeueCount),
                [1, 2],
            );
            await waitFor('the message deleted', async () => ((await queue.getProperties()).approximateMessagesCount === 0 ? true : undefined));
            assert.equal(await new QueueClient(connectionString, `${queueName}-poison`).exists(), false);
        } finally {
            await host.stop();
            await queue.deleteIfExists();
        }
    });

    test('a message dequeued more than maxDequeueCount times (its function died with its host) goes to the poison queue without running', async () => {
        // prepare: two dequeues nobody completed, as two hosts that died while running it would leave it
        const queueName = uniqueQueueName('died');
        const queue = await createQueue(queueName);
        const poison = new QueueClient(connectionString, `${queueName}-poison`);
        const text = base64('{"died":true}');
        await queue.sendMessage(text);
        for (let dequeue = 1; dequeue <= 2; dequeue++) {
            const taken = await waitFor('the message visible', async () => (await queue.receiveMessages({ visibilityTimeout: 1 })).receivedMessageItems[0]);
            assert.equal(taken.dequeueCount, dequeue);
        }
        await waitFor('the message visible again', async () => ((await visibleTexts(queue)).length > 0 ? true : undefined), 5000);

        // act
        const host = await startQueueHost(queueName, { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' });
        try {
            // assess
            const moved = await waitFor(
                'the poison message',
                async () => ((await poison.exists()) ? ((await visibleTexts(poison))[0] ?? undefined) : undefined),
                15_000,
                host.logs,
            );
            assert.equal(moved, text);
            assert.equal(runsOf(host).length, 0);
        } finally {
            await host.stop();
            await queue.deleteIfExists();
            await poison.deleteIfExists();
        }
    });

    test('a message whose host was killed while running it runs again on another host once its lease ends', async () => {
        // prepare: a lease of 2 s (LOCAL_HOST_QUEUE_LEASE; 10 min in Azure), and a message that runs for 30 s
        const queueName = uniqueQueueName('lease');
        const queue = await createQueue(queueName);
        const lease = { LOCAL_HOST_QUEUE_LEASE: '00:00:02' };
        const victim = await startQueueHost(queueName, lease);
        await queue.sendMessage(base64('{"ms":30000}'));
        await victim.waitForLog("Executing 'Functions.queueWork'", 15_000);
        const survivor = await startQueueHost(queueName, lease);
        try {
            // act
            victim.process.kill('SIGKILL');
            const killedAt = Date.now();

            // assess: the survivor takes it once the lease ends, as its second dequeue
            await survivor.waitForLog('DequeueCount: 2,', 15_000);
            const waited = Date.now() - killedAt;
            assert.ok(waited < 10_000, `taken over after ${waited} ms`);
        } finally {
            await survivor.stop();
            await victim.stop();
            await queue.deleteIfExists();
        }
    });

    test('a message that is not base64 goes to the poison queue at once, without running', async () => {
        // prepare
        const queueName = uniqueQueueName('notbase64');
        const queue = await createQueue(queueName);
        const poison = new QueueClient(connectionString, `${queueName}-poison`);
        const host = await startQueueHost(queueName);
        try {
            // act
            await queue.sendMessage('{"not":"base64"}');

            // assess
            const moved = await waitFor(
                'the poison message',
                async () => ((await poison.exists()) ? ((await visibleTexts(poison))[0] ?? undefined) : undefined),
                15_000,
                host.logs,
            );
            assert.equal(moved, '{"not":"base64"}');
            assert.match(host.logs(), /Message decoding has failed! Check MessageEncoding settings\. MessageId=/);
            assert.equal(runsOf(host).length, 0);
        } finally {
            await host.stop();
            await queue.deleteIfExists();
            await poison.deleteIfExists();
        }
    });

    test('messageEncoding "none" hands the text over as it is', async () => {
        // prepare
        const queueName = uniqueQueueName('plain');
        const queue = await createQueue(queueName);
        const host = await startQueueHost(queueName, { AzureFunctionsJobHost__extensions__queues__messageEncoding: 'none' });
        try {
            // act
            await queue.sendMessage('plain text, not base64');

            // assess
            const [run] = await waitForRuns(host, 1);
            assert.equal(run?.message, 'plain text, not base64');
        } finally {
            await host.stop();
            await queue.deleteIfExists();
        }
    });

    test('batchSize bounds how many messages run at once, and newBatchThreshold when the next batch is fetched', async () => {
        // prepare
        const queueName = uniqueQueueName('batch');
        const queue = await createQueue(queueName);
        for (let i = 0; i < 6; i++) await queue.sendMessage(base64(JSON.stringify({ i, ms: 400 })));

        // act
        const host = await startQueueHost(queueName, {
            AzureFunctionsJobHost__extensions__queues__batchSize: '3',
            AzureFunctionsJobHost__extensions__queues__newBatchThreshold: '0',
        });
        try {
            // assess
            const runs = await waitForRuns(host, 6);
            assert.equal(Math.max(...runs.map((run) => run.active)), 3, `at most a batch at a time: ${JSON.stringify(runs.map((run) => run.active))}`);
            const firstBatchEnded = Math.max(...runs.slice(0, 3).map((run) => run.endedAt));
            assert.ok(
                runs.slice(3).every((run) => run.startedAt >= firstBatchEnded - 5),
                'with newBatchThreshold 0 the next batch waits for the whole first one',
            );
        } finally {
            await host.stop();
            await queue.deleteIfExists();
        }
    });

    test('two hosts on one queue run each message once', async () => {
        // prepare
        const queueName = uniqueQueueName('shared');
        const queue = await createQueue(queueName);
        const hosts = await Promise.all([startQueueHost(queueName), startQueueHost(queueName)]);
        try {
            // act
            const count = 40;
            await Promise.all(Array.from({ length: count }, (_, i) => queue.sendMessage(base64(JSON.stringify({ i, ms: 20 })))));

            // assess
            const runs = await waitForRuns(hosts, count, 30_000);
            const seen = runs.map((run) => (run.message as { i: number }).i).sort((a, b) => a - b);
            assert.deepEqual(
                seen,
                Array.from({ length: count }, (_, i) => i),
                'every message exactly once',
            );
            await new Promise((resolve) => setTimeout(resolve, 500));
            assert.equal(hosts.flatMap(runsOf).length, count, 'and no more');
        } finally {
            await Promise.all(hosts.map((host) => host.stop()));
            await queue.deleteIfExists();
        }
    });

    test('SIGTERM lets a running message finish and completes it', async () => {
        // prepare
        const queueName = uniqueQueueName('shutdown');
        const queue = await createQueue(queueName);
        const host = await startQueueHost(queueName);
        await queue.sendMessage(base64('{"ms":800}'));
        await host.waitForLog("Executing 'Functions.queueWork'", 15_000);

        // act
        await host.stop();

        // assess
        assert.equal(runsOf(host).length, 1, host.logs());
        assert.match(host.logs(), /Executed 'Functions\.queueWork' \(Succeeded[\s\S]*Host stopped\./);
        assert.equal((await queue.getProperties()).approximateMessagesCount, 0, 'deleted, so no other host runs it again');
        await queue.deleteIfExists();
    });

    test('the admin API runs a queue function with the input as its message', async () => {
        // prepare
        const queueName = uniqueQueueName('admin');
        const host = await startQueueHost(queueName);
        try {
            // act
            const answer = await fetch(`${new URL(host.baseUrl).origin}/admin/functions/queueWork`, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ input: '{"by":"admin"}' }),
            });

            // assess
            assert.equal(answer.status, 202);
            const [run] = await waitForRuns(host, 1);
            assert.deepEqual(run?.message, { by: 'admin' });
        } finally {
            await host.stop();
        }
    });
});

describe('local host: queue trigger settings it refuses, naming them', () => {
    test('a queue name setting that is not set', async () => {
        const output = await expectStartupFailure(null, {});
        assert.match(
            output,
            /^Host start-up failed: Function "queueWork": its queue name "%HOST_FIXTURE_QUEUE%" cannot be used: '%HOST_FIXTURE_QUEUE%' does not resolve to a value: the setting HOST_FIXTURE_QUEUE is not set/m,
        );
    });

    test('a setting that names another setting is used as it is, and refused as a name', async () => {
        const output = await expectStartupFailure(null, {}, { HOST_FIXTURE_QUEUE: '%HOST_FIXTURE_OTHER%', HOST_FIXTURE_OTHER: 'fine-name' });
        assert.match(output, /^Host start-up failed: Function "queueWork": "%host_fixture_other%" is not a valid queue name/m);
    });

    test('a queue name Storage refuses', async () => {
        const output = await expectStartupFailure('Bad--Name', {});
        assert.match(output, /^Host start-up failed: Function "queueWork": "bad--name" is not a valid queue name \(3-63 lower-case letters/m);
    });

    test('a connection that is not set', async () => {
        const output = await expectStartupFailure(uniqueQueueName('noconn'), { HOST_FIXTURE_QUEUE_CONNECTION: '' });
        assert.match(output, /Function "queueWork": Storage account connection string 'HOST_FIXTURE_QUEUE_CONNECTION' does not exist/);
    });

    test('a host.json queues setting out of range, named with the app setting that gave it', async () => {
        const output = await expectStartupFailure(uniqueQueueName('range'), { AzureFunctionsJobHost__extensions__queues__batchSize: '64' });
        assert.match(output, /^Host start-up failed: the app setting AzureFunctionsJobHost__extensions__queues__batchSize must be a whole number from 1 to 32, not "64"\./m);
    });

    test('a time span host.json cannot mean', async () => {
        const output = await expectStartupFailure(uniqueQueueName('span'), { AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '30s' });
        assert.match(output, /AzureFunctionsJobHost__extensions__queues__visibilityTimeout must be a time span "hh:mm:ss" \(e\.g\. "00:00:30"\), not "30s"\./);
    });
});
