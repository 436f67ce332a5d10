// `calls reindex` against real Azurite: the index built for a table written without one (one pass,
// resumable, idempotent, safe while the app writes).

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { TableClient } from '@azure/data-tables';
import { ACTIVE_PARTITION, DAYS_PARTITION } from '../../shared/record/callIndex';
import type { NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { REINDEX_PARTITION, reindexCalls } from '../../shared/lifecycle/reindexCalls';
import { listedIds } from '../support/callListing';
import { notificationEvent } from '../support/callStoreWriter';
import { partitionRows, testTableClient, uniqueTableName } from '../support/storage';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

function event(label: string, at: number, callState: string, changeType = 'updated'): NewCallEvent {
    return notificationEvent(`${label} ${callState}`, at, { receivedAt: new Date(at), callState, changeType, resourceData: JSON.stringify({ label, callState }) });
}

/** Removes every index row, leaving the table as an app without the index wrote it. */
async function dropIndex(table: TableClient): Promise<void> {
    for (const day of await partitionRows(table, DAYS_PARTITION)) {
        for (const row of await partitionRows(table, `_calls-${String(day.day)}`)) await table.deleteEntity(String(row.partitionKey), String(row.rowKey));
        await table.deleteEntity(DAYS_PARTITION, String(day.rowKey));
    }
    for (const row of await partitionRows(table, ACTIVE_PARTITION)) await table.deleteEntity(ACTIVE_PARTITION, String(row.rowKey));
}

describe('calls reindex', () => {
    const table = testTableClient(uniqueTableName('reindex'));
    const store = new CallStore(table, { dedupeWindowSeconds: 600 });
    /** 450 calls over 9 days, every 3rd ended: more than two pages of the pass (200 summaries each). */
    const CALLS = 450;
    const id = (n: number) => `${((n * 2654435761) % 0xffffffff).toString(16).padStart(8, '0')}-reindex-${n}`;
    const start = (n: number) => NOW - 10 * DAY + n * (DAY / 50);

    before(async () => {
        for (let i = 0; i < CALLS; i += 30) {
            await Promise.all(
                Array.from({ length: Math.min(30, CALLS - i) }, (_, k) => i + k).map((n) =>
                    store.appendCallEvents(id(n), [event(id(n), start(n), 'established'), ...(n % 3 === 0 ? [event(id(n), start(n) + 1000, 'terminated')] : [])]),
                ),
            );
        }
        await dropIndex(table);
        assert.deepEqual(await listedIds(table), [], 'the table has no index');
    });

    test('one pass indexes every call: listed newest first, active ones in the active index', async () => {
        const progress: number[] = [];
        const result = await reindexCalls(table, { onProgress: (p) => progress.push(p.calls) });

        assert.equal(result.finished, true);
        assert.equal(result.calls, CALLS);
        assert.ok(progress.length >= 3 && progress.at(-1) === CALLS, `progress ${progress.join(',')}`);
        const newestFirst = Array.from({ length: CALLS }, (_, i) => id(CALLS - 1 - i));
        assert.deepEqual(await listedIds(table), newestFirst);
        assert.deepEqual(
            await listedIds(table, { active: true }),
            newestFirst.filter((_, i) => (CALLS - 1 - i) % 3 !== 0),
        );
        assert.equal((await partitionRows(table, ACTIVE_PARTITION)).length, CALLS - Math.ceil(CALLS / 3));
        assert.deepEqual(await partitionRows(table, REINDEX_PARTITION), [], 'a finished pass leaves no progress row');
    });

    test('interrupted, it goes on where it stopped; run again, it changes nothing', async () => {
        await dropIndex(table);
        const stop = new AbortController();
        const first = await reindexCalls(table, { signal: stop.signal, onProgress: () => stop.abort() });
        assert.equal(first.finished, false);
        assert.equal((await partitionRows(table, REINDEX_PARTITION)).length, 1, 'the position is saved');

        const second = await reindexCalls(table);
        assert.equal(second.finished, true);
        assert.equal(second.resumed, true);
        assert.equal(second.calls, CALLS, 'the resumed pass counts the calls of the first run too');
        assert.ok(second.callsThisRun < CALLS, `${second.callsThisRun} calls in the second run`);
        const listed = await listedIds(table);
        assert.equal(listed.length, CALLS);
        assert.equal(new Set(listed).size, CALLS, 'no call listed twice');

        const dayRowsBefore = (await Promise.all((await partitionRows(table, DAYS_PARTITION)).map((d) => partitionRows(table, `_calls-${String(d.day)}`)))).flat().length;
        await reindexCalls(table);
        const dayRowsAfter = (await Promise.all((await partitionRows(table, DAYS_PARTITION)).map((d) => partitionRows(table, `_calls-${String(d.day)}`)))).flat().length;
        assert.equal(dayRowsAfter, dayRowsBefore);
        assert.deepEqual(await listedIds(table), listed);
    });

    test('safe while the app writes: calls that end or start meanwhile are listed once, with their state now', async () => {
        await dropIndex(table);
        const ending = Array.from({ length: 40 }, (_, i) => id(i * 3 + 1)); // active ones
        const fresh = Array.from({ length: 40 }, (_, i) => `fresh-${i}`);
        const [result] = await Promise.all([
            reindexCalls(table),
            Promise.all(ending.map((callId, i) => store.appendCallEvents(callId, [event(callId, NOW - DAY + i, 'terminated')]))),
            Promise.all(fresh.map((callId, i) => store.appendCallEvents(callId, [event(callId, NOW - DAY / 2 + i, 'established')]))),
        ]);

        assert.equal(result.finished, true);
        const listed = await listedIds(table);
        assert.equal(listed.length, CALLS + fresh.length);
        assert.equal(new Set(listed).size, listed.length, 'no call listed twice');
        const active = new Set(await listedIds(table, { active: true }));
        for (const callId of ending) assert.ok(!active.has(callId), `${callId} ended`);
        for (const callId of fresh) assert.ok(active.has(callId), `${callId} is active`);
    });
});
