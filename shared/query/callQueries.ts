// Reads of one call's record, shared by the HTTP functions and the command line: its summary (a point
// read) and its history as one partition range scan, one request per page; a page's continuation token
// resumes exactly where the page ended. Listing calls is callList.ts, through the call index.

import { odata, type TableClient, type TableEntityResult } from '@azure/data-tables';
import { requireCallId } from '../callId';
import { UNROUTED_PARTITION, type CallEvent, type CallSummary } from '../record/callModel';
import { openContinuationToken, sealContinuationToken } from './continuationToken';
import { NotFoundError } from '../errors';
import { checkPageOptions, DEFAULT_TOP, type PageOptions } from './queryOptions';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { EVENT_ROW_END, EVENT_ROW_PREFIX, eventFromEntity, SUMMARY_ROW_KEY, summaryFromEntity } from '../record/tableEntities';

export interface HistoryPage {
    callId: string;
    /** In sequence order. */
    events: CallEvent[];
    /** Present when the history may go on; pass it back to get the next page. */
    continuationToken?: string;
}

type Entity = TableEntityResult<Record<string, unknown>>;

/**
 * The call's summary; a 404 when nothing was ever recorded for it (or the table does not exist yet).
 *
 * @example
 * const summary = await getCall(table, 'call-1'); // { callId: 'call-1', callState: 'terminated', ... }
 */
export async function getCall(table: TableClient, callId: string): Promise<CallSummary> {
    requireCallId(callId);
    try {
        return summaryFromEntity(await table.getEntity<Record<string, unknown>>(callId, SUMMARY_ROW_KEY));
    } catch (err) {
        if (isNotFound(err)) throw unknownCall(callId);
        throw new StorageUnavailableError(err);
    }
}

/**
 * One page of a call's history in sequence order: a single range query over the call's partition.
 * A 404 when the call has no history at all.
 *
 * @example
 * let page = await listCallHistory(table, 'call-1', { top: 500 });
 * while (page.continuationToken) page = await listCallHistory(table, 'call-1', { top: 500, continuationToken: page.continuationToken });
 */
export async function listCallHistory(table: TableClient, callId: string, options: PageOptions = {}): Promise<HistoryPage> {
    requireCallId(callId);
    const page = await listPartitionEvents(table, callId, options);
    if (page.events.length === 0 && page.continuationToken === undefined && options.continuationToken === undefined) {
        throw unknownCall(callId);
    }
    return page;
}

/**
 * One page of the notifications no call could be found for (`rejected` events of the `_unrouted` partition).
 *
 * @example
 * const { events } = await listUnroutedNotifications(table, { top: 100 });
 */
export function listUnroutedNotifications(table: TableClient, options: PageOptions = {}): Promise<HistoryPage> {
    return listPartitionEvents(table, UNROUTED_PARTITION, options);
}

async function listPartitionEvents(table: TableClient, partition: string, options: PageOptions): Promise<HistoryPage> {
    const filter = odata`PartitionKey eq ${partition} and RowKey ge ${EVENT_ROW_PREFIX} and RowKey lt ${EVENT_ROW_END}`;
    const page = await queryPage(table, filter, options);
    return { callId: partition, events: page.entities.map(eventFromEntity), ...tokenOf(page) };
}

/**
 * Exactly one page of the SDK (one request to the table), resumed from the caller's token. The token is
 * sealed to `filter`, so it cannot be replayed against any other query. A table that does not exist
 * yet holds no calls.
 */
async function queryPage(table: TableClient, filter: string, options: PageOptions): Promise<{ entities: Entity[]; continuationToken?: string }> {
    checkPageOptions(options);
    const sdkToken = options.continuationToken === undefined ? undefined : openContinuationToken(filter, options.continuationToken);
    try {
        const pages = table
            .listEntities<Record<string, unknown>>({ queryOptions: { filter } })
            .byPage({ maxPageSize: options.top ?? DEFAULT_TOP, ...(sdkToken === undefined ? {} : { continuationToken: sdkToken }) });
        const { value: page } = await pages.next();
        const entities = page ?? [];
        return { entities, ...(entities.continuationToken ? { continuationToken: sealContinuationToken(filter, entities.continuationToken) } : {}) };
    } catch (err) {
        // A query matches no rows rather than failing, so a 404 can only mean the table does not exist
        // (the SDK puts TableNotFound in err.details for queries, not in err.code).
        if (isNotFound(err)) return { entities: [] };
        throw new StorageUnavailableError(err);
    }
}

function tokenOf(page: { continuationToken?: string }): { continuationToken?: string } {
    return page.continuationToken === undefined ? {} : { continuationToken: page.continuationToken };
}

function unknownCall(callId: string): NotFoundError {
    return new NotFoundError(`Nothing is recorded for call ${callId}: no notification or hang-up for it was stored.`);
}
