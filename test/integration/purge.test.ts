// Retention against real Azurite: the purge of ended calls older than a cut-off (every row of them, their
// index rows, old unrouted rows; nothing else; bounded and resumable), found through the call index.

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DAYS_PARTITION } from '../../shared/record/callIndex';
import { UNROUTED_PARTITION, type NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { purgeCalls } from '../../shared/lifecycle/purgeCalls';
import { rosterRows } from '../../shared/participants/rosterRules';
import { DEAD_LETTER_PARTITION, recordDeadLetters } from '../../shared/relay/deadLetterIndex';
import { listedIds } from '../support/callListing';
import { notificationEvent } from '../support/callStoreWriter';
import { partitionRows, testTableClient, uniqueTableName } from '../support/storage';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

function event(label: string, at: number, callState: string, changeType = 'updated'): NewCallEvent {
    return notificationEvent(`${label} ${callState}`, at, { receivedAt: new Date(at), callState, changeType, resourceData: JSON.stringify({ label, callState }) });
}

/** A full roster of `count` participants, as Graph sends it. */
function rosterEvent(callId: string, at: number, count: number): NewCallEvent {
    const participants = Array.from({ length: count }, (_, i) => ({ id: `p-${i}`, info: { identity: { user: { id: `u-${i}`, displayName: `Person ${i}` } } } }));
    return notificationEvent(`roster ${callId}`, at, {
        receivedAt: new Date(at),
        resourceKind: 'participants',
        resourceUrl: `/communications/calls/${callId}/participants`,
        callState: undefined,
        resourceData: JSON.stringify(participants),
    });
}

describe('retention: purging old ended calls', () => {
    const table = testTableClient(uniqueTableName('purge'));
    const store = new CallStore(table, { dedupeWindowSeconds: 600, derivedRows: rosterRows('full') });
    const now = () => new Date(NOW);
    const OLD = NOW - 100 * DAY;
    const RECENT = NOW - 10 * DAY;

    before(async () => {
        // Old ended calls over three days, one of them with a history longer than one transaction.
        for (let n = 0; n < 6; n++) {
            const at = OLD + (n % 3) * DAY + n * 1000;
            await store.appendCallEvents(`old-ended-${n}`, [event(`o${n}`, at, 'established'), event(`o${n}`, at + 500, 'terminated', 'deleted')]);
        }
        // ... and a roster of 120 participants: personal data that must go with the call.
        await store.appendCallEvents('old-ended-long', [rosterEvent('old-ended-long', OLD - 1, 120)]);
        await store.appendCallEvents(
            'old-ended-long',
            Array.from({ length: 250 }, (_, i) => event('long', OLD + i, i === 249 ? 'terminated' : 'established')),
        );
        await store.appendCallEvents('old-active', [event('oa', OLD + 7000, 'established')]);
        await store.appendCallEvents('recent-ended', [event('re', RECENT, 'terminated')]);
        await store.appendCallEvents('recent-active', [event('ra', RECENT + 1, 'established')]);
        // Calls the relay dead-lettered notifications of: an old ended one, purged, and a recent one, kept.
        for (const callId of ['old-ended-1', 'recent-ended']) {
            const summary = await store.getCallSummary(callId);
            assert.ok(summary);
            await recordDeadLetters(table, summary);
        }
        for (const at of [OLD, OLD + 1, RECENT, RECENT + 1]) {
            await store.appendCallEvents(UNROUTED_PARTITION, [
                { kind: 'rejected', receivedAt: new Date(at), rejectReason: 'no resource', resourceData: `{"at":${at}}`, dedupeKey: `${at}`.padEnd(64, 'a') },
            ]);
        }
    });

    test('a dry run lists exactly the ended calls older than the limit and deletes nothing', async () => {
        const found: string[] = [];
        const result = await purgeCalls(table, { olderThanDays: 90, dryRun: true, now, onCall: (call) => found.push(call.callId) });

        assert.deepEqual(found.sort(), ['old-ended-0', 'old-ended-1', 'old-ended-2', 'old-ended-3', 'old-ended-4', 'old-ended-5', 'old-ended-long'].sort());
        assert.equal(result.unroutedRows, 2);
        const rows = await partitionRows(table, 'old-ended-long');
        assert.ok(rows.length > 250, 'nothing deleted');
        assert.equal(rows.filter((row) => String(row.rowKey).startsWith('participant-')).length, 120, 'the roster is there to be purged');
    });

    test('a bounded run deletes some and says it is not finished; the next one goes on', async () => {
        const first = await purgeCalls(table, { olderThanDays: 90, now, maxCalls: 3 });
        assert.equal(first.finished, false);
        assert.equal(first.calls, 3);
        assert.equal(first.unroutedRows, 0, 'the unrouted rows wait until the calls are done');

        const second = await purgeCalls(table, { olderThanDays: 90, now });
        assert.equal(second.finished, true);
        assert.equal(second.calls, 4);
        assert.equal(second.unroutedRows, 2);
    });

    test('every row of a purged call is gone, its index rows too; active and recent calls stay', async () => {
        for (const callId of ['old-ended-0', 'old-ended-5', 'old-ended-long']) assert.deepEqual(await partitionRows(table, callId), [], callId);
        assert.deepEqual((await listedIds(table)).sort(), ['old-active', 'recent-active', 'recent-ended']);
        assert.deepEqual(
            (await partitionRows(table, DEAD_LETTER_PARTITION)).map((row) => row.callId),
            ['recent-ended'],
            "the relay's dead-letter row goes with its call",
        );
        assert.ok((await partitionRows(table, 'old-active')).length >= 2);
        const days = (await partitionRows(table, DAYS_PARTITION)).map((row) => String(row.day)).sort();
        assert.equal(days.length, 2, `only the days that still have calls: ${days.join(', ')}`);
        const unrouted = await partitionRows(table, UNROUTED_PARTITION);
        assert.deepEqual(
            unrouted.filter((row) => String(row.rowKey).startsWith('event-')).map((row) => (row.receivedAt as Date).getTime()),
            [RECENT, RECENT + 1],
        );
        assert.ok(
            unrouted.some((row) => row.rowKey === 'state'),
            'the unrouted summary stays, so its sequence goes on',
        );

        const nothingLeft = await purgeCalls(table, { olderThanDays: 90, now });
        assert.deepEqual({ calls: nothingLeft.calls, unrouted: nothingLeft.unroutedRows, finished: nothingLeft.finished }, { calls: 0, unrouted: 0, finished: true });
    });
});

describe('retention: what a call keeps outside the table goes first', () => {
    test('a call whose records outside the table cannot be deleted keeps its rows, and the next run deletes both', async () => {
        // prepare: two old ended calls; deleting outside the table fails once for one of them (Blob Storage down, say)
        const table = testTableClient(uniqueTableName('purgeblobs'));
        const store = new CallStore(table, { dedupeWindowSeconds: 600 });
        const old = NOW - 100 * DAY;
        for (const callId of ['blobs-a', 'blobs-b']) await store.appendCallEvents(callId, [event(callId, old, 'terminated', 'deleted')]);
        const forgotten: string[] = [];
        let failOnce = true;
        const forgetOutsideTable = async (callId: string) => {
            if (callId === 'blobs-b' && failOnce) {
                failOnce = false;
                throw new Error('blob storage is down');
            }
            forgotten.push(callId);
        };

        // act
        const failed = await purgeCalls(table, { olderThanDays: 90, now: () => new Date(NOW), forgetOutsideTable }).catch((err: unknown) => err);
        const kept = await partitionRows(table, 'blobs-b');
        const second = await purgeCalls(table, { olderThanDays: 90, now: () => new Date(NOW), forgetOutsideTable });

        // assess
        assert.match(String((failed as Error).cause), /blob storage is down/);
        assert.ok(kept.length > 0, 'its rows stay, so the next run finds it again');
        assert.equal(second.finished, true);
        assert.deepEqual(forgotten.sort(), ['blobs-a', 'blobs-b']);
        assert.deepEqual(await partitionRows(table, 'blobs-b'), []);
    });
});
