// keepAlive's and the call records' telemetry, read from OpenTelemetry's in-memory exporters in this process: the
// app's own composition root (shared/app/services.ts, configured through the environment as a user would) against
// real Azurite and the call simulator as Graph. keepAlive counts each request by what Graph answered and each run
// by how it ended; a call record fetch counts what came of it: found, not yet, not found, forbidden, throttled,
// failed, or skipped.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { FUNCTION_KEY_REQUESTER, requestAudit } from '../../shared/access/requester';
import { callRecordFetching, callStore, graphCalls } from '../../shared/app/services';
import { fetchCallRecord, type FetchOutcome } from '../../shared/callRecords/fetchCallRecord';
import { endCall } from '../../shared/graph/endCall';
import { keepCallsAlive } from '../../shared/lifecycle/keepCallsAlive';
import { METRICS, SPANS } from '../../shared/telemetry/catalogue';
import { notificationEvent } from '../support/callStoreWriter';
import { startInMemoryTelemetry, type InMemoryTelemetry } from '../support/inMemoryTelemetry';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

const log = {
    lines: [] as string[],
    log: (...args: unknown[]) => log.lines.push(args.join(' ')),
    warn: (...args: unknown[]) => log.lines.push(args.join(' ')),
    error: (...args: unknown[]) => log.lines.push(args.join(' ')),
};

