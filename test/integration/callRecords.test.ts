// Graph's call record after the call, through the local host: the call's end schedules a fetch on a Storage queue, the
// queue trigger fetchCallRecords asks the HTTPS call simulator as Graph, follows every page, keeps the whole record in
// Blob Storage (Azurite) and the facts and the quality verdict on the summary, and puts recordAvailable on the
// call-events queue. Graph's record appears some simulated minutes after the call (the test moves the simulator's
// clock); the later tries of the schedule are run through the host's admin endpoint with the message they would carry.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { CallEndedCloudEvent } from '../../shared/lifecycle/callEvents';
import type { CallSummaryJson } from '../../shared/query/callJson';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

/** Graph has a call's record this long after the call, in simulated minutes. */
const GRAPH_DELAY_MINUTES = 20;

describe("Graph's call record after the call", () => {
    let sim: RunningSimulator;
    let app: HostProcess;
    const tableName = uniqueTableName('records');
    const suffix = randomUUID().slice(0, 8);
    const fetchQueue = `fetches-${suffix}`;
    const eventsQueue = `events-${suffix}`;
    const containerName = `records-${suffix}`;
    const container = new ContainerClient(testConnectionString(), containerName);

    before(async () => {
        sim = await startSimulator({ port: 0, tls: testTls() });
        app = await startHostProcess({
            env: {
                ...simulatorAppSettings(sim),
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: tableName,
                CALL_EVENTS_QUEUE: eventsQueue,
                CALL_RECORDS: 'on',
                CALL_RECORDS_QUEUE: fetchQueue,
                CALL_RECORDS_CONTAINER: containerName,
                // The first try at once: the simulator's clock decides when Graph has the record.
                CALL_RECORD_DELAY_MINUTES: '0',
                RECONCILE_SCHEDULE: '0 0 0 1 1 *',
                GRAPH_TIMEOUT_SECONDS: '5',
                AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.200',
            },
        });
    });
    after(async () => {
        await app?.stop();
        await sim?.stop();
    });

    async function summary(callId: string): Promise<CallSummaryJson> {
        const response = await checkedFetch(`${app.baseUrl}/calls/${callId}`);
        assert.equal(response.status, 200, await response.clone().text());
        return (await response.json()) as CallSummaryJson;
    }

    async function eventually(callId: string, check: (summary: CallSummaryJson) => boolean, what: string): Promise<CallSummaryJson> {
        const deadline = Date.now() + 20_000;
        for (;;) {
            const now = await summary(callId);
            if (check(now)) return now;
            if (Date.now() > deadline) assert.fail(`${what}: the summary is still ${JSON.stringify(now)}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
    }

    /** A call with a roster, hung up through the app; resolves once the app has it ended. */
    async function endedCall(join: Array<Record<string, unknown>>): Promise<string> {
        const call = sim.createCall({ callbackUri: `${app.baseUrl}/callback` });
        await sim.settled();
        sim.roster(call.id, { join });
        await sim.settled();
        assert.equal((await checkedFetch(`${app.baseUrl}/calls/${call.id}`, { method: 'DELETE' })).status, 204);
        await sim.settled();
        return call.id;
    }

    /** Runs the queue function now with the message a later try of the schedule would carry. */
    function runFetch(callId: string, attempt: number, endedAt: Date, refresh = false): Promise<string> {
        return app.runFunction('fetchCallRecords', 30_000, JSON.stringify({ callId, attempt, endedAt: endedAt.toISOString(), ...(refresh ? { refresh: true } : {}) }));
    }

    function recordRequests(callId: string): string[] {
        return sim
            .stats()
            .graphRequests.filter((request) => request.callId === callId && request.path.includes('/callRecords/'))
            .map((request) => `${request.status} ${request.path}`);
    }

    async function queuedEvents(): Promise<CallEndedCloudEvent[]> {
        const queue = new QueueClient(testConnectionString(), eventsQueue);
        const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
        return peekedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as CallEndedCloudEvent);
    }

    test('404 until Graph has it (pending, the next try scheduled); then the record, its quality verdict, the blob and recordAvailable', async () => {
        // prepare: Graph has the record 20 simulated minutes after the call
        sim.clock({ callRecordDelayMinutes: GRAPH_DELAY_MINUTES });
        const callId = await endedCall([
            { id: 'ada', name: 'Ada Lovelace' },
            { id: 'caller', kind: 'phone', identityId: '+14255550123', quality: { packetLossRate: 0.12 } },
        ]);
        const endedAt = new Date();

        // act 1: the call's end scheduled the first try, which the queue trigger ran at once
        const pending = await eventually(callId, (s) => s.callRecordStatus === 'pending' && s.callRecordAttempts === 1, 'the first try');

        // assess 1
        assert.match(String(pending.callRecordError), /no call record .* yet \(404\)/);
        assert.deepEqual(recordRequests(callId), [`404 /v1.0/communications/callRecords/${pending.callChainId}`]);

        // act 2: Graph's 20 minutes pass; the second try of the schedule comes
        sim.clock({ advanceMinutes: GRAPH_DELAY_MINUTES });
        const log = await runFetch(callId, 2, endedAt);

        // assess 2: the summary has the record's facts and the verdict, from Microsoft's thresholds
        assert.match(log, /fetched version 1, quality poor/);
        const fetched = await summary(callId);
        assert.equal(fetched.callRecordStatus, 'fetched');
        assert.equal(fetched.callRecordId, fetched.callChainId);
        assert.equal(fetched.callRecordVersion, 1);
        assert.equal(fetched.callType, 'groupCall');
        assert.deepEqual(fetched.modalities, ['audio']);
        assert.equal(fetched.sessionCount, 2);
        assert.equal(fetched.callRecordParticipantCount, 3);
        assert.equal(fetched.quality, 'poor');
        assert.equal(fetched.qualityReason, 'audio from +14255550123 lost 12% of packets (poor above 10%)');
        assert.equal(fetched.worstPacketLossRate, 0.12);
        assert.equal(fetched.poorStreamCount, 1);
        assert.ok((fetched.durationSeconds ?? -1) >= 0);
        assert.equal(fetched.callRecordBlob, `${containerName}/${callId}/1.json`);
        const byParticipant = fetched.participantQuality as unknown as Array<{ id: string; quality: string; reason?: string; name?: string }>;
        assert.equal(byParticipant[0]?.quality, 'poor', 'poor first');
        assert.equal(byParticipant[0]?.id, 'caller');
        assert.ok(byParticipant.some((p) => p.name === 'Ada Lovelace' && p.quality === 'good'));
        const blob = JSON.parse((await container.getBlockBlobClient(`${callId}/1.json`).downloadToBuffer()).toString('utf8')) as {
            sessions: unknown[];
            participants_v2: unknown[];
        };
        assert.equal(blob.sessions.length, 2);
        assert.equal(blob.participants_v2.length, 3);
        const available = (await queuedEvents()).filter((event) => event.subject === callId && event.type === 'teams-call-record.call.recordAvailable');
        assert.equal(available.length, 1);
        assert.equal(available[0]?.id, `${callId}/record/1`);
        assert.equal(available[0]?.data.quality, 'poor');
        const history = await (await checkedFetch(`${app.baseUrl}/calls/${callId}/history?top=100`)).json();
        const kinds = (history as { events: Array<{ kind: string }> }).events.map((event) => event.kind);
        assert.equal(kinds.filter((kind) => kind === 'callRecord').length, 1, 'one callRecord event: the 404 changed nothing worth one');

        // act 3: a try that comes again (a redelivered end scheduled a second chain) changes nothing
        const again = await runFetch(callId, 2, endedAt);
        assert.match(again, /its call record is fetched already/);
    });

    test('a newer version replaces the one kept (its blob too); an older one that comes late never does', async () => {
        // prepare
        sim.clock({ callRecordDelayMinutes: 0 });
        const callId = await endedCall([{ id: 'grace', name: 'Grace Hopper' }]);
        const endedAt = new Date();
        await eventually(callId, (s) => s.callRecordStatus === 'fetched', 'the record at the first try');

        // act: Graph's record grows a version; the refresh the first fetch scheduled comes
        sim.callRecord(callId, { version: 3 });
        const refreshed = await runFetch(callId, 2, endedAt, true);
        assert.match(refreshed, /fetched version 3/, refreshed);
        const three = await summary(callId);
        sim.callRecord(callId, { version: 2 });
        const late = await runFetch(callId, 2, endedAt, true);

        // assess
        assert.equal(three.callRecordVersion, 3);
        assert.match(late, /not newer than the one kept/);
        const kept = await summary(callId);
        assert.equal(kept.callRecordVersion, 3);
        assert.equal(kept.callRecordBlob, `${containerName}/${callId}/3.json`);
        const names: string[] = [];
        for await (const item of container.listBlobsFlat({ prefix: `${callId}/` })) names.push(item.name);
        assert.deepEqual(names, [`${callId}/3.json`]);
        assert.deepEqual(
            (await queuedEvents()).filter((event) => event.subject === callId && event.type === 'teams-call-record.call.recordAvailable').map((event) => event.id),
            [`${callId}/record/1`, `${callId}/record/3`],
        );
    });

    test('every page is followed: 300 sessions (60 a page) and 250 participants (130 a page)', async () => {
        // prepare
        sim.clock({ callRecordDelayMinutes: GRAPH_DELAY_MINUTES });
        const callId = await endedCall([{ id: 'p0', name: 'First' }]);
        const endedAt = new Date();
        await eventually(callId, (s) => s.callRecordStatus === 'pending' && s.callRecordAttempts === 1, 'the first try');
        sim.callRecord(callId, { participants: 250, sessions: 300, poor: 4, delayMinutes: 0 });

        // act
        const log = await runFetch(callId, 2, endedAt);

        // assess
        assert.match(log, /fetched version 1/, log);
        const fetched = await summary(callId);
        assert.equal(fetched.sessionCount, 300);
        assert.equal(fetched.callRecordParticipantCount, 250);
        assert.equal(fetched.poorStreamCount, 4);
        const pages = recordRequests(callId).slice(1);
        assert.equal(pages.filter((path) => path.includes('/sessions')).length, 4, pages.join('\n'));
        assert.equal(pages.filter((path) => path.includes('/participants_v2')).length, 2, pages.join('\n'));
        assert.ok(pages.every((path) => path.startsWith('200 ')));
    });

    test('403 stops the fetches and names the permission; Graph keeping no record until the give-up is notFound', async () => {
        // prepare
        sim.clock({ callRecordDelayMinutes: 100_000 });
        sim.setFaults({ callRecordsForbidden: true });
        const forbidden = await endedCall([{ id: 'x1' }]);
        const refused = await eventually(forbidden, (s) => s.callRecordStatus === 'forbidden', 'the refusal');
        sim.clearFaults();
        const missing = await endedCall([{ id: 'x2' }]);
        await eventually(missing, (s) => s.callRecordStatus === 'pending' && s.callRecordAttempts === 1, 'the first try');

        // act: the last try of the schedule (the call ended 6 hours ago), and Graph still has no record
        const last = await runFetch(missing, 5, new Date(Date.now() - 6 * 3_600_000));

        // assess
        assert.match(String(refused.callRecordError), /Graph answered 403 .*CallRecords\.Read\.All/);
        assert.match(last, /notFound: Graph had no call record .* within 6 h/);
        assert.equal((await summary(missing)).callRecordStatus, 'notFound');
        // Nothing more is asked about a call whose fetches stopped.
        const before = recordRequests(forbidden).length;
        assert.match(await runFetch(forbidden, 2, new Date()), /forbidden already/);
        assert.equal(recordRequests(forbidden).length, before);
    });

    test('a call whose notifications never carried a callChainId: the hang-up reads it from Graph first, and its record is fetched by it', async () => {
        // prepare: Graph's callbacks carry no chain id (neither in the call resource nor as a header)
        sim.clock({ callRecordDelayMinutes: 0 });
        sim.setFaults({ withoutChainId: true });
        const call = sim.createCall({ callbackUri: `${app.baseUrl}/callback` });
        await sim.settled();
        const before = await summary(call.id);

        // act: hung up through the app
        const hangUp = await checkedFetch(`${app.baseUrl}/calls/${call.id}`, { method: 'DELETE' });
        await sim.settled();
        sim.clearFaults();
        const fetched = await eventually(call.id, (s) => s.callRecordStatus === 'fetched', 'the record');

        // assess: GET the call, then DELETE it; the record asked for by Graph's chain id
        assert.equal(hangUp.status, 204);
        assert.equal(before.callChainId, undefined, 'no notification carried it');
        const callRequests = sim
            .stats()
            .graphRequests.filter((request) => request.callId === call.id && !request.path.includes('/callRecords/'))
            .map((request) => `${request.method} ${request.status}`);
        assert.deepEqual(callRequests, ['GET 200', 'DELETE 204']);
        assert.equal(fetched.callChainId, call.callChainId);
        assert.equal(fetched.callRecordId, call.callChainId);
        assert.equal(recordRequests(call.id)[0], `200 /v1.0/communications/callRecords/${call.callChainId}`);
    });

    test('a throttled fetch (429) is tried again after Retry-After, without using up a try of the schedule', async () => {
        // prepare: the first try meets no record yet
        sim.clock({ callRecordDelayMinutes: GRAPH_DELAY_MINUTES });
        const callId = await endedCall([{ id: 't1' }]);
        const endedAt = new Date();
        await eventually(callId, (s) => s.callRecordStatus === 'pending' && s.callRecordAttempts === 1, 'the first try');
        sim.clock({ advanceMinutes: GRAPH_DELAY_MINUTES });
        // Graph throttles the next requests, more of them than the pipeline's own retries take
        sim.setFaults({ throttle: { count: 8, retryAfterSeconds: 1 } });

        // act: the second try is throttled to the end; its message comes back after Retry-After, and goes through
        const throttled = await runFetch(callId, 2, endedAt);
        const fetched = await eventually(callId, (s) => s.callRecordStatus === 'fetched', 'the record after the throttling');

        // assess
        assert.match(throttled, /Graph throttled the request \(429\) Try 2 at /);
        assert.equal(fetched.callRecordAttempts, 2, 'the throttled try did not count');
        assert.ok(recordRequests(callId).filter((request) => request.startsWith('429 ')).length >= 2);
        sim.clearFaults();
    });
});
