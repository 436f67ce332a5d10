// Rows of a call's partition that its events change, beside the summary and the history: the roster is one
// kind (participants/). A higher room describes the kind (its columns, what an event changes); the record
// writes the rows in the transaction of the event that changed them, under the summary's ETag, so they never
// disagree with the history.
//
// A change larger than one transaction (100 entities) is split without giving up the all-or-nothing promise
// for the event: the rows that do not fit beside the event are first written *staged*, each keeping its
// value as it was and carrying the new one in `staged`, marked with an attempt id (`stagedBy`). Staged values
// count for nobody until the transaction that stores the event names that attempt on the summary
// (`stagedCommit`): then all of them count at once, with the event. If the attempt stops before, its staged
// values never count and are overwritten later. Afterwards the writer folds the staged values into the rows
// (a fold changes no value anyone reads, so it may take any number of transactions and stop anywhere); what
// it leaves unfolded counts through `stagedCommit` until the next split folds it.

import { odata, type TableClient } from '@azure/data-tables';
import type { FieldList } from './callFields';
import type { CallSummary, NewCallEvent } from './callModel';
import { isNotFound, StorageUnavailableError } from './storageErrors';
import { columnsOf, decodeColumns, encodeColumns, fieldsOf, type Entity, type StoredEntity } from './tableEntities';

/** The summary column naming the attempt whose staged row values count (see above); absent when none does. */
export const STAGED_COMMIT_COLUMN = 'stagedCommit';
/** On a derived row: the new value of an attempt, as JSON of its columns, and the attempt's id. */
const STAGED_COLUMN = 'staged';
const STAGED_BY_COLUMN = 'stagedBy';

/** Every derived row says which stored event last changed it; a row without it has only a staged value. */
export interface DerivedRow {
    /** The history sequence of the event that last changed the row. */
    sequence: number;
}

/** The rows one plan may read and change, by key: the loaded ones, and the plan's changes over them. */
export class RowSet<R extends DerivedRow> {
    readonly #loaded: ReadonlyMap<string, R>;
    readonly #changed = new Map<string, R>();
    /** Every row of the kind was loaded, so `all()` may be used. */
    readonly complete: boolean;

    constructor(loaded: ReadonlyMap<string, R>, complete: boolean) {
        this.#loaded = loaded;
        this.complete = complete;
    }

    get(key: string): R | undefined {
        return this.#changed.get(key) ?? this.#loaded.get(key);
    }

    set(key: string, row: R): void {
        this.#changed.set(key, row);
    }

