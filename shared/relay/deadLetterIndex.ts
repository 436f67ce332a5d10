// Calls with dead-lettered notifications, listed without reading the table (`GET /api/calls?relay=failed`): one row
// per such call in the partition `_relay-failed`, keyed like the call index (newest start first), so a listing reads
// it as it reads `_active`. The row is written before the write that dead-letters (a crash between the two leaves a
// row whose call has no dead letter, which the listing skips, since it checks every call's summary), and removed
// once a replay has delivered them all.

import type { TableClient } from '@azure/data-tables';
import { indexRowKey } from '../record/callIndex';
import type { CallSummary } from '../record/callModel';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';

export const DEAD_LETTER_PARTITION = '_relay-failed';

export async function recordDeadLetters(table: TableClient, summary: CallSummary): Promise<void> {
    if (summary.firstEventAt === undefined) return;
    const row = { partitionKey: DEAD_LETTER_PARTITION, rowKey: indexRowKey(summary.firstEventAt, summary.callId), callId: summary.callId, firstEventAt: summary.firstEventAt };
    try {
        await table.upsertEntity(row, 'Replace');
    } catch (err) {
        throw new StorageUnavailableError(err);
    }
}

export async function forgetDeadLetters(table: TableClient, callId: string, firstEventAt: Date): Promise<void> {
    try {
        await table.deleteEntity(DEAD_LETTER_PARTITION, indexRowKey(firstEventAt, callId));
    } catch (err) {
        if (!isNotFound(err)) throw new StorageUnavailableError(err);
    }
}
