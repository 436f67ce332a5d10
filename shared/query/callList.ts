// Lists calls newest first by start, from the call index (see callIndex.ts), never by reading the table:
// every request names one partition. A page reads at most `top` index rows, from the newest day of the
// range to the oldest (or from `_active` when only calls that have not ended can match, or from `_relay-failed`,
// the relay's index of calls with dead-lettered notifications, for `relay=failed`), then point-reads
// those calls' summaries, so what it shows is each summary as it is now. Its cost is bounded by `top` and
// the days the range spans, never by the size of the table or the length of any call's history.

import { odata, type TableClient } from '@azure/data-tables';
import type { CallSummary } from '../record/callModel';
import { ACTIVE_PARTITION, dayOf, dayOfRowKey, dayPartition, dayRowKey, DAYS_PARTITION, indexedCallOf, startKey, type IndexedCall } from '../record/callIndex';
import { isCallEnded } from '../record/callState';
import { DEAD_LETTER_PARTITION } from '../relay/deadLetterIndex';
import { inParallel } from '../inParallel';
import { openContinuationToken, sdkPositionOf, sealContinuationToken } from './continuationToken';
import { checkCallListOptions, DEFAULT_TOP, type CallListOptions } from './queryOptions';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { SUMMARY_ROW_KEY, summaryFromEntity } from '../record/tableEntities';

export interface CallListPage {
    /** Newest first by `firstEventAt`. A page may hold fewer than `top` calls (even none) and still carry a token. */
    calls: CallSummary[];
    continuationToken?: string;
}

/** Days of the directory read per page: a page that finds them all empty ends and says where to go on. */
const DAYS_PER_PAGE = 31;
/** Index queries per page at most; the service may cut any query short, and a page must end. */
const QUERIES_PER_PAGE = 40;
/** Summaries read at once. */
const SUMMARY_READS_IN_FLIGHT = 16;

/**
 * Where a page ended: the day partition to go on in (`d`; absent for `_active`) and the RowKey to go on
 * after (`k`, exclusive) or from (`n`, inclusive: where the service said its next page starts).
 */
interface Position {
    d?: string;
    k?: string;
    n?: string;
}

/**
 * One page of calls, newest first. `since`/`until` bound the start (`firstEventAt`), `state` is the call's
 * current state, `active` whether it has ended. `_unrouted` is not a call and is never listed.
 *
 * @example
 * const { calls, continuationToken } = await listCalls(table, { active: true, since: new Date(Date.now() - 3600_000) });
 */
export async function listCalls(table: TableClient, options: CallListOptions = {}): Promise<CallListPage> {
    checkCallListOptions(options);
    const top = options.top ?? DEFAULT_TOP;
    // A terminated call has ended, a call in any other state has not: `state` says which rows can match.
    const endedByActive = options.active === undefined ? undefined : !options.active;
    const endedByState = options.state === undefined ? undefined : options.state === 'terminated';
    if (endedByActive !== undefined && endedByState !== undefined && endedByActive !== endedByState) {
        return { calls: [] };
    }
    const wantsEnded = endedByActive ?? endedByState;
    const query = queryKey(options);
    const start = options.continuationToken === undefined ? {} : openPosition(query, options.continuationToken);
    const source =
        options.relay === 'failed'
            ? partitionSource(DEAD_LETTER_PARTITION, options)
            : wantsEnded === false
              ? partitionSource(ACTIVE_PARTITION, options)
              : daySource(options, wantsEnded === true);
    const { rows, next } = await source.read(table, start, top);
    const summaries = await readSummaries(table, rows);
    const calls = summaries.filter((summary): summary is CallSummary => summary !== undefined && matches(summary, options));
    return { calls, ...(next === undefined ? {} : { continuationToken: sealContinuationToken(query, JSON.stringify(next)) }) };
}

interface Source {
    read(table: TableClient, from: Position, top: number): Promise<{ rows: IndexedCall[]; next?: Position }>;
}

