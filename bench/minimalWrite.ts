// The least storage work one notification needs, done straight with @azure/data-tables: one entity-group
// transaction that replaces the call's summary row under If-Match and inserts one event row. The rows
// have the app's own shapes (shared/tableEntities), so the floor differs from the app only in the work
// the app adds around them. With markers, each transaction also writes the redelivery marker rows its
// events fall in (`dedupe-0` ... `dedupe-f`, see shared/record/appendPlan.ts): the storage work the app itself
// does per notification, for comparisons that need it.

import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import type { CallSummary, NewCallEvent } from '../shared/record/callModel';
import { parseNotification } from '../shared/callback/notifications';
import { eventToEntity, markersToEntity, summaryToEntity } from '../shared/record/tableEntities';
import { callUpdate } from './notificationBodies';

/** One call's partition as the floor writer knows it. */
export interface FloorPartition {
    summary: CallSummary;
    etag: string;
    /** The event row's content, made once: parsing and hashing are the app's work, not the storage's. */
    event: NewCallEvent;
    /** Whether the writes keep redelivery marker rows, as the app does. */
    withMarkers: boolean;
    /** The marker rows written so far, by bucket. */
    markers: Map<string, Map<string, number>>;
}

const TENANT = 'cccccccc-3333-4333-8333-cccccccccccc';
/** The first level of marker rows, `dedupe-0` ... `dedupe-f` (see shared/record/appendPlan.ts). */
const MARKER_ROWS = 16;

/** The event the app would make of a typical notification, for rows of realistic size. */
function typicalEvent(callId: string): NewCallEvent {
    return parseNotification(callUpdate(callId, 1), { receivedAt: new Date(), tenantId: TENANT }).event;
}

/** Creates the summary row of a call with no history. */
export async function createFloorPartition(table: TableClient, callId: string, options: { withMarkers?: boolean } = {}): Promise<FloorPartition> {
    const summary: CallSummary = { callId, deleted: false, eventCount: 0, duplicateCount: 0, callState: 'established', tenantId: TENANT };
    const created = await table.createEntity(summaryToEntity(summary));
    return { summary, etag: requireEtag(created.etag), event: typicalEvent(callId), withMarkers: options.withMarkers ?? false, markers: new Map() };
}

/** Appends `count` events to the partition, as many per transaction as fit; for building long histories fast. */
export async function fillFloorPartition(table: TableClient, partition: FloorPartition, count: number): Promise<void> {
    // A transaction holds at most 100 operations, the summary's included.
    const perTransaction = partition.withMarkers ? 99 - MARKER_ROWS : 99;
    for (let done = 0; done < count; ) {
        const chunk = Math.min(perTransaction, count - done);
        await writeEvents(table, partition, chunk);
        done += chunk;
    }
}

/** The floor's unit of work: one transaction, summary (If-Match) plus one event. */
export function writeOneEvent(table: TableClient, partition: FloorPartition): Promise<void> {
    return writeEvents(table, partition, 1);
}

async function writeEvents(table: TableClient, partition: FloorPartition, count: number): Promise<void> {
    const { callId } = partition.summary;
    const now = new Date();
    const first = partition.summary.eventCount + 1;
    const summary: CallSummary = { ...partition.summary, eventCount: partition.summary.eventCount + count, lastEventAt: now, firstEventAt: partition.summary.firstEventAt ?? now };
    const template = { ...partition.event, receivedAt: now };
    const rows = Array.from({ length: count }, (_, i): TransactionAction => ['create', eventToEntity(callId, first + i, template)]);
    const markerRows: TransactionAction[] = [];
    if (partition.withMarkers) {
        const touched = new Set<string>();
        for (let i = 0; i < count; i++) {
            const key = randomBytes(16).toString('hex');
            const bucket = key.charAt(0);
            const entries = partition.markers.get(bucket) ?? new Map<string, number>();
            touched.add(bucket);
            entries.set(key, now.getTime());
            partition.markers.set(bucket, entries);
        }
        for (const bucket of touched) {
            markerRows.push(['upsert', markersToEntity(callId, bucket, { entries: partition.markers.get(bucket) ?? new Map() }), 'Replace']);
        }
    }
    const response = await table.submitTransaction([['update', summaryToEntity(summary), 'Replace', { etag: partition.etag }], ...rows, ...markerRows]);
    partition.summary = summary;
    partition.etag = requireEtag(response.subResponses[0]?.etag);
}

function requireEtag(etag: string | undefined): string {
    if (etag === undefined) throw new Error('The table answered without an ETag for the summary row.');
    return etag;
}

/**
 * The minimal write behind an HTTP request: the call id from the first notification's resourceUrl and one
 * transaction for the body's notifications (a call it has not seen gets its summary row first). Used by the
 * bare writer and the minimal function, which stand for "any app" in the throughput comparison.
 */
export class MinimalWriter {
    private readonly table: TableClient;
    private readonly partitions = new Map<string, FloorPartition>();

    constructor(table: TableClient) {
        this.table = table;
    }

    /** Stores the notifications of a callback body; returns how many. */
    async writeBody(text: string): Promise<number> {
        const body = JSON.parse(text) as { value: Array<{ resourceUrl?: string }> };
        const callId = /\/calls\/([^/]+)/.exec(body.value[0]?.resourceUrl ?? '')?.[1];
        if (callId === undefined) throw new Error('The body names no call.');
        let partition = this.partitions.get(callId);
        if (partition === undefined) {
            partition = await createFloorPartition(this.table, callId);
            this.partitions.set(callId, partition);
        }
        const count = body.value.length;
        await (count === 1 ? writeOneEvent(this.table, partition) : fillFloorPartition(this.table, partition, count));
        return count;
    }
}
