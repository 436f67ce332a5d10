// keepAlive through the local host (keepCallsAlive, run through the host's admin endpoint), against real Azurite and the
// HTTPS call simulator as Graph, whose clock the test speeds up so that Graph's 45 minutes pass in seconds: with
// keepAlive a call outlives them, without it Graph ends the call ("408/8537 Keep Alive timeout"); a call Graph no
// longer has is closed as the reconciler closes it, with its call-ended message; 401/403 stop the run; a throttled
// keepAlive is sent again next run; two hosts running it at once stay exact; with KEEP_ALIVE_MINUTES=0 there is no timer.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { CallEndedCloudEvent } from '../../shared/lifecycle/callEvents';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

/** Simulated ms per real ms: Graph's 45 minutes take 4.5 s. */
const SPEED = 600;
const GRAPH_TIMEOUT_MINUTES = 45;

describe('keepAlive for active calls', () => {
    let sim: RunningSimulator;
    const tableName = uniqueTableName('keepalive');
    const queueName = `keepalive-${randomUUID().slice(0, 8)}`;
    const table: TableClient = testTableClient(tableName);
    const hosts: HostProcess[] = [];
    let app: HostProcess;

    async function host(settings: Record<string, string>): Promise<HostProcess> {
        const started = await startHostProcess({
            env: {
                ...simulatorAppSettings(sim),
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: tableName,
                CALL_EVENTS_QUEUE: queueName,
                RECONCILE_SCHEDULE: '0 0 0 1 1 *',
                GRAPH_TIMEOUT_SECONDS: '5',
                ...settings,
            },
        });
        hosts.push(started);
        return started;
    }

    before(async () => {
        sim = await startSimulator({ port: 0, tls: testTls() });
        app = await host({ KEEP_ALIVE_MINUTES: '15' });
    });
    after(async () => {
        await Promise.all(hosts.map((h) => h.stop()));
        await sim?.stop();
    });

    async function summary(callId: string): Promise<Record<string, unknown> | undefined> {
        return (await partitionRows(table, callId)).find((row) => row.rowKey === 'state');
    }

    /** A call the simulator placed and the app has recorded as established. */
    async function liveCall(options: { dropLastNotifications?: number } = {}): Promise<string> {
        const call = sim.createCall({ callbackUri: `${app.baseUrl}/callback`, ...options });
        await sim.settled();
        assert.equal((await summary(call.id))?.callState, 'established');
        return call.id;
    }

    function keepAlives(callId: string): number {
        return sim.stats().graphRequests.filter((request) => request.method === 'POST' && request.path.endsWith('/keepAlive') && request.callId === callId).length;
    }

    /** Polls until `check` passes, or fails with what it last saw after `timeoutMs`. */
    async function eventually<T>(read: () => Promise<T> | T, check: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const value = await read();
            if (check(value)) return value;
            if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    test('with keepAlive a call outlives Graph’s 45 minutes; without it Graph ends the call with 408/8537 "Keep Alive timeout"', async () => {
        // prepare: Graph's clock runs 600 times faster, and Graph ends calls 45 simulated minutes after their last keepAlive
        const callId = await liveCall();
        sim.clock({ speed: SPEED, keepAliveTimeoutMinutes: GRAPH_TIMEOUT_MINUTES });
        const started = Date.parse(sim.clock({}).now);

        // act 1: the test runs the timer, as its schedule would, while more than 45 simulated minutes pass
        let runs = 0;
        while (Date.parse(sim.clock({}).now) - started < 2 * GRAPH_TIMEOUT_MINUTES * 60_000) {
            const log = await app.runFunction('keepCallsAlive');
            assert.match(log, /Kept calls alive: \d+ active calls, \d+ keepAlives sent: \d+ kept alive, 0 closed/);
            runs += 1;
        }

        // assess 1: alive in Graph and in the record, kept alive on every run
        assert.equal(sim.stats().calls[callId]?.state, 'established', `Graph kept the call through ${runs} runs`);
        const kept = await summary(callId);
        assert.equal(kept?.callState, 'established');
        assert.equal(kept?.keepAliveStatus, 200);
        assert.ok(kept?.keptAliveAt instanceof Date);
        assert.ok(keepAlives(callId) >= runs, `${keepAlives(callId)} keepAlives for ${runs} runs`);
        assert.ok(
            (await partitionRows(table, callId)).every((row) => row.kind !== 'reconciliation'),
            'a keepAlive Graph answers 200 adds no event',
        );

        // act 2: no more runs; Graph's 45 minutes pass
        const ended = await eventually(
            () => summary(callId),
            (row) => row?.callState === 'terminated',
            15_000,
            'Graph ending the call',
        );

        // assess 2: Graph's own notification ended it, with Graph's reason
        assert.equal(ended?.closedBy, 'graph');
        assert.equal(ended?.resultCode, 408);
        assert.equal(ended?.resultSubcode, 8537);
        assert.equal(ended?.resultMessage, 'Keep Alive timeout');
        sim.clock({ speed: 1, keepAliveTimeoutMinutes: null });
    });

    test('a call Graph no longer has is closed as the reconciler closes it: a reconciliation event, closedBy keepAlive, the call-ended message', async () => {
        // prepare: the call's end never reaches the app, so the record keeps it established while Graph has forgotten it
        const callId = await liveCall({ dropLastNotifications: 2 });
        const hangUp = await fetch(`${app.baseUrl}/calls/${callId}`, { method: 'DELETE' });
        assert.equal(hangUp.status, 204);
        await sim.settled();
        assert.equal((await summary(callId))?.callState, 'established');

        // act
        const log = await app.runFunction('keepCallsAlive');

        // assess
        assert.match(log, /[1-9]\d* closed \(Graph had no such call\)/);
        const closed = await summary(callId);
        assert.equal(closed?.callState, 'terminated');
        assert.equal(closed?.closedBy, 'keepAlive');
        assert.equal(closed?.keepAliveStatus, 404);
        const events = (await partitionRows(table, callId)).filter((row) => String(row.rowKey).startsWith('event-'));
        const last = events.at(-1);
        assert.equal(last?.kind, 'reconciliation');
        assert.equal(last?.checkedBy, 'keepAlive');
        assert.equal(last?.httpStatus, 404);
        assert.match(String(last?.resultMessage), /Graph has no such call/);
        const queue = new QueueClient(testConnectionString(), queueName);
        const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
        const sent = peekedMessageItems
            .map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as CallEndedCloudEvent)
            .filter((m) => m.subject === callId);
        assert.equal(sent.length, 1);
        assert.equal(sent[0]?.data.closedBy, 'keepAlive');
        // A second run sends it nothing: it is no longer active.
        const before = keepAlives(callId);
        await app.runFunction('keepCallsAlive');
        assert.equal(keepAlives(callId), before);
    });

    test('Graph refusing the app (403) stops the run loudly and changes nothing; a throttled keepAlive goes again next run', async () => {
        // prepare
        const refused = await liveCall();
        const throttled = await liveCall();
        sim.script(refused, [{ status: 403 }]);
        sim.script(throttled, [{ status: 429, retryAfterSeconds: 0 }]);
        const before = await summary(refused);

        // act
        const log = await app.runFunction('keepCallsAlive');

        // assess
        assert.match(log, /KEEPALIVE STOPPED: Graph answered 403/);
        assert.match(log, /Calls\.Initiate\.All/);
        assert.deepEqual((await summary(refused))?.keptAliveAt, before?.keptAliveAt);
        assert.equal((await summary(refused))?.callState, 'established');
        assert.ok(keepAlives(throttled) > 1, 'the throttled keepAlive was tried, and retried');
        assert.equal((await summary(throttled))?.keptAliveAt, undefined, 'throttled until the retries ran out: nothing recorded');

        // act: Graph accepts the app again and stops throttling; the throttled call gets its keepAlive on the next run
        sim.script(refused, [{ status: 200 }]);
        sim.script(throttled, [{ status: 200 }]);
        await app.runFunction('keepCallsAlive');
        assert.equal((await summary(throttled))?.keepAliveStatus, 200);
        assert.ok((await summary(throttled))?.keptAliveAt instanceof Date);
    });

    test('two hosts running keepAlive at once keep every call alive and write nothing twice', async () => {
        // prepare
        const second = await host({ KEEP_ALIVE_MINUTES: '15' });
        const calls = await Promise.all([liveCall(), liveCall(), liveCall()]);
        const eventCounts = await Promise.all(calls.map(async (callId) => (await summary(callId))?.eventCount));

        // act
        const logs = await Promise.all([app.runFunction('keepCallsAlive'), second.runFunction('keepCallsAlive')]);

        // assess
        for (const log of logs) assert.match(log, /Kept calls alive: /);
        for (const [i, callId] of calls.entries()) {
            const row = await summary(callId);
            assert.equal(row?.keepAliveStatus, 200);
            assert.equal(row?.eventCount, eventCounts[i], 'a keepAlive Graph answers 200 stores no event');
            assert.equal(keepAlives(callId), 2, 'each run sent one');
        }
    });

    test('with KEEP_ALIVE_MINUTES=0 (the default) there is no keepAlive timer', async () => {
        const off = await host({});
        await assert.rejects(off.runFunction('keepCallsAlive'), /404/);
        assert.doesNotMatch(off.logs(), /keepCallsAlive/);
    });
});
