// The roster against real Azurite: participant rows written in the transaction of the notification that changed
// them, only those that changed, and a roster larger than one transaction split without giving up the
// all-or-nothing promise for its notification (staged rows count only once the notification is stored).

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { RestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import { parseNotifications } from '../../shared/callback/notifications';
import { listParticipants } from '../../shared/participants/participantQueries';
import { rosterRows } from '../../shared/participants/rosterRules';
import type { CallSummary, NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { claimOnCommit } from '../../shared/relay/relayRules';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';

const CALL = 'a11ce000-2222-4222-8222-000000000001';

type Policies = NonNullable<TableServiceClientOptions['additionalPolicies']>;

function storeOn(tableName: string, policies: Policies = [], options: { relay?: boolean } = {}): CallStore {
    const table = TableClient.fromConnectionString(testConnectionString(), tableName, { allowInsecureConnection: true, additionalPolicies: policies });
    return new CallStore(table, {
        dedupeWindowSeconds: 600,
        derivedRows: rosterRows('full'),
        // With the relay on, as app/services.ts wires it: every commit claims the notifications it stores.
        ...(options.relay === true ? { extendPlan: (callId, before, planned, stored) => claimOnCommit(callId, before, planned, stored, RELAY_OWNER, new Date()) } : {}),
    });
}

const RELAY_OWNER = 'owner-of-the-test';

/**
 * A roster notification as the callback parses it: the participants `ids`, each with `sequence` as its
 * rosterSequenceNumber unless `extra` gives it its own (Graph numbers each participant by its last change).
 */
function roster(ids: string[], sequence: number, extra: Record<string, Record<string, unknown>> = {}): NewCallEvent {
    const resourceData = ids.map((id) => ({
        '@odata.type': '#microsoft.graph.participant',
        id,
        info: { identity: { user: { id: `user-${id}`, displayName: `Person ${id}`, tenantId: 'tenant-1' } } },
        isMuted: false,
        isInLobby: false,
        rosterSequenceNumber: sequence,
        ...extra[id],
    }));
    const [routed] = parseNotifications(
        { value: [{ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}/participants`, resourceData }] },
        { receivedAt: new Date() },
    );
    return routed!.event;
}

function ids(count: number, from = 0): string[] {
    return Array.from({ length: count }, (_, i) => `p${String(from + i).padStart(4, '0')}-${createHash('sha256').update(String(i)).digest('hex').slice(0, 8)}`);
}

/** Fails (503, as an outage would) the transactions whose body `matches`, counting them. */
function failTransactions(matches: (body: string, index: number) => boolean): { policies: Policies; seen: () => number; bodies: string[] } {
    let index = 0;
    const bodies: string[] = [];
    const policy: PipelinePolicy = {
        name: 'failTransactions',
        sendRequest(request, next) {
            if (typeof request.body === 'string' && request.url.includes('$batch')) {
                bodies.push(request.body);
                if (matches(request.body, index++)) return Promise.reject(new RestError('The test cut this transaction off.', { statusCode: 503, request }));
            }
            return next(request);
        },
    };
    return { policies: [{ policy, position: 'perCall' }], seen: () => index, bodies };
}

async function summaryEntity(tableName: string): Promise<Record<string, unknown>> {
    return testTableClient(tableName).getEntity<Record<string, unknown>>(CALL, 'state');
}

describe('the roster in the call record', () => {
    test('participant rows are written with their notification, and only the rows that changed', async () => {
        // prepare
        const tableName = uniqueTableName('roster');
        const store = storeOn(tableName);

        // act
        await store.appendCallEvents(CALL, [roster(['bot', 'a', 'b'], 1)]);
        await store.appendCallEvents(CALL, [roster(['bot', 'a', 'b'], 1, { b: { isMuted: true, rosterSequenceNumber: 2 } })]);
        await store.appendCallEvents(CALL, [roster(['bot', 'a'], 1)]);

        // assess
        const rows = (await partitionRows(testTableClient(tableName), CALL)).filter((row) => String(row.rowKey).startsWith('participant-'));
        assert.deepEqual(
            rows.map((row) => [row.rowKey, row.sequence, row.leftAt !== undefined, row.isMuted]),
            [
                ['participant-a', 1, false, false],
                ['participant-b', 3, true, true],
                ['participant-bot', 1, false, false],
            ],
        );
        const list = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(list.summary.participantCount, 2);
        assert.equal(list.summary.maxParticipants, 3);
        assert.equal(list.summary.eventCount, 3);
        assert.deepEqual(
            list.participants.map((p) => [p.key, p.inCall, p.displayName]),
            [
                ['a', true, 'Person a'],
                ['b', false, 'Person b'],
                ['bot', true, 'Person bot'],
            ],
        );
    });

    test('a 250-person roster is split over transactions, counts with its notification, and is folded afterwards', async () => {
        const tableName = uniqueTableName('bigroster');
        const store = storeOn(tableName);
        const everyone = ids(250);

        await store.appendCallEvents(CALL, [roster(everyone, 1)]);
        // 130 leave: again more rows than one transaction holds.
        await store.appendCallEvents(CALL, [roster(everyone.slice(0, 120), 2)]);

        const list = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(list.participants.length, 250);
        assert.equal(list.participants.filter((p) => p.inCall).length, 120);
        assert.equal(list.summary.participantCount, 120);
        assert.equal(list.summary.maxParticipants, 250);
        assert.equal(list.summary.eventCount, 2);
        const summary = await summaryEntity(tableName);
        assert.equal(summary.stagedCommit, undefined, 'the fold finished, so no staged value counts any more');
        const rows = await partitionRows(testTableClient(tableName), CALL);
        assert.ok(rows.every((row) => row.staged === undefined && row.stagedBy === undefined));
    });

    test('a split stopped before its notification is stored counts for nothing, and its redelivery stores it all', async () => {
        // prepare: the first roster is stored; the second's last transaction (the one with its history row) fails
        const tableName = uniqueTableName('rosterstop');
        const everyone = ids(180);
        await storeOn(tableName).appendCallEvents(CALL, [roster(everyone.slice(0, 60), 1)]);
        const cut = failTransactions((body) => body.includes('event-0000000002'));
        const failing = storeOn(tableName, cut.policies);

        // act
        await assert.rejects(failing.appendCallEvents(CALL, [roster(everyone, 2)]), /unavailable/);

        // assess: staged rows exist, but nothing of them counts, and the history has no second event
        const rows = await partitionRows(testTableClient(tableName), CALL);
        assert.ok(
            rows.some((row) => typeof row.stagedBy === 'string'),
            'the attempt had staged rows',
        );
        const before = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(before.summary.eventCount, 1);
        assert.equal(before.participants.length, 60);
        assert.equal(before.summary.participantCount, 60);

        // act: Graph redelivers, another instance takes it
        const redelivered = await storeOn(tableName).appendCallEvents(CALL, [roster(everyone, 2)]);

        // assess
        assert.deepEqual(redelivered.outcomes, [{ outcome: 'stored', sequence: 2 }]);
        const after = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(after.participants.length, 180);
        assert.equal(after.summary.participantCount, 180);
    });

    test('a fold stopped halfway still counts through the summary, and the next split folds the rest', async () => {
        // prepare: the fold after the split fails from its first transaction on
        const tableName = uniqueTableName('rosterfold');
        const everyone = ids(220);
        let eventStored = false;
        const cut = failTransactions((body) => {
            if (body.includes('event-0000000001')) {
                eventStored = true;
                return false;
            }
            return eventStored;
        });

        // act
        await storeOn(tableName, cut.policies).appendCallEvents(CALL, [roster(everyone, 1)]);

        // assess: staged values remain, named by the summary, and they count
        const summary = await summaryEntity(tableName);
        assert.equal(typeof summary.stagedCommit, 'string');
        const staged = (await partitionRows(testTableClient(tableName), CALL)).filter((row) => row.stagedBy === summary.stagedCommit);
        assert.ok(staged.length > 0);
        const list = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(list.participants.length, 220);
        assert.ok(list.participants.every((p) => p.displayName?.startsWith('Person ')));

        // act: the next roster is split too (everyone but 10 leaves) and folds what was left
        await storeOn(tableName).appendCallEvents(CALL, [roster(everyone.slice(0, 10), 2)]);

        // assess
        const after = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(after.summary.participantCount, 10);
        assert.equal(after.participants.filter((p) => !p.inCall).length, 210);
        assert.equal((await summaryEntity(tableName)).stagedCommit, undefined);
        assert.ok((await partitionRows(testTableClient(tableName), CALL)).every((row) => row.stagedBy === undefined));
    });

    test("with the relay on, a split roster's notification is claimed for the relay in the transaction that stores it, never in the staging", async () => {
        // prepare: the transactions are recorded, none fails
        const tableName = uniqueTableName('rosterrelay');
        const recorded = failTransactions(() => false);
        const store = storeOn(tableName, recorded.policies, { relay: true });

        // act: 250 people join at once, more rows than one transaction holds
        const result = await store.appendCallEvents(CALL, [roster(ids(250), 1)]);

        // assess: staged first (more than one transaction), the claim only in the one with the history row
        const withEvent = recorded.bodies.filter((body) => body.includes('event-0000000001'));
        assert.equal(withEvent.length, 1);
        const eventIndex = recorded.bodies.indexOf(withEvent[0]!);
        assert.ok(eventIndex > 0, 'rows were staged before the notification was stored');
        assert.ok(withEvent[0]!.includes(RELAY_OWNER), 'the claim is written with the notification');
        assert.ok(
            recorded.bodies.slice(0, eventIndex).every((body) => !body.includes('relayOwner')),
            'no staging transaction claims what is not stored yet',
        );
        assert.equal(result.summary?.relayBatchEnd, 1);
        const summary = await summaryEntity(tableName);
        assert.deepEqual([summary.relayedThrough, summary.relayPending, summary.relayBatchEnd, summary.relayOwner], [0, 1, 1, RELAY_OWNER]);
        assert.equal(summary.participantCount, 250);
    });

    test("the relay's delivery, written while a fold is unfinished, keeps the summary's stagedCommit: the staged values still count", async () => {
        // prepare: a split whose fold fails from its first transaction on, so staged values count through the summary
        const tableName = uniqueTableName('rosterrelayfold');
        let eventStored = false;
        let cutting = true;
        const cut = failTransactions((body) => {
            if (body.includes('event-0000000001')) {
                eventStored = true;
                return false;
            }
            return cutting && eventStored;
        });
        const store = storeOn(tableName, cut.policies, { relay: true });
        await store.appendCallEvents(CALL, [roster(ids(220), 1)]);
        const stagedCommit = (await summaryEntity(tableName)).stagedCommit;
        assert.equal(typeof stagedCommit, 'string');
        cutting = false;

        // act: the relay records its delivery, from this process's copy and from another instance's fresh read
        const delivered = (summary: CallSummary) =>
            summary.relayPending === 0
                ? undefined
                : { summary: { ...summary, relayedThrough: 1, relayPending: 0 }, events: [{ sequence: 1, fields: { relayOutcome: 'delivered', relayBatch: 1 } }] };
        const cached = await store.updateCall(CALL, delivered);
        const afterCached = await summaryEntity(tableName);
        await storeOn(tableName).updateCall(CALL, (summary) => ({ summary: { ...summary, relayLastStatus: 200 } }), { fresh: true });

        // assess
        assert.equal(cached.written, true);
        assert.equal(afterCached.stagedCommit, stagedCommit);
        const summary = await summaryEntity(tableName);
        assert.equal(summary.stagedCommit, stagedCommit, 'a fresh read and write keeps it too');
        assert.deepEqual([summary.relayedThrough, summary.relayPending, summary.relayLastStatus], [1, 0, 200]);
        const list = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(list.participants.length, 220);
        assert.ok(list.participants.every((p) => p.displayName?.startsWith('Person ')));
        assert.equal(list.summary.participantCount, 220);
    });

    test('a redelivered roster is a duplicate and changes no row', async () => {
        const tableName = uniqueTableName('rosterdup');
        const store = storeOn(tableName);
        const event = roster(['bot', 'a'], 1);
        await store.appendCallEvents(CALL, [event]);
        const again = await storeOn(tableName).appendCallEvents(CALL, [event]);
        assert.deepEqual(again.outcomes, [{ outcome: 'duplicate' }]);
        const list = await listParticipants(testTableClient(tableName), CALL, 'full');
        assert.equal(list.summary.participantCount, 2);
        assert.equal(list.summary.duplicateCount, 1);
    });
});
