// The call record's writer against real Azurite: transactions, redelivery markers, and several writers
// (separate CallStore objects stand for separate Function instances) on one call.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { emptySummary, type NewCallEvent } from '../../shared/record/callModel';
import { TableClient } from '@azure/data-tables';
import { CallStore } from '../../shared/record/callStore';
import { eventRowKey } from '../../shared/record/tableEntities';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { notificationEvent, sharedNotification } from '../support/callStoreWriter';
import { holdFirstRequest, refuseTransactionsContaining, type RequestGate } from '../support/storagePolicies';

function notification(n: number, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    return notificationEvent('notification', n, fields);
}

function storeOn(tableName: string, dedupeWindowSeconds = 600, markerRowCapacity?: number): CallStore {
    return new CallStore(testTableClient(tableName), { dedupeWindowSeconds, ...(markerRowCapacity === undefined ? {} : { markerRowCapacity }) });
}

/** A store whose TableClient runs extra pipeline policies in front of the real Azurite. */
function storeWithPolicies(tableName: string, policies: RequestGate['policies']): CallStore {
    const table = TableClient.fromConnectionString(testConnectionString(), tableName, { allowInsecureConnection: true, additionalPolicies: policies });
    return new CallStore(table, { dedupeWindowSeconds: 600 });
}

/** A notification whose dedupe key falls in marker bucket `bucket` (the key's first hex digit). */
function inBucket(bucket: string, n: number, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    const event = notification(n, fields);
    return { ...event, dedupeKey: bucket + event.dedupeKey!.slice(1) };
}

const isSummaryRead = (target: string) => target.startsWith('GET ') && target.includes("RowKey='state'");
const isMarkerRead = (target: string) => target.startsWith('GET ') && target.includes("RowKey='dedupe-");

