// Retention: deletes every row of ended calls that started before a cut-off (their call records in Blob Storage,
// then history, markers, participants, summary, then their index rows) and the `_unrouted` rows received before it. It finds the calls through the call
// index (the day partitions before the cut-off, rows marked ended), so its cost per purged call does not
// depend on the size of the table. Bounded per run and resumable: whatever one run leaves, the next finds
// again, because a call's index row is removed only after all of its rows are gone.

import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { CallIndex, dayOf, dayOfRowKey, dayPartition, dayRowKey, DAYS_PARTITION, indexedCallOf, startKey, type IndexedCall } from '../record/callIndex';
import { UNROUTED_PARTITION } from '../record/callModel';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { EVENT_ROW_PREFIX } from '../record/tableEntities';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace } from '../telemetry/telemetry';
import { forgetDeadLetters } from '../relay/deadLetterIndex';

const DAY_MS = 86_400_000;
/** Operations per entity-group transaction (the service's limit). */
const BATCH = 100;

export interface PurgeOptions {
    /** Calls that started (and `_unrouted` rows received) more than this many days ago go. */
    olderThanDays: number;
    /** List what would go, delete nothing. */
    dryRun?: boolean;
    /** Calls per run at most (default 1,000); the rest wait for the next run. */
    maxCalls?: number;
    /** Stop starting new calls after this long (default 4 minutes). */
    timeBudgetMs?: number;
    now?: () => Date;
    /** Each call as it is deleted (or, in a dry run, found). */
    onCall?: (call: PurgedCall) => void;
    /** The invocation's trace, the parent of the run's span (the timer's). */
    trace?: InvocationTrace;
    /**
     * Deletes what the call keeps outside the table (its call records in Blob Storage), before its rows go: what
     * fails here stops the run with the call still indexed, so the next run tries again.
     */
    forgetOutsideTable?: (callId: string) => Promise<unknown>;
}

interface PurgedCall {
    callId: string;
    firstEventAt: Date;
    /** Rows deleted (in a dry run: rows that would be). */
    rows: number;
}

export interface PurgeResult {
    cutoff: Date;
    calls: number;
    rows: number;
    unroutedRows: number;
    /** False when the bound or the time budget stopped the run with more to delete. */
    finished: boolean;
}

/**
 * @example
 * const { calls, rows } = await purgeCalls(table, { olderThanDays: 90 });
 */
export function purgeCalls(table: TableClient, options: PurgeOptions): Promise<PurgeResult> {
    if (options.dryRun) return runPurge(table, options);
    return inSpan(SPANS.purge, options.trace, async (span) => {
        const result = await runPurge(table, options);
        const deleted = { call: result.calls, row: result.rows, unrouted_row: result.unroutedRows };
        for (const [item, count] of Object.entries(deleted) as Array<[keyof typeof deleted, number]>) {
            if (count > 0) record(METRICS.purged, { item }, count);
        }
        span.set({ calls: result.calls, rows: result.rows });
        return result;
    });
}

async function runPurge(table: TableClient, options: PurgeOptions): Promise<PurgeResult> {
    const now = (options.now ?? (() => new Date()))();
    const cutoff = new Date(now.getTime() - options.olderThanDays * DAY_MS);
    const deadline = Date.now() + (options.timeBudgetMs ?? 240_000);
    const maxCalls = options.maxCalls ?? 1000;
    const index = new CallIndex(table);
    const result: PurgeResult = { cutoff, calls: 0, rows: 0, unroutedRows: 0, finished: true };
    try {
        for (const day of await daysBefore(table, cutoff)) {
            const partitionDone = await purgeDay(table, index, day, cutoff, options, result, () => result.calls >= maxCalls || Date.now() > deadline);
            if (!partitionDone) {
                result.finished = false;
                break;
            }
        }
        if (result.finished) result.unroutedRows = await purgeUnrouted(table, cutoff, options.dryRun === true);
    } catch (err) {
        if (err instanceof StorageUnavailableError) throw err;
        if (isNotFound(err)) return result;
        throw new StorageUnavailableError(err);
    }
    return result;
}

/** The days with calls up to the cut-off's own day, oldest first. */
async function daysBefore(table: TableClient, cutoff: Date): Promise<string[]> {
    const days: string[] = [];
    const filter = `${odata`PartitionKey eq ${DAYS_PARTITION}`} and ${odata`RowKey ge ${dayRowKey(dayOf(cutoff))}`}`;
    for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } })) {
        if (typeof row.rowKey === 'string') days.push(dayOfRowKey(row.rowKey));
    }
    return days.reverse();
}

