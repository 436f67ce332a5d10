// Reading a range of a call's history rows for the relay: one partition range query, in sequence order; a range of
// one row is a point read (the cheapest read Table Storage has, and what most requests to the bot hold).

import { odata, type TableClient } from '@azure/data-tables';
import type { CallEvent } from '../record/callModel';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { EVENT_ROW_END, eventFromEntity, eventRowKey } from '../record/tableEntities';

/** History rows of a call from `from` to `to` (both inclusive; `to` undefined: to the end), at most `limit`. */
export async function readRows(table: TableClient, callId: string, from: number, to: number | undefined, limit = Number.POSITIVE_INFINITY): Promise<CallEvent[]> {
    if (to === from) return readRow(table, callId, from);
    const upper = to === undefined ? odata`RowKey lt ${EVENT_ROW_END}` : odata`RowKey le ${eventRowKey(to)}`;
    const filter = `${odata`PartitionKey eq ${callId} and RowKey ge ${eventRowKey(from)}`} and ${upper}`;
    const rows: CallEvent[] = [];
    try {
        for await (const page of table.listEntities<Record<string, unknown>>({ queryOptions: { filter } }).byPage({ maxPageSize: Math.min(1000, limit) })) {
            for (const entity of page) {
                rows.push(eventFromEntity(entity));
                if (rows.length >= limit) return rows;
            }
        }
    } catch (err) {
        throw new StorageUnavailableError(err);
    }
    return rows;
}

async function readRow(table: TableClient, callId: string, sequence: number): Promise<CallEvent[]> {
    try {
        return [eventFromEntity(await table.getEntity<Record<string, unknown>>(callId, eventRowKey(sequence)))];
    } catch (err) {
        if (isNotFound(err)) return [];
        throw new StorageUnavailableError(err);
    }
}