/** Calls of one index partition, in one range: `_active` (calls that have not ended), `_relay-failed` (calls with dead letters). */
function partitionSource(partition: string, options: CallListOptions): Source {
    return {
        async read(table, from, top) {
            const rows: IndexedCall[] = [];
            const next = await readPartition(table, partition, from, range(options), '', top, rows, QUERIES_PER_PAGE);
            return { rows, ...(next === undefined ? {} : { next }) };
        },
    };
}

/** Every call (or the ended ones): the day partitions of the range, newest day first. */
function daySource(options: CallListOptions, endedOnly: boolean): Source {
    const extra = endedOnly ? ' and ended eq true' : '';
    return {
        async read(table, from, top) {
            const newest = from.d ?? (options.until === undefined ? undefined : dayOf(new Date(options.until.getTime() - 1)));
            const oldest = options.since === undefined ? undefined : dayOf(options.since);
            const days = await readDays(table, newest, oldest);
            const rows: IndexedCall[] = [];
            let queries = 0;
            for (const [i, day] of days.entries()) {
                const position = day === from.d ? from : {};
                const budget = QUERIES_PER_PAGE - queries;
                const next = await readPartition(table, dayPartition(day), position, range(options), extra, top, rows, budget, () => queries++);
                if (next !== undefined) return { rows, next: { ...next, d: day } };
                if (rows.length >= top || queries >= QUERIES_PER_PAGE) {
                    // This day is done and the page is: the next page starts with the next day that has calls.
                    const following = days[i + 1];
                    if (following !== undefined) return { rows, next: { d: following } };
                    return { rows, ...(days.length === DAYS_PER_PAGE ? olderThan(day, oldest) : {}) };
                }
            }
            // Every day the directory gave was read; if it gave as many as asked, there may be older ones.
            const last = days.at(-1);
            return { rows, ...(days.length === DAYS_PER_PAGE && last !== undefined ? olderThan(last, oldest) : {}) };
        },
    };
}

/** Go on with the days before `day` (a bound for the directory, not always a date), unless the range ends. */
function olderThan(day: string, oldest: string | undefined): { next?: Position } {
    const previous = String(Number(day) - 1).padStart(8, '0');
    return oldest !== undefined && previous < oldest ? {} : { next: { d: previous } };
}

/** Days that have calls, newest first, from `newest` back to `oldest` (both inclusive, either open). */
async function readDays(table: TableClient, newest: string | undefined, oldest: string | undefined): Promise<string[]> {
    const filter = [
        odata`PartitionKey eq ${DAYS_PARTITION}`,
        ...(newest === undefined ? [] : [odata`RowKey ge ${dayRowKey(newest)}`]),
        ...(oldest === undefined ? [] : [odata`RowKey le ${dayRowKey(oldest)}`]),
    ].join(' and ');
    const page = await queryOnce(table, filter, DAYS_PER_PAGE);
    return page.rows.flatMap((row) => (typeof row.rowKey === 'string' ? [dayOfRowKey(row.rowKey)] : []));
}

/** RowKey bounds of a start-time range: later starts sort first. */
function range(options: CallListOptions): string {
    return [
        ...(options.until === undefined ? [] : [odata`RowKey ge ${startKey(options.until.getTime() - 1)}`]),
        ...(options.since === undefined ? [] : [odata`RowKey lt ${`${startKey(options.since.getTime())}.`}`]),
    ]
        .map((clause) => ` and ${clause}`)
        .join('');
}

/**
 * Reads index rows of one partition into `rows` until there are `top` or the partition (within the range)
 * is done; the position to go on from, unless it is done.
 */
