// The call record's writer against real Azurite: transactions, redelivery markers, and several writers
// (separate CallStore objects stand for separate Function instances) on one call.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { emptySummary, type NewCallEvent } from '../../shared/callModel';
import { CallStore } from '../../shared/callStore';
import { eventRowKey } from '../../shared/tableEntities';
import { partitionRows, testTableClient, uniqueTableName } from '../support/storage';

function notification(n: number, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    return {
        kind: 'notification',
        resourceKind: 'call',
        changeType: 'updated',
        callState: 'established',
        receivedAt: new Date(),
        dedupeKey: createHash('sha256').update(`notification ${n}`).digest('hex'),
        resourceData: JSON.stringify({ n }),
        ...fields,
    };
}

function storeOn(tableName: string, dedupeWindowSeconds = 600): CallStore {
    return new CallStore(testTableClient(tableName), { dedupeWindowSeconds });
}

describe('CallStore against Azurite', () => {
    test('creates the table on first use and writes summary, events and markers in one partition', async () => {
        const tableName = uniqueTableName('store');
        const store = storeOn(tableName);

        const result = await store.appendCallEvents('call-a', [notification(1), notification(2, { callState: 'terminated', changeType: 'deleted' })]);

        assert.deepEqual(result.stored.map((e) => e.sequence), [1, 2]);
        const rows = await partitionRows(testTableClient(tableName), 'call-a');
        const keys = rows.map((r) => r.rowKey);
        assert.deepEqual(keys.filter((k) => String(k).startsWith('event-')), [eventRowKey(1), eventRowKey(2)]);
        const markerRows = rows.filter((r) => String(r.rowKey).startsWith('dedupe-'));
        const markedKeys = markerRows.flatMap((r) => String(r.keys).split(',').map((entry) => entry.slice(0, 32)));
        assert.deepEqual(markedKeys.sort(), [notification(1).dedupeKey!.slice(0, 32), notification(2).dedupeKey!.slice(0, 32)].sort());
        assert.ok(markerRows.every((r) => /^dedupe-[0-9a-f]$/.test(String(r.rowKey))));
        const summary = rows.find((r) => r.rowKey === 'state')!;
        assert.equal(summary.callState, 'terminated');
        assert.equal(summary.deleted, true);
        assert.equal(summary.eventCount, 2);
    });

    test('a redelivery is recognised by another writer that never saw the first delivery', async () => {
        const tableName = uniqueTableName('redeliver');
        const first = storeOn(tableName);
        const second = storeOn(tableName);

        await first.appendCallEvents('call-b', [notification(1)]);
        const again = await second.appendCallEvents('call-b', [notification(1), notification(2)]);

        assert.deepEqual(again.outcomes, [{ outcome: 'duplicate' }, { outcome: 'stored', sequence: 2 }]);
        const summary = await first.getCallSummary('call-b');
        assert.equal(summary?.eventCount, 2);
        assert.equal(summary?.duplicateCount, 1);
    });

    test('outside the window an identical notification is stored again', async () => {
        const tableName = uniqueTableName('window');
        const store = storeOn(tableName, 1);
        const at = (ms: number) => ({ receivedAt: new Date(Date.now() + ms) });

        await store.appendCallEvents('call-c', [notification(1, at(0))]);
        const inside = await store.appendCallEvents('call-c', [notification(1, at(500))]);
        const outside = await storeOn(tableName, 1).appendCallEvents('call-c', [notification(1, at(5000))]);

        assert.deepEqual(inside.outcomes, [{ outcome: 'duplicate' }]);
        assert.deepEqual(outside.outcomes, [{ outcome: 'stored', sequence: 2 }]);
    });

    test('competing writers on one call leave a gapless history with nothing lost', async () => {
        const tableName = uniqueTableName('compete');
        const writers = [storeOn(tableName), storeOn(tableName), storeOn(tableName), storeOn(tableName)];

        const results = await Promise.all(
            Array.from({ length: 40 }, (_, n) => writers[n % writers.length]!.appendCallEvents('call-d', [notification(n)])),
        );

        const sequences = results.flatMap((r) => r.stored.map((e) => e.sequence)).sort((a, b) => a - b);
        assert.deepEqual(sequences, Array.from({ length: 40 }, (_, i) => i + 1));
        const rows = await partitionRows(testTableClient(tableName), 'call-d');
        const stored = rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => JSON.parse(String(r.resourceData)).n as number);
        assert.deepEqual(stored.sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i));
        assert.equal((await writers[0]!.getCallSummary('call-d'))?.eventCount, 40);
    });

    test('more events than one transaction holds are split and all stored in order', async () => {
        const tableName = uniqueTableName('split');
        const store = storeOn(tableName);
        const events = Array.from({ length: 120 }, (_, n) => notification(n));

        const result = await store.appendCallEvents('call-e', events);

        assert.deepEqual(result.stored.map((e) => e.sequence), Array.from({ length: 120 }, (_, i) => i + 1));
        const rows = await partitionRows(testTableClient(tableName), 'call-e');
        const ordered = rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => JSON.parse(String(r.resourceData)).n);
        assert.deepEqual(ordered, Array.from({ length: 120 }, (_, i) => i));
    });

    test('a summary of an unknown call is undefined, and the empty summary shape is stable', async () => {
        const store = storeOn(uniqueTableName('unknown'));
        await store.ensureTable();
        assert.equal(await store.getCallSummary('nobody'), undefined);
        assert.deepEqual(emptySummary('x'), { callId: 'x', deleted: false, eventCount: 0, duplicateCount: 0 });
    });

    test('a long history adds one row per event: marker rows stay at most 16', async () => {
        const tableName = uniqueTableName('rows');
        const store = storeOn(tableName);

        await store.appendCallEvents('call-g', Array.from({ length: 300 }, (_, n) => notification(n)));
        const again = await storeOn(tableName).appendCallEvents('call-g', [notification(7), notification(300)]);

        assert.deepEqual(again.outcomes, [{ outcome: 'duplicate' }, { outcome: 'stored', sequence: 301 }]);
        const rows = await partitionRows(testTableClient(tableName), 'call-g');
        assert.equal(rows.filter((r) => String(r.rowKey).startsWith('event-')).length, 301);
        assert.ok(rows.filter((r) => String(r.rowKey).startsWith('dedupe-')).length <= 16);
        assert.equal(rows.length, 301 + 1 + rows.filter((r) => String(r.rowKey).startsWith('dedupe-')).length);
    });

    test('resourceData over 30,000 characters is cut and flagged', async () => {
        const tableName = uniqueTableName('cut');
        const store = storeOn(tableName);
        const big = JSON.stringify({ blob: 'x'.repeat(40_000) });

        await store.appendCallEvents('call-f', [notification(1, { resourceData: big })]);

        const rows = await partitionRows(testTableClient(tableName), 'call-f');
        const event = rows.find((r) => r.rowKey === eventRowKey(1))!;
        assert.equal(String(event.resourceData).length, 30_000);
        assert.equal(event.resourceDataTruncated, true);
    });
});
