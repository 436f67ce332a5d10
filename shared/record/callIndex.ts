// The call index: rows next to the record that let people list calls newest first without reading the
// whole table (SPEC "Across calls"). It follows two of Table Storage's design patterns: an
// inter-partition secondary index (rows in partitions of their own, keyed by start time) and the log
// tail (RowKeys that sort newest first). Index partitions start with `_`, so no call id can name one.
//
//   _calls-YYYYMMDD   one partition per UTC day of the calls' start (`firstEventAt`), one row per call
//   _active           one row per call that has not ended: what "active" lists and the reconciler reads
//   _days             one row per day that has calls: where a listing without `since` ends
//
// The rows live in other partitions than the call's, so they cannot join the call's transaction. They are
// written after it, before the write is acknowledged, and only where they change: when a call is created
// and when it ends (and again whenever a redelivery shows that an earlier write may have stopped between
// the two). Everything a crash between the two can leave behind is mended by the next write of the call,
// by the reconciler (which reads `_active`), or by `calls reindex`; a listing checks every row it returns
// against the call's summary, so it never shows a state the summary does not have.

import type { TableClient } from '@azure/data-tables';
import type { CallSummary } from './callModel';
import { isCallEnded } from './callState';
import { isNotFound, StorageUnavailableError } from './storageErrors';

export const ACTIVE_PARTITION = '_active';
export const DAYS_PARTITION = '_days';
const DAY_PARTITION_PREFIX = '_calls-';
/** RowKeys hold this minus the start time in ms, 13 digits: ascending order is newest first (until 2286). */
const NEWEST_FIRST = 9_999_999_999_999;
const DAY_NEWEST_FIRST = 99_999_999;

/** What an index row says about a call. */
export interface IndexedCall {
    callId: string;
    firstEventAt: Date;
    /** Set once the call has ended (it never goes back); a call not yet marked may have ended meanwhile. */
    ended: boolean;
    rowKey: string;
}

/** `20261201`: the UTC day of an instant, which names its index partition. */
export function dayOf(date: Date): string {
    return date.toISOString().slice(0, 10).replace(/-/g, '');
}

export function dayPartition(day: string): string {
    return DAY_PARTITION_PREFIX + day;
}

/** `8234567890123-<callId>`: sorts newest first, and two calls that started in the same ms stay apart. */
export function indexRowKey(firstEventAt: Date, callId: string): string {
    return `${startKey(firstEventAt.getTime())}-${callId}`;
}

/** The RowKey prefix of calls that started at `ms`; every RowKey of a later start sorts before it. */
export function startKey(ms: number): string {
    return String(NEWEST_FIRST - ms).padStart(13, '0');
}

export function dayRowKey(day: string): string {
    return String(DAY_NEWEST_FIRST - Number(day)).padStart(8, '0');
}

export function dayOfRowKey(rowKey: string): string {
    return String(DAY_NEWEST_FIRST - Number(rowKey)).padStart(8, '0');
}

export function indexedCallOf(entity: Record<string, unknown> & { rowKey?: string }): IndexedCall | undefined {
    const { callId, firstEventAt, ended, rowKey } = entity;
    const start = firstEventAt instanceof Date ? firstEventAt : typeof firstEventAt === 'string' ? new Date(firstEventAt) : undefined;
    if (typeof callId !== 'string' || start === undefined || Number.isNaN(start.getTime()) || typeof rowKey !== 'string') return undefined;
    return { callId, firstEventAt: start, ended: ended === true, rowKey };
}

/**
 * Keeps a call's index rows in step with its summary. One per process: it remembers which day rows it has
 * written, so a day costs one extra write per process, not one per call.
 */
export class CallIndex {
    readonly #table: TableClient;
    readonly #knownDays = new Set<string>();

    constructor(table: TableClient) {
        this.#table = table;
    }

    /**
     * Writes the rows that say what `summary` says: the call's day row (marked once it has ended) and its
     * `_active` row (present while it has not ended). Idempotent, so any writer may repeat it.
     *
     * @example
     * await index.record(summaryAfterCommit);
     */
    async record(summary: CallSummary): Promise<void> {
        if (summary.firstEventAt === undefined) return;
        const day = dayOf(summary.firstEventAt);
        const rowKey = indexRowKey(summary.firstEventAt, summary.callId);
        const row = { rowKey, callId: summary.callId, firstEventAt: summary.firstEventAt };
        const ended = isCallEnded(summary);
        try {
            await Promise.all([
                this.#recordDay(day),
                ended
                    ? this.#table.upsertEntity({ partitionKey: dayPartition(day), ...row, ended: true }, 'Replace')
                    : this.#createUnlessPresent({ partitionKey: dayPartition(day), ...row, ended: false }),
                ended ? this.#deleteUnlessAbsent(ACTIVE_PARTITION, rowKey) : this.#createUnlessPresent({ partitionKey: ACTIVE_PARTITION, ...row }),
            ]);
        } catch (err) {
            throw new StorageUnavailableError(err);
        }
    }

    /** Removes a call's index rows (its history is being deleted). */
    async forget(callId: string, firstEventAt: Date): Promise<void> {
        const rowKey = indexRowKey(firstEventAt, callId);
        try {
            await Promise.all([this.#deleteUnlessAbsent(dayPartition(dayOf(firstEventAt)), rowKey), this.#deleteUnlessAbsent(ACTIVE_PARTITION, rowKey)]);
        } catch (err) {
            throw new StorageUnavailableError(err);
        }
    }

    /** Removes a day's directory row once its partition holds no call any more. */
    async forgetDay(day: string): Promise<void> {
        this.#knownDays.delete(day);
        try {
            await this.#deleteUnlessAbsent(DAYS_PARTITION, dayRowKey(day));
        } catch (err) {
            throw new StorageUnavailableError(err);
        }
    }

    async #recordDay(day: string): Promise<void> {
        if (this.#knownDays.has(day)) return;
        await this.#table.upsertEntity({ partitionKey: DAYS_PARTITION, rowKey: dayRowKey(day), day }, 'Replace');
        this.#knownDays.add(day);
    }

    /**
     * An active call's rows are only ever added: if the row is there, whoever wrote it knew as much or
     * more (a call that ended meanwhile is marked ended by the write that ended it).
     */
    async #createUnlessPresent(entity: { partitionKey: string; rowKey: string } & Record<string, unknown>): Promise<void> {
        try {
            await this.#table.createEntity(entity);
        } catch (err) {
            if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        }
    }

    async #deleteUnlessAbsent(partitionKey: string, rowKey: string): Promise<void> {
        try {
            await this.#table.deleteEntity(partitionKey, rowKey);
        } catch (err) {
            if (!isNotFound(err)) throw err;
        }
    }
}
