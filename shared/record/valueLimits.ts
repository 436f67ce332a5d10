// What Table Storage can hold, and fitting the call record into it: every stored string is cut to its
// field's limit (callFields.ts) with the field named in `truncatedFields`, and a transaction is measured
// by all of its rows, so nothing the app sends is refused for its size. A value the storage cannot hold
// would otherwise be refused on every redelivery, for ever.

import type { TransactionAction } from '@azure/data-tables';
import { EVENT_FIELDS } from './callFields';
import type { NewCallEvent } from './callModel';

/** Operations in one entity-group transaction. */
export const MAX_OPERATIONS = 100;
/**
 * A transaction's body may have 4 MiB. What we send is measured as JSON (escapes included), plus room for
 * each operation's multipart headers and type annotations; the rest is margin.
 */
const MAX_TRANSACTION_BYTES = 3_500_000;
const OPERATION_OVERHEAD_BYTES = 1_024;
const ANNOTATION_BYTES = 48;

/**
 * The event with every string within its field's limit; the cut fields are named in `truncatedFields`.
 *
 * @example
 * fitToTable({ ...event, resultMessage: 'm'.repeat(70_000) }).truncatedFields // ['resultMessage']
 */
export function fitToTable(event: NewCallEvent): NewCallEvent {
    const cut: string[] = [];
    const fitted: Record<string, unknown> = { ...event };
    for (const [name, spec] of Object.entries(EVENT_FIELDS) as Array<[string, { limit?: number; truncatedFlag?: string }]>) {
        const value = fitted[name];
        if (spec.limit === undefined || typeof value !== 'string' || value.length <= spec.limit) continue;
        fitted[name] = cutText(value, spec.limit);
        if (spec.truncatedFlag !== undefined) fitted[spec.truncatedFlag] = true;
        cut.push(name);
    }
    if (cut.length === 0) return event;
    fitted.truncatedFields = [...new Set([...(event.truncatedFields ?? []), ...cut])];
    return fitted as unknown as NewCallEvent;
}

/** Whether a transaction stays within the operation and size limits of one entity-group transaction. */
export function transactionFits(actions: readonly TransactionAction[]): boolean {
    if (actions.length > MAX_OPERATIONS) return false;
    let bytes = 0;
    for (const action of actions) {
        const entity = action[1] as Record<string, unknown>;
        bytes += OPERATION_OVERHEAD_BYTES + Buffer.byteLength(JSON.stringify(entity)) + ANNOTATION_BYTES * Object.keys(entity).length;
        if (bytes > MAX_TRANSACTION_BYTES) return false;
    }
    return true;
}

/** The first `limit` UTF-16 units, without splitting a surrogate pair. */
function cutText(text: string, limit: number): string {
    const last = text.charCodeAt(limit - 1);
    return text.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}
