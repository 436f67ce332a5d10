// `calls events`, compiled and run as a child process against Azurite's queue, over messages the app's own
// producer (CallEventsQueue) queued: one line per event or one CloudEvent per line with --json, peeking (the
// messages stay) or --consume (they go), --follow until Ctrl-C, repeats marked, foreign messages reported
// and left, and the settings and storage failures answered in words. Also the demo's finder, which must see
// a message behind more than one peek's worth of older ones without taking any off the queue.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { QueueClient } from '@azure/storage-queue';
import { findCallEvent } from '../../cli/readCallEvents';
import { devStorageConnectionString } from '../../dev/azurite';
import { freePort } from '../../dev/ports';
import { callEndedEvent, CallEventsQueue, encodeQueueMessage, type CallEndedCloudEvent } from '../../shared/lifecycle/callEvents';
import type { CallSummary } from '../../shared/record/callModel';
import { eventually } from '../support/e2eLocalRun';
import { testConnectionString } from '../support/storage';

const CLI = path.resolve(__dirname, '../../cli/calls.js');
const ENDED_AT = new Date('2026-12-01T09:00:01.123Z');

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

function endedByGraph(callId: string): CallSummary {
    return {
        callId,
        callState: 'terminated',
        deleted: true,
        closedBy: 'graph',
        resultCode: 200,
        resultSubcode: 7000,
        resultMessage: 'The conversation has ended by bot.',
        eventCount: 5,
        duplicateCount: 0,
        firstEventAt: new Date('2026-12-01T08:59:30.000Z'),
        lastEventAt: ENDED_AT,
    };
}

function closedByReconciler(callId: string): CallSummary {
    return { callId, callState: 'terminated', deleted: false, closedBy: 'reconciler', reconcileStatus: 404, reconciledAt: ENDED_AT, eventCount: 4, duplicateCount: 0 };
}

function newQueueName(): string {
    return `cli-events-${randomUUID().slice(0, 8)}`;
}