describe('keepAlive and call records telemetry, in memory', () => {
    let telemetry: InMemoryTelemetry;
    let sim: RunningSimulator;
    /** Where the simulator sends the calls' notifications: taken and dropped (this test drives the app in process). */
    let webhook: http.Server;
    let callbackUri: string;
    const suffix = randomUUID().slice(0, 8);

    before(async () => {
        telemetry = startInMemoryTelemetry();
        sim = await startSimulator({ port: 0, tls: testTls() });
        webhook = http.createServer((request, response) => {
            request.resume();
            request.on('end', () => response.writeHead(202).end());
        });
        await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
        callbackUri = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/api/callback`;
        Object.assign(process.env, {
            ...simulatorAppSettings(sim),
            AzureWebJobsStorage: testConnectionString(),
            CallHistoryStorage: testConnectionString(),
            CALL_HISTORY_TABLE: uniqueTableName('lifecycletelemetry'),
            CALL_EVENTS_QUEUE: '',
            CALL_RECORDS: 'on',
            CALL_RECORDS_QUEUE: `lifecycle-fetches-${suffix}`,
            CALL_RECORDS_CONTAINER: `lifecycle-records-${suffix}`,
            // Throttling and 5xx give up within two seconds, with Graph's last answer.
            GRAPH_TIMEOUT_SECONDS: '2',
        });
    });
    after(async () => {
        await telemetry?.stop();
        await sim?.stop();
        await new Promise((resolve) => webhook?.close(resolve));
    });

    /** A call the record knows as established (written as the callback writes it). */
    async function recordedCall(callId: string): Promise<void> {
        await callStore().appendCallEvents(callId, [notificationEvent(callId, 1, { resourceUrl: `/communications/calls/${callId}` })]);
    }

    /** A call Graph has, hung up through the app, which reads its chain id from Graph first (CALL_RECORDS=on). */
    async function hungUpCall(): Promise<string> {
        const call = sim.createCall({ callbackUri, notify: false });
        await endCall(call.id, { graph: graphCalls(), store: callStore(), log, readChainId: true }, requestAudit(FUNCTION_KEY_REQUESTER));
        assert.ok((await callStore().getCallSummary(call.id))?.callChainId, 'the chain id was read before the hang-up');
        return call.id;
    }

    function fetchRecord(callId: string): Promise<FetchOutcome> {
        const deps = callRecordFetching(log);
        assert.ok(deps, 'call records are on');
        return fetchCallRecord({ callId, attempt: 1, endedAt: new Date() }, deps);
    }

    test("keepAlive: each request by Graph's answer (200, 404: the call is closed, 403: the run stops), each run by how it ended", async () => {
        // prepare: a call Graph has, and one it does not
        const alive = sim.createCall({ callbackUri, notify: false });
        const gone = randomUUID();
        await recordedCall(alive.id);
        await recordedCall(gone);

        // act: a run, then one Graph refuses
        const first = await keepCallsAlive({ table: callStore().table, store: callStore(), graph: graphCalls(), log }, { maxCalls: 10, timeBudgetMs: 60_000 });
        sim.script(alive.id, [{ status: 403 }]);
        const refused = await keepCallsAlive({ table: callStore().table, store: callStore(), graph: graphCalls(), log }, { maxCalls: 10, timeBudgetMs: 60_000 });

        // assess
        assert.deepEqual([first.keptAlive, first.closed, first.refused], [1, 1, undefined]);
        assert.ok(refused.refused !== undefined);
        assert.equal(await telemetry.total(METRICS.keepAliveRequests, { graph_status: '2xx' }), 1);
        assert.equal(await telemetry.total(METRICS.keepAliveRequests, { graph_status: '404' }), 1);
        assert.equal(await telemetry.total(METRICS.keepAliveRequests, { graph_status: '403' }), 1);
        assert.equal(await telemetry.total(METRICS.keepAliveRuns, { result: 'completed' }), 1);
        assert.equal(await telemetry.total(METRICS.keepAliveRuns, { result: 'refused' }), 1);
        const runs = telemetry.spans().filter((span) => span.name === SPANS.keepAlive.name);
        assert.deepEqual(
            runs.map((span) => span.attributes),
            [
                { active: 2, sent: 2, kept_alive: 1, closed: 1, deferred: 0 },
                { active: 1, sent: 1, kept_alive: 0, closed: 0, deferred: 0 },
            ],
        );
    });

    test('a call record fetch counts what came of it: found, skipped once settled, not yet, forbidden, throttled, failed, not found', async () => {
        // prepare: Graph has a call's record at once, or only much later
        sim.clock({ callRecordDelayMinutes: 0 });
        const withRecord = await hungUpCall();
        sim.clock({ callRecordDelayMinutes: 1000 });
        const [notYet, throttled, failing] = [await hungUpCall(), await hungUpCall(), await hungUpCall()];
        const withoutChainId = randomUUID();
        await recordedCall(withoutChainId);

        // act
        const outcomes: Record<string, string> = {};
        const fetchAs = async (name: string, callId: string) => {
            outcomes[name] = (await fetchRecord(callId)).kind;
        };
        await fetchAs('found', withRecord);
        await fetchAs('again', withRecord);
        await fetchAs('notYet', notYet);
        sim.setFaults({ callRecordsForbidden: true });
        await fetchAs('forbidden', notYet);
        sim.clearFaults();
        sim.setFaults({ throttle: { count: 1000, retryAfterSeconds: 1 } });
        await fetchAs('throttled', throttled);
        sim.clearFaults();
        sim.setFaults({ unavailable: { count: 1000, retryAfterSeconds: 1 } });
        await fetchAs('failing', failing);
        sim.clearFaults();
        await fetchAs('withoutChainId', withoutChainId);

        // assess
        assert.deepEqual(outcomes, {
            found: 'fetched',
            again: 'skipped',
            notYet: 'pending',
            forbidden: 'forbidden',
            throttled: 'pending',
            failing: 'pending',
            withoutChainId: 'notFound',
        });
        const fetches = (await telemetry.points()).filter((point) => point.name === METRICS.callRecordFetches.name);
        assert.deepEqual(Object.fromEntries(fetches.map((point) => [point.attributes.result, point.value])), {
            found: 1,
            skipped: 1,
            not_yet: 1,
            forbidden: 1,
            throttled: 1,
            failed: 1,
            not_found: 1,
        });
    });
});