/** The ended calls of one day that started before the cut-off; true when none is left to do there. */
async function purgeDay(table: TableClient, index: CallIndex, day: string, cutoff: Date, options: PurgeOptions, result: PurgeResult, stop: () => boolean): Promise<boolean> {
    const partition = dayPartition(day);
    // Started before the cut-off: RowKeys from the cut-off's start key on (later starts sort first).
    const filter = `${odata`PartitionKey eq ${partition}`} and ${odata`RowKey ge ${startKey(cutoff.getTime() - 1)}`} and ended eq true`;
    const calls: IndexedCall[] = [];
    for await (const row of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
        const call = indexedCallOf(row);
        if (call !== undefined) calls.push(call);
    }
    for (const call of calls) {
        if (stop()) return false;
        if (!options.dryRun) await options.forgetOutsideTable?.(call.callId);
        const rows = options.dryRun ? await countRows(table, call.callId) : await deletePartition(table, call.callId);
        if (!options.dryRun) {
            await index.forget(call.callId, call.firstEventAt);
            await forgetDeadLetters(table, call.callId, call.firstEventAt);
        }
        result.calls += 1;
        result.rows += rows;
        options.onCall?.({ callId: call.callId, firstEventAt: call.firstEventAt, rows });
    }
    if (!options.dryRun && !(await hasRows(table, partition))) await index.forgetDay(day);
    return true;
}

/** Deletes a call's rows in RowKey order (markers, history, then the summary last); the number deleted. */
async function deletePartition(table: TableClient, partition: string): Promise<number> {
    let deleted = 0;
    for (;;) {
        const keys = await rowKeys(table, odata`PartitionKey eq ${partition}`, BATCH);
        if (keys.length === 0) return deleted;
        deleted += await deleteRows(table, partition, keys);
    }
}

/** `_unrouted` history rows received before the cut-off, from its oldest row on; its summary stays. */
async function purgeUnrouted(table: TableClient, cutoff: Date, dryRun: boolean): Promise<number> {
    let count = 0;
    let after = EVENT_ROW_PREFIX;
    for (;;) {
        const filter = `${odata`PartitionKey eq ${UNROUTED_PARTITION}`} and ${odata`RowKey gt ${after}`} and ${odata`RowKey lt ${'event.'}`}`;
        const pages = table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey', 'receivedAt'] } }).byPage({ maxPageSize: BATCH });
        const { value } = await pages.next();
        const rows = [...(value ?? [])];
        // History rows are in commit order, so the old ones are the leading run.
        const firstKept = rows.findIndex((row) => !receivedBefore(row, cutoff));
        const old = (firstKept === -1 ? rows : rows.slice(0, firstKept)).map((row) => String(row.rowKey));
        if (old.length === 0) return count;
        count += dryRun ? old.length : await deleteRows(table, UNROUTED_PARTITION, old);
        if (old.length < rows.length || rows.length < BATCH) return count;
        after = old.at(-1)!;
    }
}

function receivedBefore(row: Record<string, unknown>, cutoff: Date): boolean {
    const at = row.receivedAt instanceof Date ? row.receivedAt : new Date(String(row.receivedAt));
    return at.getTime() < cutoff.getTime();
}

async function deleteRows(table: TableClient, partition: string, keys: readonly string[]): Promise<number> {
    const actions = keys.map((rowKey): TransactionAction => ['delete', { partitionKey: partition, rowKey }]);
    try {
        await table.submitTransaction(actions);
        return keys.length;
    } catch (err) {
        // Another purge (or a person) deleted some of them first: delete one by one, missing ones are done.
        if (!isNotFound(err)) throw err;
        let deleted = 0;
        for (const rowKey of keys) {
            try {
                await table.deleteEntity(partition, rowKey);
                deleted += 1;
            } catch (single) {
                if (!isNotFound(single)) throw single;
            }
        }
        return deleted;
    }
}

async function countRows(table: TableClient, partition: string): Promise<number> {
    let count = 0;
    const pages = table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1000 });
    for await (const page of pages) count += page.length;
    return count;
}

async function hasRows(table: TableClient, partition: string): Promise<boolean> {
    return (await rowKeys(table, odata`PartitionKey eq ${partition}`, 1)).length > 0;
}

async function rowKeys(table: TableClient, filter: string, top: number): Promise<string[]> {
    const pages = table.listEntities<Record<string, unknown>>({ queryOptions: { filter, select: ['RowKey'] } }).byPage({ maxPageSize: top });
    const { value } = await pages.next();
    const rows: Array<Record<string, unknown>> = value ?? [];
    return rows.map((row) => String(row.rowKey));
}