describe('CallStore against Azurite', () => {
    test('creates the table on first use and writes summary, events and markers in one partition', async () => {
        const tableName = uniqueTableName('store');
        const store = storeOn(tableName);

        const result = await store.appendCallEvents('call-a', [notification(1), notification(2, { callState: 'terminated', changeType: 'deleted' })]);

        assert.deepEqual(
            result.stored.map((e) => e.sequence),
            [1, 2],
        );
        const rows = await partitionRows(testTableClient(tableName), 'call-a');
        const keys = rows.map((r) => r.rowKey);
        assert.deepEqual(
            keys.filter((k) => String(k).startsWith('event-')),
            [eventRowKey(1), eventRowKey(2)],
        );
        const markerRows = rows.filter((r) => String(r.rowKey).startsWith('dedupe-'));
        const markedKeys = markerRows.flatMap((r) =>
            String(r.keys)
                .split(',')
                .map((entry) => entry.slice(0, 32)),
        );
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

        const results = await Promise.all(Array.from({ length: 40 }, (_, n) => writers[n % writers.length]!.appendCallEvents('call-d', [notification(n)])));

        const sequences = results.flatMap((r) => r.stored.map((e) => e.sequence)).sort((a, b) => a - b);
        assert.deepEqual(
            sequences,
            Array.from({ length: 40 }, (_, i) => i + 1),
        );
        const rows = await partitionRows(testTableClient(tableName), 'call-d');
        const stored = rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => JSON.parse(String(r.resourceData)).n as number);
        assert.deepEqual(
            stored.sort((a, b) => a - b),
            Array.from({ length: 40 }, (_, i) => i),
        );
        assert.equal((await writers[0]!.getCallSummary('call-d'))?.eventCount, 40);
    });

    test('more events than one transaction holds are split and all stored in order', async () => {
        const tableName = uniqueTableName('split');
        const store = storeOn(tableName);
        const events = Array.from({ length: 120 }, (_, n) => notification(n));

        const result = await store.appendCallEvents('call-e', events);

        assert.deepEqual(
            result.stored.map((e) => e.sequence),
            Array.from({ length: 120 }, (_, i) => i + 1),
        );
        const rows = await partitionRows(testTableClient(tableName), 'call-e');
        const ordered = rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => JSON.parse(String(r.resourceData)).n);
        assert.deepEqual(
            ordered,
            Array.from({ length: 120 }, (_, i) => i),
        );
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

        await store.appendCallEvents(
            'call-g',
            Array.from({ length: 300 }, (_, n) => notification(n)),
        );
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

    // Issue 9, "Why" 1: after a conflict, a writer that paired a new summary ETag with old marker rows
    // stored a redelivery again and erased the other writer's marker.
    for (const [held, matches] of [
        ['summary', isSummaryRead],
        ['marker-row', isMarkerRead],
    ] as const) {
        test(`two-writer redelivery race (${held} read held until the other writer committed): stored once, both markers kept`, async () => {
            const tableName = uniqueTableName('race');
            const first = storeOn(tableName);
            const gate = holdFirstRequest(matches);
            const second = storeWithPolicies(tableName, gate.policies);
            const [earlier, same, firstOwn] = [inBucket('a', 1), inBucket('a', 2), inBucket('a', 3)];
            await first.appendCallEvents('call-race', [earlier]);

            // The second writer has never seen the call: its create conflicts and it reads the partition.
            const racing = second.appendCallEvents('call-race', [same]);
            await gate.heldAlone();
            const committed = await first.appendCallEvents('call-race', [same, firstOwn]);
            gate.release();
            const raced = await racing;

            assert.deepEqual(committed.outcomes, [
                { outcome: 'stored', sequence: 2 },
                { outcome: 'stored', sequence: 3 },
            ]);
            assert.deepEqual(raced.outcomes, [{ outcome: 'duplicate' }]);
            const later = await storeOn(tableName).appendCallEvents('call-race', [firstOwn, same]);
            assert.deepEqual(later.outcomes, [{ outcome: 'duplicate' }, { outcome: 'duplicate' }]);
            const rows = await partitionRows(testTableClient(tableName), 'call-race');
            assert.equal(rows.filter((r) => String(r.rowKey).startsWith('event-')).length, 3);
            const summary = rows.find((r) => r.rowKey === 'state')!;
            assert.equal(summary.eventCount, 3);
            assert.equal(summary.duplicateCount, 3);
        });
    }

    // Issue 9, "Why" 5: with the summary row deleted by hand, every retry created event-0000000001 again.
    test('a call whose summary row was deleted by hand is mended from its history and appended after it', async () => {
        const tableName = uniqueTableName('mend');
        const table = testTableClient(tableName);
        const cached = storeOn(tableName);
        await cached.appendCallEvents('call-mend', [
            notification(1, { callState: 'establishing', tenantId: 't-1' }),
            notification(2, { callState: 'established', resultCode: 200, resultMessage: 'ok' }),
            { kind: 'hangupRequest', receivedAt: new Date(), httpStatus: 204, resourceUrl: '/communications/calls/call-mend' },
        ]);
        await table.deleteEntity('call-mend', 'state');

        const fresh = await storeOn(tableName).appendCallEvents('call-mend', [notification(4, { callState: 'terminated' }), notification(1)]);
        const again = await cached.appendCallEvents('call-mend', [notification(5, { callState: 'terminating' })]);

        assert.deepEqual(fresh.outcomes, [{ outcome: 'stored', sequence: 4 }, { outcome: 'duplicate' }]);
        assert.deepEqual(again.outcomes, [{ outcome: 'stored', sequence: 5 }]);
        const rows = await partitionRows(table, 'call-mend');
        assert.deepEqual(
            rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => r.sequence),
            [1, 2, 3, 4, 5],
        );
        const summary = rows.find((r) => r.rowKey === 'state')!;
        assert.equal(summary.eventCount, 5);
        assert.equal(summary.callState, 'terminated');
        assert.equal(summary.resultCode, 200);
        assert.equal(summary.hangupStatus, 204);
        assert.equal(summary.tenantId, 't-1');
        assert.equal(summary.duplicateCount, 1);
    });

    test('two writers mending the same call at once leave a gapless history', async () => {
        const tableName = uniqueTableName('mendtwo');
        const table = testTableClient(tableName);
        await storeOn(tableName).appendCallEvents(
            'call-mend2',
            Array.from({ length: 5 }, (_, n) => notification(n)),
        );
        await table.deleteEntity('call-mend2', 'state');
        const writers = [storeOn(tableName), storeOn(tableName), storeOn(tableName)];

        const results = await Promise.all(Array.from({ length: 12 }, (_, n) => writers[n % writers.length]!.appendCallEvents('call-mend2', [notification(100 + n)])));

        const sequences = results.flatMap((r) => r.stored.map((e) => e.sequence)).sort((a, b) => a - b);
        assert.deepEqual(
            sequences,
            Array.from({ length: 12 }, (_, i) => i + 6),
        );
        const rows = await partitionRows(table, 'call-mend2');
        assert.deepEqual(
            rows.filter((r) => String(r.rowKey).startsWith('event-')).map((r) => r.sequence),
            Array.from({ length: 17 }, (_, i) => i + 1),
        );
        assert.equal(rows.find((r) => r.rowKey === 'state')!.eventCount, 17);
    });

    // Issue 9, "Why" 3: only resourceData was cut; any other value over a string property's 32K units made
    // the table answer 400, which was answered 503 "retry later" for ever.
    test('oversized values anywhere are cut to what the table holds and flagged, never refused', async () => {
        const tableName = uniqueTableName('oversize');
        const store = storeOn(tableName);
        const huge = (c: string) => c.repeat(70_000);

        const result = await store.appendCallEvents('call-big', [
            notification(1, {
                resultMessage: huge('m'),
                callState: huge('s'),
                resourceUrl: `/communications/calls/call-big/operations/${huge('o')}`,
                scenarioId: huge('h'),
                resourceData: JSON.stringify({ blob: huge('r') }),
            }),
        ]);

        assert.deepEqual(result.outcomes, [{ outcome: 'stored', sequence: 1 }]);
        const rows = await partitionRows(testTableClient(tableName), 'call-big');
        const event = rows.find((r) => r.rowKey === eventRowKey(1))!;
        for (const name of ['resultMessage', 'callState', 'resourceUrl', 'scenarioId', 'resourceData']) {
            assert.ok(String(event[name]).length < 32_768, name);
        }
        assert.equal(String(event.resourceData).length, 30_000);
        assert.equal(event.resourceDataTruncated, true);
        assert.deepEqual(String(event.truncatedFields).split(',').sort(), ['callState', 'resourceData', 'resourceUrl', 'resultMessage', 'scenarioId']);
        const summary = rows.find((r) => r.rowKey === 'state')!;
        assert.equal(summary.resultMessage, event.resultMessage);
        assert.deepEqual(String(summary.truncatedFields).split(',').sort(), ['callState', 'resultMessage']);
    });

    test('a transaction the storage refuses is split: the others are stored, the refused one is kept as rejected', async () => {
        const tableName = uniqueTableName('refused');
        const store = storeWithPolicies(tableName, refuseTransactionsContaining('REFUSE-ME'));
        const first = store.appendCallEvents('call-refused', [notification(1)]);
        // Queued behind the first write, so these two share the next transaction.
        const good = store.appendCallEvents('call-refused', [notification(2)]);
        const bad = store.appendCallEvents('call-refused', [notification(3, { scenarioId: 'REFUSE-ME' })]);

        const [, goodResult, badResult] = await Promise.all([first, good, bad]);

        assert.deepEqual(goodResult.outcomes, [{ outcome: 'stored', sequence: 2 }]);
        assert.equal(badResult.outcomes[0]?.outcome, 'rejected');
        const rows = await partitionRows(testTableClient(tableName), 'call-refused');
        const events = rows.filter((r) => String(r.rowKey).startsWith('event-'));
        assert.deepEqual(
            events.map((r) => [r.sequence, r.kind]),
            [
                [1, 'notification'],
                [2, 'notification'],
                [3, 'rejected'],
            ],
        );
        assert.match(String(events[2]!.rejectReason), /PropertyValueTooLarge/);
        assert.equal(events[2]!.dedupeKey, notification(3).dedupeKey);
        // Its redelivery is recognised, not refused again.
        assert.deepEqual((await store.appendCallEvents('call-refused', [notification(3, { scenarioId: 'REFUSE-ME' })])).outcomes, [{ outcome: 'duplicate' }]);
    });

    test('two processes writing the same notifications of one call store each once, gapless', async () => {
        const tableName = uniqueTableName('procs');
        const count = 40;
        const writer = path.join(__dirname, '../support/callStoreWriter.js');
        const run = (seed: number) => promisify(execFile)(process.execPath, [writer, tableName, 'call-procs', String(count), String(seed)], { env: process.env });
        await storeOn(tableName).ensureTable();

        const outputs = await Promise.all([run(1), run(2)]);

        const outcomes = outputs.flatMap(({ stdout }) =>
            stdout
                .trim()
                .split('\n')
                .map((line) => JSON.parse(line) as { n: number; outcome: string }),
        );
        assert.equal(outcomes.length, 2 * count);
        for (let n = 0; n < count; n++) {
            assert.deepEqual(
                outcomes
                    .filter((o) => o.n === n)
                    .map((o) => o.outcome)
                    .sort(),
                ['duplicate', 'stored'],
                `notification ${n}`,
            );
        }
        const rows = await partitionRows(testTableClient(tableName), 'call-procs');
        const events = rows.filter((r) => String(r.rowKey).startsWith('event-'));
        assert.deepEqual(
            events.map((r) => r.sequence),
            Array.from({ length: count }, (_, i) => i + 1),
        );
        assert.deepEqual(events.map((r) => r.dedupeKey).sort(), Array.from({ length: count }, (_, n) => sharedNotification(n).dedupeKey).sort());
        const summary = rows.find((r) => r.rowKey === 'state')!;
        assert.equal(summary.eventCount, count);
        assert.equal(summary.duplicateCount, count);
    });

    // Issue 9, "Why" 6: the `_unrouted` partition filled its marker rows first and then forgot keys inside the window.
    test("marker capacity: past a row's capacity no key is forgotten and rows stay far fewer than events", async () => {
        const tableName = uniqueTableName('capacity');
        const events = Array.from({ length: 300 }, (_, n) => notification(n, { kind: 'rejected', resourceKind: undefined, callState: undefined }));
        await storeOn(tableName, 600, 4).appendCallEvents('_unrouted', events);

        const again = await storeOn(tableName, 600, 4).appendCallEvents('_unrouted', events);

        assert.deepEqual(again.outcomes, Array(300).fill({ outcome: 'duplicate' }));
        const rows = await partitionRows(testTableClient(tableName), '_unrouted');
        const markerRows = rows.filter((r) => String(r.rowKey).startsWith('dedupe-'));
        assert.ok(markerRows.every((r) => /^dedupe-[0-9a-f]{1,32}$/.test(String(r.rowKey))));
        assert.ok(markerRows.every((r) => String(r.keys).split(',').length <= 4));
        assert.ok(
            markerRows.some((r) => r.splitAt instanceof Date),
            'some row split',
        );
        assert.ok(markerRows.length < 300, `${markerRows.length} marker rows for 300 keys`);
        assert.equal(rows.filter((r) => String(r.rowKey).startsWith('event-')).length, 300);
    });

    test('marker capacity: a batch that splits many rows is cut to fit one transaction, in order', async () => {
        const tableName = uniqueTableName('opsbound');
        const store = storeOn(tableName, 600, 1);
        await store.appendCallEvents(
            'call-ops',
            Array.from({ length: 40 }, (_, n) => notification(1000 + n)),
        );

        const result = await store.appendCallEvents(
            'call-ops',
            Array.from({ length: 99 }, (_, n) => notification(n)),
        );

        assert.deepEqual(
            result.outcomes,
            Array.from({ length: 99 }, (_, i) => ({ outcome: 'stored', sequence: 41 + i })),
        );
        const again = await storeOn(tableName, 600, 1).appendCallEvents('call-ops', [notification(5), notification(1005)]);
        assert.deepEqual(again.outcomes, [{ outcome: 'duplicate' }, { outcome: 'duplicate' }]);
    });

    test('a failure after the commit (the call-ended event) fails the write as it is: the commit is never planned again', async () => {
        // prepare: the first call-ended event fails with what looks like a storage conflict
        const tableName = uniqueTableName('afterCommit');
        const calls: string[] = [];
        const store = new CallStore(testTableClient(tableName), {
            dedupeWindowSeconds: 600,
            onCallEnded: async (summary) => {
                calls.push(summary.callId);
                if (calls.length === 1) throw Object.assign(new Error('The queue said 412.'), { statusCode: 412 });
            },
        });
        const end = notification(1, { callState: 'terminated' });

        // act
        const failed = store.appendCallEvents('after-commit', [end]);
        await assert.rejects(failed, /412/);
        const again = await store.appendCallEvents('after-commit', [end]);

        // assess: stored once by the first write, recognised as a redelivery by the second, which tells of the end again
        assert.equal((await partitionRows(testTableClient(tableName), 'after-commit')).filter((row) => String(row.rowKey).startsWith('event-')).length, 1);
        assert.equal(again.duplicates, 1);
        assert.deepEqual(calls, ['after-commit', 'after-commit']);
    });

    test('a storage 5xx stays a 503 with Retry-After, and nothing is stored as rejected', async () => {
        // The table exists; every write fails with 500.
        const failing = http.createServer((request, response) => {
            const [status, code] = request.url?.includes('/Tables') ? [409, 'TableAlreadyExists'] : [500, 'InternalError'];
            response.writeHead(status, { 'Content-Type': 'application/json', 'x-ms-error-code': code });
            response.end(JSON.stringify({ 'odata.error': { code, message: { lang: 'en-US', value: code } } }));
        });
        await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
        try {
            const { port } = failing.address() as AddressInfo;
            const connection = testConnectionString().replace(/TableEndpoint=http:\/\/[^/]+\//, `TableEndpoint=http://127.0.0.1:${port}/`);
            const table = TableClient.fromConnectionString(connection, 'Unreachable', { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });

            await assert.rejects(
                new CallStore(table, { dedupeWindowSeconds: 600 }).appendCallEvents('call-5xx', [notification(1)]),
                (err: Error & { status?: number; headers?: Record<string, string> }) => {
                    assert.equal(err.status, 503);
                    assert.ok(Number(err.headers?.['Retry-After']) >= 1);
                    return true;
                },
            );
        } finally {
            failing.closeAllConnections();
            await new Promise<void>((resolve) => failing.close(() => resolve()));
        }
    });

    test('a value the storage refuses for its characters is kept as ASCII JSON in the rejected event', async () => {
        const tableName = uniqueTableName('ascii');
        const store = storeWithPolicies(tableName, refuseTransactionsContaining('\u2603'));

        const result = await store.appendCallEvents('call-ascii', [notification(1, { resultMessage: 'snow \u2603 man' })]);

        assert.equal(result.outcomes[0]?.outcome, 'rejected');
        const event = (await partitionRows(testTableClient(tableName), 'call-ascii')).find((r) => r.rowKey === eventRowKey(1))!;
        assert.equal(event.kind, 'rejected');
        assert.equal((JSON.parse(String(event.resourceData)) as { resultMessage: string }).resultMessage, 'snow \u2603 man');
    });

    test('a batch whose rows together pass 4 MiB is split into transactions that fit, all stored in order', async () => {
        const tableName = uniqueTableName('bytes');
        // Quotes double in JSON: each event row is about 120 KB on the wire, 99 of them about 12 MB.
        const heavy = '"'.repeat(30_000);
        const events = Array.from({ length: 99 }, (_, n) => notification(n, { resultMessage: heavy, resourceData: JSON.stringify({ n, heavy: heavy.slice(0, 29_000) }) }));

        const result = await storeOn(tableName).appendCallEvents('call-bytes', events);

        assert.deepEqual(
            result.stored.map((e) => e.sequence),
            Array.from({ length: 99 }, (_, i) => i + 1),
        );
        const rows = await partitionRows(testTableClient(tableName), 'call-bytes');
        assert.equal(rows.filter((r) => String(r.rowKey).startsWith('event-')).length, 99);
    });

    test('a storage that refuses even the bare rejected event is a 503, never a loop', async () => {
        const tableName = uniqueTableName('hopeless');
        // The partition key is in every operation: every transaction for this call is refused.
        const store = storeWithPolicies(tableName, refuseTransactionsContaining('call-hopeless'));

        await assert.rejects(store.appendCallEvents('call-hopeless', [notification(1), notification(2)]), (err: Error & { status?: number }) => {
            assert.equal(err.status, 503);
            assert.match(err.message, /refuses every write for call call-hopeless \(400/);
            return true;
        });
    });

    test("updateCall: a change that would write nothing on this process's copy is asked again with the row as another writer left it", async () => {
        // prepare: two instances; the first has the call in its cache, then the second changes the summary
        const tableName = uniqueTableName('update');
        const [first, second] = [storeOn(tableName), storeOn(tableName)];
        await first.appendCallEvents('call-u', [notification(1)]);
        await first.updateCall('call-u', (summary) => ({ summary: { ...summary, relayOwner: 'first' } }));
        await second.updateCall('call-u', (summary) => ({ summary: { ...summary, relayOwner: 'second' } }));

        // act: the first asks to write only while it still owns the call
        const seen: Array<string | undefined> = [];
        const result = await first.updateCall('call-u', (summary) => {
            seen.push(summary.relayOwner);
            return summary.relayOwner === 'second' ? { summary: { ...summary, relayOwner: 'third' } } : undefined;
        });

        // assess: asked on its stale copy, then on the row as it is, and written
        assert.deepEqual(seen, ['first', 'second']);
        assert.equal(result.written, true);
        assert.equal((await second.getCallSummary('call-u'))?.relayOwner, 'third');
    });
});