    /** Every row as the plan leaves it, with its key; only for a complete set. */
    entries(): Array<{ key: string; row: R }> {
        if (!this.complete) throw new Error('RowSet.entries() needs every row of the kind loaded.');
        return [...new Map([...this.#loaded, ...this.#changed])].map(([key, row]) => ({ key, row }));
    }

    /** The rows whose stored columns the plan changed. */
    changes(fields: FieldList): Array<{ key: string; row: R }> {
        const same = (a: R | undefined, b: R) => a !== undefined && JSON.stringify(columnsOf(fields, a)) === JSON.stringify(columnsOf(fields, b));
        return [...this.#changed].filter(([key, row]) => !same(this.#loaded.get(key), row)).map(([key, row]) => ({ key, row }));
    }
}

/**
 * A kind of derived row. `Change` is what one event brings for these rows, read from the event as it
 * arrived (before any value of it is cut to fit the table); `Row` the plain row.
 */
export interface DerivedRowKind<Change = unknown, Row extends DerivedRow = DerivedRow> {
    /** RowKey prefix of the rows (never `event-`, `dedupe-` or `state`); the row's key follows it. */
    readonly prefix: string;
    /** The row's columns, described as callFields.ts describes the summary; `sequence` among them. */
    readonly fields: FieldList;
    /** What the event changes in these rows, or undefined when it changes none. */
    changeOf(event: NewCallEvent): Change | undefined;
    /** The rows applying these changes reads: every row of the kind, or the named keys. */
    rowsNeeded(changes: readonly Change[]): 'all' | string[];
    /** One stored event's change: sets the rows it changes in `rows`, returns the summary after it. Pure. */
    apply(input: { summary: CallSummary; sequence: number; event: NewCallEvent; change: Change; rows: RowSet<Row> }): CallSummary;
}

/** The rows of a kind as read, resolved against the summary's `stagedCommit`. */
export interface LoadedRows<R extends DerivedRow = DerivedRow> {
    /** Each row's value that counts, by key. */
    values: Map<string, R>;
    /** Keys of the entities that exist (a row may exist with no value that counts yet). */
    existing: Set<string>;
    /** Keys whose value that counts is a staged one: a later split must fold them first. */
    stagedValues: Set<string>;
    complete: boolean;
}

function rowKeyOf(kind: DerivedRowKind, key: string): string {
    return kind.prefix + key;
}

/** A row as a live value: its columns, no staged value. */
export function rowEntity(kind: DerivedRowKind, callId: string, key: string, row: DerivedRow): Entity {
    return { partitionKey: callId, rowKey: rowKeyOf(kind, key), ...columnsOf(kind.fields, row) };
}

/** A row that keeps the value that counts now (`current`, none for a new row) and carries `next` for the attempt. */
export function stagedRowEntity(kind: DerivedRowKind, callId: string, key: string, current: DerivedRow | undefined, next: DerivedRow, attempt: string): Entity {
    return {
        ...(current === undefined ? { partitionKey: callId, rowKey: rowKeyOf(kind, key) } : rowEntity(kind, callId, key, current)),
        [STAGED_COLUMN]: encodeColumns(kind.fields, next),
        [STAGED_BY_COLUMN]: attempt,
    };
}

/** The value of a row entity that counts: its staged one when the summary names that attempt, else its own. */
function rowValueOf<R extends DerivedRow>(
    kind: DerivedRowKind<unknown, R>,
    entity: Readonly<Record<string, unknown>>,
    stagedCommit: string | undefined,
): { value?: R; staged: boolean } {
    const staged = entity[STAGED_COLUMN];
    const decoded = stagedCommit !== undefined && entity[STAGED_BY_COLUMN] === stagedCommit && typeof staged === 'string' ? decodeColumns(kind.fields, staged) : undefined;
    // A staged value that does not decode was not written by this app: the row's own value counts.
    if (decoded !== undefined) return { value: decoded as unknown as R, staged: true };
    if (entity.sequence === undefined || entity.sequence === null) return { staged: false };
    return { value: fieldsOf(kind.fields, entity) as unknown as R, staged: false };
}

/**
 * Reads the rows of a kind: every one (one range query) or the named ones (point reads). Read after the
 * summary whose `stagedCommit` resolves them, so a row is at least as new as that summary.
 */
export async function readDerivedRows<R extends DerivedRow>(
    table: TableClient,
    callId: string,
    kind: DerivedRowKind<unknown, R>,
    needed: 'all' | readonly string[],
    stagedCommit: string | undefined,
): Promise<LoadedRows<R>> {
    const loaded: LoadedRows<R> = { values: new Map(), existing: new Set(), stagedValues: new Set(), complete: needed === 'all' };
    const take = (key: string, entity: Readonly<Record<string, unknown>>) => {
        loaded.existing.add(key);
        const { value, staged } = rowValueOf(kind, entity, stagedCommit);
        if (value === undefined) return;
        loaded.values.set(key, value);
        if (staged) loaded.stagedValues.add(key);
    };
    try {
        if (needed === 'all') {
            const filter = odata`PartitionKey eq ${callId} and RowKey ge ${kind.prefix} and RowKey lt ${prefixEnd(kind.prefix)}`;
            for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
                take(String(entity.rowKey).slice(kind.prefix.length), entity);
            }
        } else {
            const found = await Promise.all([...new Set(needed)].map(async (key) => [key, await pointRead(table, callId, rowKeyOf(kind, key))] as const));
            for (const [key, entity] of found) if (entity !== undefined) take(key, entity);
        }
    } catch (err) {
        if (err instanceof StorageUnavailableError) throw err;
        if (isNotFound(err)) return loaded;
        throw new StorageUnavailableError(err);
    }
    return loaded;
}

async function pointRead(table: TableClient, partitionKey: string, rowKey: string): Promise<StoredEntity | undefined> {
    try {
        return await table.getEntity<Record<string, unknown>>(partitionKey, rowKey);
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
    }
}

/** The first RowKey after every key with this prefix: its last character, one higher (`participant-` -> `participant.`). */
function prefixEnd(prefix: string): string {
    return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
