// The call lifecycle through the local host, against real Azurite tables and queues and the HTTPS call
// simulator as Graph: call-ended CloudEvents for each way a call ends (and again on redelivery), a queue
// outage answered 503 and mended by the redelivery, and the reconciler (reconcileCalls, run through the
// host's admin endpoint and by its own schedule): 404 closes, a new state is stored, an unchanged one only
// recorded, 401/403 stop the run, 429/5xx wait, ended calls are never asked about, two overlapping runs
// stay exact, and a backlog larger than RECONCILE_MAX_CALLS drains over runs.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { devStorageConnectionString } from '../../dev/azurite';
import { freePort } from '../../dev/ports';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { CallEndedCloudEvent } from '../../shared/lifecycle/callEvents';
import type { CallSummaryJson } from '../../shared/query/callJson';
import { CallStore } from '../../shared/record/callStore';
import { v1Notification } from '../fixtures/notifications';
import { startCallbackIssuer, type CallbackIssuer } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

const BOT_APP_ID = '7b2e8c61-1e4a-4f5d-8a6b-2d3c4e5f6a7b';
const TENANT = 'eeeeeeee-5555-4555-8555-eeeeeeeeeeee';

interface Setup {
    table: TableClient;
    tableName: string;
    queue: QueueClient;
    queueName: string;
}

function newSetup(purpose: string): Setup {
    const tableName = uniqueTableName(purpose);
    const queueName = `events-${randomUUID().slice(0, 8)}`;
    return { table: testTableClient(tableName), tableName, queue: new QueueClient(testConnectionString(), queueName), queueName };
}

/** Every message on the queue, decoded as a Functions queue trigger decodes it (base64, then JSON). */
async function messages(queue: QueueClient): Promise<CallEndedCloudEvent[]> {
    if (!(await queue.exists())) return [];
    const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
    return peekedMessageItems.map((item) => {
        assert.match(item.messageText, /^[A-Za-z0-9+/]+=*$/, 'the message is base64');
        return JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as CallEndedCloudEvent;
    });
}

