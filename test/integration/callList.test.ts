// Listing calls through the call index against real Azurite: newest first by start across day partitions
// (and across pages, with no gap or repeat), since/until on the start time, state and active, the state of
// the summary as it is at read time, tokens bound to their query, and what is never listed.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { ACTIVE_PARTITION, CallIndex, dayOf, dayPartition, indexRowKey } from '../../shared/record/callIndex';
import { listCalls } from '../../shared/query/callList';
import { emptySummary, type NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { BadRequestError } from '../../shared/errors';
import { StorageUnavailableError } from '../../shared/record/storageErrors';
import { parseCallListOptions } from '../../shared/query/queryOptions';
import { summaryToEntity } from '../../shared/record/tableEntities';
import { allPages } from '../support/callListing';
import { partitionRows, testTableClient, uniqueTableName } from '../support/storage';
import { failRequests } from '../support/storagePolicies';

const HOUR = 3600_000;
/** The first call starts here; later ones every 7 hours, so 300 calls span about 87 days. */
const T0 = Date.parse('2026-07-01T03:00:00Z');
const CALLS = 300;
const STEP = 7 * HOUR;

function startOf(n: number): Date {
    return new Date(T0 + n * STEP);
}

function callId(n: number): string {
    return `call-${String(n).padStart(4, '0')}`;
}

/** Every 3rd call ended; every 5th of the others is ringing, the rest established. */
function stateOf(n: number): string {
    if (n % 3 === 0) return 'terminated';
    return n % 5 === 0 ? 'ringing' : 'established';
}

function event(n: number, at: Date, callState: string): NewCallEvent {
    return {
        kind: 'notification',
        resourceKind: 'call',
        changeType: 'updated',
        callState,
        receivedAt: at,
        dedupeKey: createHash('sha256').update(`${n} ${callState} ${at.toISOString()}`).digest('hex'),
        resourceData: JSON.stringify({ n, callState }),
    };
}

/** The ids of calls 0..CALLS-1 that match, newest first. */
function expected(match: (n: number) => boolean): string[] {
    return Array.from({ length: CALLS }, (_, n) => CALLS - 1 - n)
        .filter(match)
        .map(callId);
}

describe('listing calls through the call index', () => {
    const tableName = uniqueTableName('callList');
    const table = testTableClient(tableName);
    let store: CallStore;
    let index: CallIndex;

    before(async () => {
        store = new CallStore(table, { dedupeWindowSeconds: 600 });
        index = new CallIndex(table);
        // Written out of order, as calls of many instances arrive; the listing's order comes from the index.
        const order = Array.from({ length: CALLS }, (_, n) => (n * 7919) % CALLS);
        for (let i = 0; i < order.length; i += 20) {
            await Promise.all(
                order.slice(i, i + 20).map(async (n) => {
                    const start = startOf(n);
                    const path = { ringing: ['ringing'], established: ['establishing', 'established'], terminated: ['establishing', 'established', 'terminated'] };
                    const events = path[stateOf(n) as keyof typeof path].map((state, i) => event(n, new Date(start.getTime() + i * 1000), state));
                    await store.appendCallEvents(callId(n), events);
                }),
            );
        }
        await store.appendCallEvents('_unrouted', [{ kind: 'rejected', receivedAt: startOf(5), rejectReason: 'no resource', resourceData: '{}' }]);
    });

    for (const top of [7, 100, 1000]) {
        test(`every call once, newest first by start, across days and pages (top=${top})`, async () => {
            const { ids, pages } = await allPages(table, { top });

            assert.deepEqual(
                ids,
                expected(() => true),
            );
            assert.ok(pages.length >= Math.ceil(CALLS / top), `${pages.length} pages`);
        });
    }

    test('since is inclusive and until exclusive, on the start time', async () => {
        const since = startOf(100);
        const until = startOf(200);

        assert.deepEqual(
            (await allPages(table, { since, until, top: 9 })).ids,
            expected((n) => n >= 100 && n < 200),
        );
        assert.deepEqual(
            (await allPages(table, { since: new Date(since.getTime() + 1), top: 50 })).ids,
            expected((n) => n > 100),
        );
        assert.deepEqual(
            (await allPages(table, { until: new Date(until.getTime() + 1), top: 50 })).ids,
            expected((n) => n <= 200),
        );
        // A range inside one day, and one that holds no call.
        assert.deepEqual((await allPages(table, { since: startOf(150), until: new Date(startOf(150).getTime() + HOUR) })).ids, [callId(150)]);
        assert.deepEqual((await allPages(table, { since: new Date(startOf(150).getTime() + 1), until: startOf(151) })).ids, []);
        assert.deepEqual((await allPages(table, { since: new Date(T0 + CALLS * STEP) })).ids, []);
    });

    test('the first page of "the last 24 hours" reads only what that range holds', async () => {
        const until = new Date(startOf(CALLS - 1).getTime() + 1);
        const page = await listCalls(table, { since: new Date(until.getTime() - 24 * HOUR), until, top: 100 });

        assert.deepEqual(
            page.calls.map((call) => call.callId),
            expected((n) => startOf(n).getTime() >= until.getTime() - 24 * HOUR),
        );
        assert.equal(page.continuationToken, undefined);
    });

    test('state and active filter on the summary: active lists the calls not ended, from the active index', async () => {
        assert.deepEqual(
            (await allPages(table, { active: true, top: 13 })).ids,
            expected((n) => stateOf(n) !== 'terminated'),
        );
        assert.deepEqual(
            (await allPages(table, { active: false, top: 13 })).ids,
            expected((n) => stateOf(n) === 'terminated'),
        );
        assert.deepEqual(
            (await allPages(table, { state: 'ringing', top: 13 })).ids,
            expected((n) => stateOf(n) === 'ringing'),
        );
        assert.deepEqual(
            (await allPages(table, { state: 'terminated', since: startOf(30), top: 13 })).ids,
            expected((n) => n >= 30 && stateOf(n) === 'terminated'),
        );
        assert.deepEqual((await allPages(table, { state: 'terminated', active: true })).ids, []);
        assert.deepEqual((await allPages(table, { state: 'hold' })).ids, []);
        const activeRows = await partitionRows(table, ACTIVE_PARTITION);
        assert.equal(activeRows.length, expected((n) => stateOf(n) !== 'terminated').length, 'the active index holds exactly the calls not ended');
    });

    test('a listing shows the summary as it is now, also when the index has not caught up', async () => {
        // The call ends in its own partition, and the index writes after it fail (as after a crash between the two).
        const n = 298; // established, and in the newest page
        assert.equal(stateOf(n), 'established');
        const cutOff = testTableClient(tableName, { additionalPolicies: failRequests((target) => /PartitionKey='_(calls-|active|days)/.test(target)) });
        const end = event(n, new Date(startOf(n).getTime() + 5000), 'terminated');
        await assert.rejects(new CallStore(cutOff, { dedupeWindowSeconds: 600 }).appendCallEvents(callId(n), [end]), StorageUnavailableError);

        const listed = (await listCalls(table, { top: 5 })).calls.find((call) => call.callId === callId(n));
        assert.equal(listed?.callState, 'terminated');
        assert.ok(!(await allPages(table, { active: true })).ids.includes(callId(n)), 'an ended call is never listed as active');
        assert.ok(
            (await partitionRows(table, ACTIVE_PARTITION)).some((row) => row.callId === callId(n)),
            'the index lags',
        );

        // The sender was answered 503 and delivers again: the redelivery puts the index right.
        const again = await store.appendCallEvents(callId(n), [end]);
        assert.equal(again.duplicates, 1);
        assert.ok((await allPages(table, { active: false })).ids.includes(callId(n)));
        assert.ok(!(await partitionRows(table, ACTIVE_PARTITION)).some((row) => row.callId === callId(n)));
    });

    test('recording a call again changes nothing: no second row, no call listed twice', async () => {
        const n = 17;
        const summary = (await store.getCallSummary(callId(n)))!;
        await Promise.all([index.record(summary), index.record(summary), index.record(summary)]);

        const dayRows = await partitionRows(table, dayPartition(dayOf(startOf(n))));
        assert.equal(dayRows.filter((row) => row.callId === callId(n)).length, 1);
        assert.equal((await allPages(table, { top: 1000 })).ids.filter((id) => id === callId(n)).length, 1);
    });

    test('an index row whose call is gone, or started again at another time, is not listed', async () => {
        const ghost = { callId: 'call-ghost', firstEventAt: startOf(250), deleted: false, eventCount: 1, duplicateCount: 0, callState: 'established' };
        await index.record(ghost);
        // A stale row for a call that exists but started elsewhen.
        await index.record({ ...ghost, callId: callId(251), firstEventAt: new Date(startOf(251).getTime() - 1) });

        const ids = (await allPages(table, { top: 1000 })).ids;
        assert.ok(!ids.includes('call-ghost'));
        assert.equal(ids.filter((id) => id === callId(251)).length, 1);
    });

    test('a token is bound to its query; forged and corrupted tokens are 400', async () => {
        const { continuationToken } = await listCalls(table, { top: 3 });
        assert.ok(continuationToken);

        await assert.rejects(listCalls(table, { state: 'terminated', continuationToken }), BadRequestError);
        await assert.rejects(listCalls(table, { active: true, continuationToken }), BadRequestError);
        await assert.rejects(listCalls(table, { since: new Date(T0), continuationToken }), BadRequestError);
        const flipped = continuationToken.slice(0, 8) + (continuationToken[8] === 'A' ? 'B' : 'A') + continuationToken.slice(9);
        for (const bad of [flipped, `${continuationToken}x`, 'not-a-token']) {
            await assert.rejects(listCalls(table, { continuationToken: bad }), BadRequestError);
        }
        // Another page size is the same query.
        assert.equal((await listCalls(table, { top: 50, continuationToken })).calls[0]?.callId, expected(() => true)[3]);
    });

    test('query parameters: active is true or false; unknown parameters are refused', () => {
        assert.deepEqual(parseCallListOptions(new URLSearchParams('active=true')), { active: true });
        assert.deepEqual(parseCallListOptions(new URLSearchParams('active=FALSE&state=terminated')), { active: false, state: 'terminated' });
        assert.throws(() => parseCallListOptions(new URLSearchParams('active=yes')), BadRequestError);
        assert.throws(() => parseCallListOptions(new URLSearchParams('ended=true')), BadRequestError);
    });

    test('_unrouted is never listed, and a table without an index or without a table lists no call', async () => {
        assert.ok(!(await allPages(table, { top: 1000 })).ids.includes('_unrouted'));
        // A table written before the index existed: a call's summary row and nothing else.
        const unindexed = testTableClient(uniqueTableName('unindexed'));
        await unindexed.createTable();
        await unindexed.createEntity(summaryToEntity({ ...emptySummary('call-1'), eventCount: 1, firstEventAt: startOf(1), lastEventAt: startOf(1), callState: 'established' }));
        assert.deepEqual(await listCalls(unindexed), { calls: [] });
        assert.deepEqual(await listCalls(testTableClient(uniqueTableName('missing'))), { calls: [] });
    });

    test('an index row key sorts newest first', () => {
        const keys = [startOf(3), startOf(1), startOf(2)].map((at) => indexRowKey(at, 'c'));
        assert.deepEqual([...keys].sort(), [indexRowKey(startOf(3), 'c'), indexRowKey(startOf(2), 'c'), indexRowKey(startOf(1), 'c')]);
    });
});