async function readPartition(
    table: TableClient,
    partition: string,
    from: Position,
    rangeFilter: string,
    extra: string,
    top: number,
    rows: IndexedCall[],
    budget: number,
    counted: () => void = () => undefined,
): Promise<Position | undefined> {
    let position: Position = from;
    for (let queries = 0; queries < budget; queries++) {
        const after = position.k !== undefined ? odata` and RowKey gt ${position.k}` : position.n !== undefined ? odata` and RowKey ge ${position.n}` : '';
        counted();
        const page = await queryOnce(table, `${odata`PartitionKey eq ${partition}`}${after}${rangeFilter}${extra}`, top - rows.length);
        for (const row of page.rows) {
            const indexed = indexedCallOf(row);
            if (indexed !== undefined) rows.push(indexed);
        }
        // The service gives a continuation only when rows are left (in the range) after these.
        if (page.nextRowKey === undefined) return undefined;
        const lastKey = page.rows.at(-1)?.rowKey;
        if (rows.length >= top) return typeof lastKey === 'string' ? { k: lastKey } : { n: page.nextRowKey };
        position = { n: page.nextRowKey };
    }
    return position;
}

/** One request: at most `top` rows, and where the service says the next rows start, if it says so. */
async function queryOnce(table: TableClient, filter: string, top: number): Promise<{ rows: Array<Record<string, unknown>>; nextRowKey?: string }> {
    try {
        const pages = table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: top });
        const { value } = await pages.next();
        const rows = value ?? [];
        const next = rows.continuationToken === undefined ? undefined : sdkPositionOf(rows.continuationToken);
        return { rows: [...rows], ...(next?.nextRowKey === undefined ? {} : { nextRowKey: next.nextRowKey }) };
    } catch (err) {
        // A query matches no rows rather than failing: a 404 means the table does not exist yet.
        if (isNotFound(err)) return { rows: [] };
        throw new StorageUnavailableError(err);
    }
}

/** The summaries of the rows, in order; undefined where a row names no call (any more) or another start. */
async function readSummaries(table: TableClient, rows: readonly IndexedCall[]): Promise<Array<CallSummary | undefined>> {
    const summaries: Array<CallSummary | undefined> = new Array(rows.length);
    await inParallel(rows, SUMMARY_READS_IN_FLIGHT, async (row, i) => {
        try {
            const summary = summaryFromEntity(await table.getEntity<Record<string, unknown>>(row.callId, SUMMARY_ROW_KEY));
            // A call deleted and recorded again since has a new start, and a row of its own.
            summaries[i] = summary.firstEventAt?.getTime() === row.firstEventAt.getTime() ? summary : undefined;
        } catch (err) {
            if (!isNotFound(err)) throw new StorageUnavailableError(err);
        }
    });
    return summaries;
}

/** The filters, applied to the summary as read now: an index row may be older than the summary. */
function matches(summary: CallSummary, options: CallListOptions): boolean {
    if (options.state !== undefined && summary.callState !== options.state) return false;
    if (options.active !== undefined && options.active === isCallEnded(summary)) return false;
    if (options.relay === 'failed' && (summary.relayFailed ?? 0) === 0) return false;
    return true;
}

/** What a token is bound to: every filter, none of the paging. */
function queryKey(options: CallListOptions): string {
    return JSON.stringify({
        list: 'calls',
        state: options.state ?? null,
        active: options.active ?? null,
        since: options.since?.toISOString() ?? null,
        until: options.until?.toISOString() ?? null,
        ...(options.relay === undefined ? {} : { relay: options.relay }),
    });
}

function openPosition(query: string, token: string): Position {
    return JSON.parse(openContinuationToken(query, token, isPosition)) as Position;
}

const DAY = /^\d{8}$/;
const ROW_KEY = /^[\x21-\x7e]{1,200}$/;

function isPosition(text: string): boolean {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return false;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const entries = Object.entries(value);
    return (
        entries.length > 0 &&
        entries.every(([key, field]) =>
            key === 'd' ? typeof field === 'string' && DAY.test(field) : (key === 'k' || key === 'n') && typeof field === 'string' && ROW_KEY.test(field),
        ) &&
        !('k' in value && 'n' in value)
    );
}