describe('call lifecycle: call-ended events and the reconciler', () => {
    let sim: RunningSimulator;
    let issuer: CallbackIssuer;
    const hosts: HostProcess[] = [];

    async function host(setup: Setup, settings: Record<string, string> = {}): Promise<HostProcess> {
        const started = await startHostProcess({
            env: {
                ...simulatorAppSettings(sim),
                CallHistoryStorage: testConnectionString(),
                CALL_HISTORY_TABLE: setup.tableName,
                CALL_EVENTS_QUEUE: setup.queueName,
                BOT_APP_ID,
                CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl,
                RECONCILE_AFTER_MINUTES: '0',
                GRAPH_TIMEOUT_SECONDS: '3',
                ...settings,
            },
        });
        hosts.push(started);
        return started;
    }

    async function post(on: HostProcess, body: unknown): Promise<Response> {
        return checkedFetch(`${on.baseUrl}/callback`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await issuer.sign({ aud: BOT_APP_ID, tid: TENANT })}` },
            body: JSON.stringify(body),
        });
    }

    /** Runs the reconciler through the admin endpoint and waits for its run to end; resolves with its log line. */
    function reconcile(on: HostProcess): Promise<string> {
        return on.runFunction('reconcileCalls');
    }

    async function summary(setup: Setup, callId: string): Promise<Record<string, unknown> | undefined> {
        return (await partitionRows(setup.table, callId)).find((row) => row.rowKey === 'state');
    }

    async function historyKinds(setup: Setup, callId: string): Promise<string[]> {
        return (await partitionRows(setup.table, callId)).filter((row) => String(row.rowKey).startsWith('event-')).map((row) => String(row.kind));
    }

    /** A call the record knows as `state` (and Graph may or may not know). */
    async function recordedCall(on: HostProcess, state: string, callId: string = randomUUID()): Promise<string> {
        assert.equal((await post(on, v1Notification(callId, 'updated', state))).status, 202);
        return callId;
    }

    function graphGets(callId: string): number {
        return sim.stats().graphRequests.filter((request) => request.method === 'GET' && request.callId === callId).length;
    }

    before(async () => {
        [sim, issuer] = await Promise.all([startSimulator({ port: 0, tls: testTls() }), startCallbackIssuer()]);
    });
    after(async () => {
        await Promise.all(hosts.map((h) => h.stop()));
        await Promise.all([sim?.stop(), issuer?.stop()]);
    });

    describe('call-ended events', () => {
        const setup = newSetup('events');
        let app: HostProcess;
        before(async () => {
            app = await host(setup);
        });

        test('a call Graph ends queues one CloudEvent, base64, whose data is the summary the API answers', async () => {
            const callId = randomUUID();
            await post(app, v1Notification(callId, 'updated', 'established'));
            assert.equal((await messages(setup.queue)).filter((m) => m.subject === callId).length, 0, 'no message while the call lives');

            const ended = await post(app, v1Notification(callId, 'updated', 'terminated', { resultInfo: { code: 200, subcode: 7000, message: 'Ended' } }));
            await post(app, v1Notification(callId, 'deleted', 'terminated'));

            assert.equal(ended.status, 202);
            const sent = (await messages(setup.queue)).filter((m) => m.subject === callId);
            assert.equal(sent.length, 1, 'the deleted notification after the end queues nothing more');
            const [event] = sent;
            assert.deepEqual(Object.keys(event!).sort(), ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type']);
            assert.equal(event!.specversion, '1.0');
            assert.equal(event!.id, `${callId}/ended`);
            assert.equal(event!.type, 'teams-call-record.call.ended');
            assert.equal(event!.source, '/api/calls');
            assert.equal(event!.datacontenttype, 'application/json');
            assert.ok(!Number.isNaN(Date.parse(event!.time)));
            assert.equal(event!.data.callState, 'terminated');
            assert.equal(event!.data.closedBy, 'graph');
            assert.equal(event!.data.resultMessage, 'Ended');
            // The summary as the API answered it then: everything but what the deleted notification changed after.
            const now = (await (await checkedFetch(`${app.baseUrl}/calls/${callId}`)).json()) as CallSummaryJson;
            const { deleted: _a, eventCount: _b, lastChangeType: _c, lastEventAt: _d, ...stable } = now;
            assert.deepEqual(
                { ...event!.data, deleted: undefined, eventCount: undefined, lastChangeType: undefined, lastEventAt: undefined },
                { ...stable, deleted: undefined, eventCount: undefined, lastChangeType: undefined, lastEventAt: undefined },
            );
        });

        test('a call that ends with only a deleted notification queues its event too', async () => {
            const callId = randomUUID();
            assert.equal((await post(app, v1Notification(callId, 'deleted', 'established'))).status, 202);

            const [event] = (await messages(setup.queue)).filter((m) => m.subject === callId);
            assert.equal(event?.data.deleted, true);
            assert.equal(event?.data.callState, 'terminated');
            assert.equal(event?.data.closedBy, 'graph');
        });

        test('the redelivered end queues the message again, with the same id', async () => {
            const callId = randomUUID();
            const end = v1Notification(callId, 'updated', 'terminated');
            await post(app, end);
            const again = await post(app, end);

            assert.deepEqual(await again.json(), { accepted: 0, duplicates: 1, rejected: 0 });
            const sent = (await messages(setup.queue)).filter((m) => m.subject === callId);
            assert.equal(sent.length, 2);
            assert.deepEqual(new Set(sent.map((m) => m.id)), new Set([`${callId}/ended`]));
        });

        test('a call that ends with the longest resultInfo.message the record keeps still gets its message (cut to fit the queue)', async () => {
            const callId = randomUUID();
            const message = '\u00e9\u20ac'.repeat(20_000); // 40,000 characters, stored cut to 30,000
            const answer = await post(app, v1Notification(callId, 'updated', 'terminated', { resultInfo: { code: 500, message } }));

            assert.equal(answer.status, 202, await answer.text());
            const [event] = (await messages(setup.queue)).filter((m) => m.subject === callId);
            assert.ok(event?.data.resultMessage !== undefined && message.startsWith(event.data.resultMessage));
            assert.deepEqual(event?.data.truncatedFields, ['resultMessage']);
        });

        test('a queue outage answers 503 with Retry-After; the redelivery is a duplicate and queues the message', async () => {
            const broken = await host(setup, { AzureWebJobsStorage: devStorageConnectionString({ table: await freePort(), queue: await freePort() }) });
            const callId = randomUUID();
            await post(app, v1Notification(callId, 'updated', 'established'));
            const end = v1Notification(callId, 'updated', 'terminated');

            const refused = await post(broken, end);
            assert.equal(refused.status, 503);
            assert.ok(Number(refused.headers.get('retry-after')) >= 1);
            assert.equal((await summary(setup, callId))?.callState, 'terminated', 'the notification itself is stored');
            assert.equal((await messages(setup.queue)).filter((m) => m.subject === callId).length, 0);

            const redelivered = await post(app, end);
            assert.equal(redelivered.status, 202);
            assert.deepEqual(await redelivered.json(), { accepted: 0, duplicates: 1, rejected: 0 });
            assert.equal((await messages(setup.queue)).filter((m) => m.subject === callId).length, 1);
        });
    });

    describe('reconciler', () => {
        test('Graph 404 closes the call: a reconciliation event, closedBy reconciler, and its call-ended event', async () => {
            const setup = newSetup('rec404');
            const app = await host(setup);
            const stuck = await recordedCall(app, 'established'); // Graph never heard of it: 404

            const log = await reconcile(app);

            assert.match(log, /1 closed/);
            const row = await summary(setup, stuck);
            assert.equal(row?.callState, 'terminated');
            assert.equal(row?.closedBy, 'reconciler');
            assert.equal(row?.reconcileStatus, 404);
            assert.ok(row?.reconciledAt instanceof Date);
            const events = await partitionRows(setup.table, stuck);
            const reconciliation = events.find((e) => e.kind === 'reconciliation');
            assert.equal(reconciliation?.httpStatus, 404);
            assert.equal(reconciliation?.callState, 'terminated');
            assert.match(String(reconciliation?.resultMessage), /8522|9997|no such call/i);
            assert.ok(typeof reconciliation?.graphRequestId === 'string' && reconciliation.graphRequestId !== '');
            const [event] = (await messages(setup.queue)).filter((m) => m.subject === stuck);
            assert.equal(event?.data.closedBy, 'reconciler');
            assert.equal(event?.data.reconcileStatus, 404);
        });

        test("Graph's state goes through the state rules: a new state is stored, an unchanged one only recorded; Graph's callChainId is kept", async () => {
            const setup = newSetup('rec200');
            const app = await host(setup);
            // Calls Graph has and never told the app about: they stay "establishing" in Graph.
            const behindCall = sim.createCall({ callbackUri: 'https://localhost:9/nowhere', notify: false });
            const currentCall = sim.createCall({ callbackUri: 'https://localhost:9/nowhere', notify: false });
            const [behind, current] = [behindCall.id, currentCall.id];
            await recordedCall(app, 'incoming', behind);
            await recordedCall(app, 'establishing', current);
            // The notifications carried no callChainId (nor its header): the record does not know it yet.
            assert.equal((await summary(setup, current))?.callChainId, undefined);

            await reconcile(app);

            assert.equal((await summary(setup, behind))?.callState, 'establishing');
            // Graph's answer names the call's record after the call: the summary keeps it, changed state or not.
            assert.equal((await summary(setup, behind))?.callChainId, behindCall.callChainId);
            assert.equal((await summary(setup, current))?.callChainId, currentCall.callChainId);
            assert.match(String(currentCall.callChainId), /^[0-9a-f-]{36}$/);
            assert.deepEqual(await historyKinds(setup, behind), ['notification', 'reconciliation']);
            const unchanged = await summary(setup, current);
            assert.deepEqual(await historyKinds(setup, current), ['notification'], 'no event when nothing changed');
            assert.equal(unchanged?.eventCount, 1);
            assert.equal(unchanged?.reconcileStatus, 200);
            assert.ok(unchanged?.reconciledAt instanceof Date);
            assert.equal((await messages(setup.queue)).length, 0, 'nothing ended');
        });

        test('401/403 stops the run loudly and changes nothing; 429/5xx wait for the next run', async () => {
            const setup = newSetup('recRefused');
            const app = await host(setup);
            const refused = await recordedCall(app, 'established');
            sim.script(refused, [{ status: 403 }]);

            const log = await reconcile(app);
            assert.match(log, /RECONCILER STOPPED: Graph answered 403/);
            assert.match(log, /Executed 'Functions.reconcileCalls' \(Failed/);
            assert.equal((await summary(setup, refused))?.reconciledAt, undefined);

            sim.script(refused, [{ status: 503 }]);
            const throttled = await reconcile(app);
            assert.match(throttled, /1 deferred/);
            assert.equal((await summary(setup, refused))?.callState, 'established');

            sim.script(refused, [{ status: 404 }]);
            await reconcile(app);
            assert.equal((await summary(setup, refused))?.closedBy, 'reconciler');
        });

        test('ended calls are never asked about; quiet means RECONCILE_AFTER_MINUTES without an event or a check', async () => {
            const setup = newSetup('recQuiet');
            const app = await host(setup, { RECONCILE_AFTER_MINUTES: '45' });
            const store = new CallStore(setup.table, { dedupeWindowSeconds: 600 });
            const old = randomUUID();
            const ended = randomUUID();
            const recent = await recordedCall(app, 'established');
            const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
            await store.appendCallEvents(old, [{ kind: 'notification', resourceKind: 'call', changeType: 'updated', callState: 'established', receivedAt: twoHoursAgo }]);
            await store.appendCallEvents(ended, [{ kind: 'notification', resourceKind: 'call', changeType: 'updated', callState: 'terminated', receivedAt: twoHoursAgo }]);

            const log = await reconcile(app);

            assert.match(log, /2 active calls, 1 quiet for 45 min, 1 checked/);
            assert.equal(graphGets(old), 1);
            assert.equal(graphGets(recent), 0);
            assert.equal(graphGets(ended), 0);
            assert.equal((await summary(setup, old))?.closedBy, 'reconciler');
        });

        test('a call the reconciler closes while the queue is down still gets its call-ended event: the next run queues it', async () => {
            const setup = newSetup('recQueueDown');
            const queueDown = await host(setup, { AzureWebJobsStorage: devStorageConnectionString({ table: await freePort(), queue: await freePort() }) });
            const stuck = await recordedCall(queueDown, 'established');

            const failing = await reconcile(queueDown);
            assert.match(failing, /1 deferred/);
            assert.equal((await summary(setup, stuck))?.closedBy, 'reconciler', 'the record says how it ended');
            assert.equal((await messages(setup.queue)).length, 0);

            // No redelivery comes for the reconciler's own write: the next run (here on a host whose queue works) must put it right.
            const mending = await reconcile(await host(setup));
            assert.match(mending, /1 ended calls put right outside their partition/);
            const [event] = (await messages(setup.queue)).filter((m) => m.subject === stuck);
            assert.equal(event?.data.closedBy, 'reconciler');
            assert.deepEqual(await historyKinds(setup, stuck), ['notification', 'reconciliation'], 'closed once');
            assert.match(await reconcile(queueDown), /0 active calls/);
        });

        test('two runs at once on two hosts stay exact: one reconciliation event per call', async () => {
            const setup = newSetup('recOverlap');
            const [first, second] = await Promise.all([host(setup), host(setup)]);
            const stuck = await Promise.all(Array.from({ length: 12 }, () => recordedCall(first, 'established')));

            await Promise.all([reconcile(first), reconcile(second)]);

            for (const callId of stuck) {
                assert.deepEqual(await historyKinds(setup, callId), ['notification', 'reconciliation'], callId);
                assert.equal((await summary(setup, callId))?.eventCount, 2);
            }
            const ids = new Set((await messages(setup.queue)).map((m) => m.id));
            assert.deepEqual(ids, new Set(stuck.map((callId) => `${callId}/ended`)));
        });

        test('a backlog larger than RECONCILE_MAX_CALLS drains over runs, the longest quiet first', async () => {
            const setup = newSetup('recBacklog');
            const app = await host(setup, { RECONCILE_MAX_CALLS: '3' });
            const stuck: string[] = [];
            for (let i = 0; i < 5; i++) stuck.push(await recordedCall(app, 'established'));

            assert.match(await reconcile(app), /5 quiet for 0 min, 3 checked with Graph: 3 closed/);
            assert.deepEqual(await Promise.all(stuck.map(async (callId) => (await summary(setup, callId))?.callState)), [
                'terminated',
                'terminated',
                'terminated',
                'established',
                'established',
            ]);
            assert.match(await reconcile(app), /2 quiet for 0 min, 2 checked with Graph: 2 closed/);
            assert.match(await reconcile(app), /0 active calls/);
        });

        test('on its schedule: RECONCILE_SCHEDULE is resolved by the host, and the timer closes a stuck call by itself', async () => {
            const setup = newSetup('recTimer');
            const app = await host(setup, { RECONCILE_SCHEDULE: '*/2 * * * * *' });
            assert.match(app.logs(), /reconcileCalls: timerTrigger, schedule \*\/2 \* \* \* \* \* \(from %RECONCILE_SCHEDULE%\)/);
            const stuck = await recordedCall(app, 'established');

            await app.waitForLog(/Reconciled: 1 active calls/);

            assert.equal((await summary(setup, stuck))?.closedBy, 'reconciler');
            const defaults = await host(newSetup('recDefault'));
            assert.match(defaults.logs(), /reconcileCalls: timerTrigger, schedule 0 \*\/5 \* \* \* \*,/);
            assert.match(defaults.logs(), /purgeCalls: timerTrigger, schedule 0 30 2 \* \* \*,/);
        });
    });
});
