// `calls reindex`: builds the call index for a table written before the index existed. It is the one
// reader of the whole table (summary rows of every partition, a full scan by nature), so it runs once,
// by hand, when an older table is taken over; nothing on a request path calls it.
//
// One pass over the summaries in PartitionKey order, recording each call in the index (idempotent, and
// safe while the app ingests: see callIndex.ts). After each page the position is saved in the table
// (`_reindex`/`progress`), so an interrupted run goes on where it stopped.

import { odata, type TableClient } from '@azure/data-tables';
import { CallIndex } from '../record/callIndex';
import { inParallel } from '../inParallel';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { SUMMARY_ROW_KEY, summaryFromEntity } from '../record/tableEntities';

export const REINDEX_PARTITION = '_reindex';
const PROGRESS_ROW = 'progress';
const PAGE_SIZE = 200;
const RECORDS_IN_FLIGHT = 16;

export interface ReindexProgress {
    /** Calls recorded so far in this pass (resumed runs included). */
    calls: number;
    /** Calls recorded by this run. */
    callsThisRun: number;
    /** This run's start. */
    startedAt: Date;
    /** How far through the table's key space the pass is (0..1), when call ids are GUIDs; else undefined. */
    fraction?: number;
    resumed: boolean;
}

export interface ReindexOptions {
    /** Start a new pass even when an earlier one was interrupted. */
    restart?: boolean;
    onProgress?: (progress: ReindexProgress) => void;
    /** Stops after the page in progress; the position is saved first. */
    signal?: AbortSignal;
    now?: () => Date;
}

export interface ReindexResult extends ReindexProgress {
    /** False when the signal stopped the pass before its end. */
    finished: boolean;
}

/**
 * @example
 * const result = await reindexCalls(table, { onProgress: (p) => console.error(`${p.calls} calls`) });
 */
export async function reindexCalls(table: TableClient, options: ReindexOptions = {}): Promise<ReindexResult> {
    const now = options.now ?? (() => new Date());
    const index = new CallIndex(table);
    const saved = options.restart ? undefined : await readProgress(table);
    const progress: ReindexProgress = { calls: saved?.calls ?? 0, callsThisRun: 0, startedAt: now(), resumed: saved !== undefined };
    let continuationToken = saved?.continuationToken;
    try {
        const pages = table
            .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey eq ${SUMMARY_ROW_KEY}` } })
            .byPage({ maxPageSize: PAGE_SIZE, ...(continuationToken === undefined ? {} : { continuationToken }) });
        for await (const page of pages) {
            const summaries = page.filter((entity) => !String(entity.partitionKey).startsWith('_')).map(summaryFromEntity);
            await inParallel(summaries, RECORDS_IN_FLIGHT, (summary) => index.record(summary));
            progress.calls += summaries.length;
            progress.callsThisRun += summaries.length;
            const last = summaries.at(-1)?.callId;
            if (last !== undefined) progress.fraction = keySpaceFraction(last) ?? progress.fraction;
            continuationToken = page.continuationToken;
            if (continuationToken === undefined) break;
            await saveProgress(table, { continuationToken, calls: progress.calls });
            options.onProgress?.({ ...progress });
            if (options.signal?.aborted) return { ...progress, finished: false };
        }
    } catch (err) {
        if (err instanceof StorageUnavailableError) throw err;
        // A table that does not exist holds nothing to index.
        if (!isNotFound(err)) throw new StorageUnavailableError(err);
    }
    await clearProgress(table);
    progress.fraction = 1;
    options.onProgress?.({ ...progress });
    return { ...progress, finished: true };
}

interface SavedProgress {
    continuationToken: string;
    calls: number;
}

async function readProgress(table: TableClient): Promise<SavedProgress | undefined> {
    try {
        const row = await table.getEntity<Record<string, unknown>>(REINDEX_PARTITION, PROGRESS_ROW);
        return typeof row.continuationToken === 'string' ? { continuationToken: row.continuationToken, calls: Number(row.calls) || 0 } : undefined;
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new StorageUnavailableError(err);
    }
}

async function saveProgress(table: TableClient, progress: SavedProgress): Promise<void> {
    try {
        await table.upsertEntity({ partitionKey: REINDEX_PARTITION, rowKey: PROGRESS_ROW, ...progress, savedAt: new Date() }, 'Replace');
    } catch (err) {
        throw new StorageUnavailableError(err);
    }
}

async function clearProgress(table: TableClient): Promise<void> {
    try {
        await table.deleteEntity(REINDEX_PARTITION, PROGRESS_ROW);
    } catch (err) {
        if (!isNotFound(err)) throw new StorageUnavailableError(err);
    }
}

/**
 * Graph's call ids are GUIDs, spread evenly over the key space, so the first hex digits of the last id
 * read say how far a PartitionKey-ordered pass has come. Undefined for ids that are not hex.
 */
function keySpaceFraction(callId: string): number | undefined {
    const head = /^[0-9a-f]{4}/i.exec(callId)?.[0];
    return head === undefined ? undefined : parseInt(head, 16) / 0x10000;
}