describe("calls events against Azurite's queue", () => {
    let emptyDir: string;
    const producer = (queueName: string) => new CallEventsQueue(() => new QueueClient(testConnectionString(), queueName), { now: () => ENDED_AT });
    const queue = (queueName: string) => new QueueClient(testConnectionString(), queueName);

    /** Followers still running: a test that fails before its Ctrl-C must not leave one behind (it would hold the run open). */
    const running = new Set<ChildProcess>();

    before(() => {
        emptyDir = mkdtempSync(path.join(os.tmpdir(), 'calls-events-'));
    });
    after(() => {
        for (const child of running) child.kill('SIGKILL');
        rmSync(emptyDir, { recursive: true, force: true });
    });

    /** Only these settings: nothing of this process's environment leaks in. */
    const settings = (queueName: string): Record<string, string> => ({ CallEventsStorage: testConnectionString(), CALL_EVENTS_QUEUE: queueName });

    function calls(args: string[], env: Record<string, string>): Promise<Run> {
        return new Promise((resolve) => {
            execFile(process.execPath, [CLI, ...args], { cwd: emptyDir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
                resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
            });
        });
    }

    /** `calls events --follow ...` running in the background; `stop()` sends Ctrl-C and waits for its end. */
    function follow(args: string[], env: Record<string, string>) {
        const child = spawn(process.execPath, [CLI, 'events', '--follow', ...args], {
            cwd: emptyDir,
            env: { PATH: process.env.PATH ?? '', ...env },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
        running.add(child);
        const ended = once(child, 'exit').finally(() => running.delete(child));
        return {
            output: async () => ({ stdout, stderr }),
            stop: async (): Promise<Run> => {
                child.kill('SIGINT');
                const [code] = (await ended) as [number | null];
                return { code, stdout, stderr };
            },
        };
    }

    const eventLines = (stdout: string) => stdout.split('\n').filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));

    test('prints one line per event, time, call id, state, who closed it and the result, and leaves the messages on the queue', async () => {
        // prepare
        const queueName = newQueueName();
        await producer(queueName).publishCallEnded(endedByGraph('call-a'));
        await producer(queueName).publishCallEnded(closedByReconciler('call-b'));

        // act
        const first = await calls(['events'], settings(queueName));
        const second = await calls(['events'], settings(queueName));

        // assess
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /^TIME \(UTC\) {16}CALL ID {31}STATE {17}CLOSED BY {3}REASON \/ RESULT\n/);
        assert.deepEqual(eventLines(first.stdout), [
            '2026-12-01T09:00:01.123Z  call-a                                terminated (deleted)  graph       result 200/7000 The conversation has ended by bot.',
            '2026-12-01T09:00:01.123Z  call-b                                terminated            reconciler  reconciler: Graph answered 404.',
        ]);
        assert.match(
            first.stderr,
            new RegExp(`^calls events: peeking at queue ${queueName} at http://127\\.0\\.0\\.1:\\d+/devstoreaccount1 \\(from CallEventsStorage\\): the messages stay there\\.\n$`),
        );
        assert.equal(second.stdout, first.stdout, 'peeking took nothing off the queue');
        assert.equal((await queue(queueName).getProperties()).approximateMessagesCount, 2);
    });

    test('--json prints each message as the decoded CloudEvent the app queued, one per line', async () => {
        // prepare
        const queueName = newQueueName();
        const summaries = [endedByGraph('call-json-1'), closedByReconciler('call-json-2')];
        for (const summary of summaries) await producer(queueName).publishCallEnded(summary);

        // act
        const run = await calls(['events', '--json'], settings(queueName));

        // assess
        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.trimEnd().split('\n');
        assert.equal(lines.length, 2, run.stdout);
        assert.deepEqual(
            lines.map((line) => JSON.parse(line) as CallEndedCloudEvent),
            summaries.map((summary) => JSON.parse(JSON.stringify(callEndedEvent(summary, ENDED_AT))) as CallEndedCloudEvent),
        );
    });

    test('--consume takes each event off the queue once printed; a message that is not one is reported and stays', async () => {
        // prepare
        const queueName = newQueueName();
        await producer(queueName).publishCallEnded(endedByGraph('call-c'));
        await queue(queueName).sendMessage('not base64 at all!');
        await queue(queueName).sendMessage(Buffer.from('{"type":"something.else"}').toString('base64'));
        await producer(queueName).publishCallEnded(closedByReconciler('call-d'));

        // act
        const consumed = await calls(['events', '--consume'], settings(queueName));
        const left = await queue(queueName).getProperties();

        // assess
        assert.equal(consumed.code, 0, consumed.stderr);
        assert.deepEqual(
            eventLines(consumed.stdout).map((line) => line.split(/ {2,}/)[1]),
            ['call-c', 'call-d'],
        );
        assert.match(consumed.stderr, /^calls events: consuming queue cli-events-[0-9a-f]{8} at .*: each event is deleted once printed\.\n/);
        assert.match(consumed.stderr, /is not a call-ended event: it is not base64; it stays on the queue\.\n/);
        assert.match(
            consumed.stderr,
            /is not a call-ended event: it is not a CloudEvent of type teams-call-record\.call\.ended or teams-call-record\.call\.recordAvailable with an id, a subject and data; it stays on the queue\.\n/,
        );
        assert.equal(left.approximateMessagesCount, 2, 'the two foreign messages are still there');
    });

    test('--follow prints events as they arrive, each once, marks a repeat by its id, and ends on Ctrl-C', async () => {
        // prepare
        const queueName = newQueueName();
        const follower = follow([], settings(queueName));
        await eventually(follower.output, ({ stderr }) => stderr.includes('Ctrl-C stops'), 30_000, 'the follower starting');

        // act: the queue does not exist yet; the first event makes it, the second is a repeat of the first call's
        await producer(queueName).publishCallEnded(endedByGraph('call-e'));
        await eventually(follower.output, ({ stdout }) => eventLines(stdout).length === 1, 30_000, 'the first event printed');
        await producer(queueName).publishCallEnded(endedByGraph('call-e'));
        await eventually(follower.output, ({ stdout }) => eventLines(stdout).length === 2, 30_000, 'the repeat printed');
        await new Promise((resolve) => setTimeout(resolve, 1500)); // more than one poll: a peek seeing them again prints nothing
        const run = await follower.stop();

        // assess
        assert.equal(run.code, 0, run.stderr);
        const lines = eventLines(run.stdout);
        assert.equal(lines.length, 2, run.stdout);
        assert.doesNotMatch(lines[0] ?? '', /repeat/);
        assert.match(lines[1] ?? '', /call-e .*\(repeat: same id as above\)$/);
        assert.equal((await queue(queueName).getProperties()).approximateMessagesCount, 2, 'following a peek takes nothing');
    });

    test('--follow --consume drains the queue as events arrive', async () => {
        // prepare
        const queueName = newQueueName();
        await producer(queueName).publishCallEnded(endedByGraph('call-f'));
        const follower = follow(['--consume', '--json'], settings(queueName));

        // act
        await eventually(follower.output, ({ stdout }) => stdout.split('\n').length === 2, 30_000, 'the waiting event printed');
        await producer(queueName).publishCallEnded(closedByReconciler('call-g'));
        await eventually(follower.output, ({ stdout }) => stdout.split('\n').length === 3, 30_000, 'the new event printed');
        const run = await follower.stop();

        // assess
        assert.equal(run.code, 0, run.stderr);
        assert.deepEqual(
            run.stdout
                .trimEnd()
                .split('\n')
                .map((line) => (JSON.parse(line) as CallEndedCloudEvent).subject),
            ['call-f', 'call-g'],
        );
        await eventually(
            async () => (await queue(queueName).getProperties()).approximateMessagesCount,
            (count) => count === 0,
            undefined,
            'the queue drained',
        );
    });

    test('a queue that does not exist yet has no events; events turned off and unreachable storage are answered in words', async () => {
        // act
        const none = await calls(['events'], settings(newQueueName()));
        const off = await calls(['events'], { CallEventsStorage: testConnectionString(), CALL_EVENTS_QUEUE: '' });
        const port = await freePort();
        const unreachable = await calls(['events'], { CallEventsStorage: devStorageConnectionString({ queue: port }), CALL_EVENTS_QUEUE: 'call-events' });
        const extra = await calls(['events', 'now'], settings('call-events'));

        // assess
        assert.equal(none.code, 0, none.stderr);
        assert.match(none.stdout, /^No call-ended events on queue cli-events-[0-9a-f]{8}\.\n$/);
        assert.equal(off.code, 2);
        assert.match(off.stderr, /^calls: Call-ended events are off: CALL_EVENTS_QUEUE is set empty/);
        assert.equal(unreachable.code, 1);
        assert.match(
            unreachable.stderr,
            new RegExp(`calls: Cannot read queue call-events at http://127\\.0\\.0\\.1:${port}/devstoreaccount1 \\(from CallEventsStorage\\): .*ECONNREFUSED`),
        );
        for (const run of [off, unreachable]) assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
        assert.equal(extra.code, 2);
        assert.match(extra.stderr, /events takes no arguments, only options/);
    });

    test("behind more than a peek of older messages: peeking says what it cannot see, and the demo's finder still finds the newest and takes nothing", async () => {
        // prepare: 40 messages, the one to find last
        const queueName = newQueueName();
        const client = queue(queueName);
        await client.create();
        for (let i = 0; i < 39; i++) await client.sendMessage(encodeQueueMessage(callEndedEvent(endedByGraph(`old-${i}`), ENDED_AT)));
        await client.sendMessage(encodeQueueMessage(callEndedEvent(closedByReconciler('the-newest'), ENDED_AT)));

        // act
        const peeked = await calls(['events'], settings(queueName));
        const found = await findCallEvent(client, 'the-newest/ended');

        // assess
        assert.equal(eventLines(peeked.stdout).length, 32);
        assert.match(peeked.stderr, /the queue holds about 40 messages, and a peek shows only the oldest 32; calls events --consume reads them all/);
        assert.equal(found?.event?.subject, 'the-newest');
        assert.equal((await client.getProperties()).approximateMessagesCount, 40, 'nothing was deleted');
    });
});
