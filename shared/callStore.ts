// The call record's writer: appends events to a call's partition and updates its summary in one
// entity-group transaction guarded by the summary row's ETag, so history and state never disagree and
// sequences stay gapless under any number of writers.
//
// Cost per write does not depend on the call's history: the usual write is a single transaction, built
// from the summary and redelivery markers this process wrote last (or, for a call it has not seen, on the
// guess that the call is new). Redelivery markers (see appendPlan.ts) are written in the same transaction;
// a marker row this process does not know is created, so if it exists the transaction fails with a
// conflict, and only then are the summary and the marker rows read (point reads) and the write planned
// again. Within one process, writes to a call queue up and share transactions.

import type { TableClient, TransactionAction } from '@azure/data-tables';
import { emptySummary, type CallEvent, type CallSummary, type NewCallEvent } from './callModel';
import { MARKER_BUCKETS, markerBucket, markerKeyOf, planAppend, type EventOutcome, type KnownMarkers } from './appendPlan';
import { ServiceUnavailableError } from './errors';
import { isNotFound, isTableNotFound, isWriteConflict, StorageUnavailableError } from './storageErrors';
import {
    eventToEntity,
    markerRowKey,
    markersFromEntity,
    markersToEntity,
    RESOURCE_DATA_LIMIT,
    SUMMARY_ROW_KEY,
    summaryFromEntity,
    summaryToEntity,
} from './tableEntities';

export interface AppendResult {
    /** The events stored, with their sequence numbers, in input order. */
    stored: CallEvent[];
    /** Events recognised as redeliveries and not stored again. */
    duplicates: number;
    /** One per input event, in input order. */
    outcomes: EventOutcome[];
}

export interface CallStoreOptions {
    dedupeWindowSeconds: number;
    /** Attempts per transaction when other writers keep winning. */
    maxAttempts?: number;
    /** How many calls' last written summaries this process remembers. */
    cachedCalls?: number;
}

interface KnownSummary {
    summary: CallSummary;
    etag: string;
}

/** What this process knows of a call: its summary as last written or read, and marker rows by bucket. */
interface KnownCall extends KnownSummary {
    markers: Map<string, KnownMarkers>;
}

interface Submission {
    remaining: number;
    outcomes: EventOutcome[];
    stored: CallEvent[];
    failed: boolean;
    resolve(result: AppendResult): void;
    reject(err: unknown): void;
}

interface QueuedEvent {
    event: NewCallEvent;
    index: number;
    submission: Submission;
}

/** At most 100 operations per transaction: the summary, up to 16 marker rows, one row per event. */
const MAX_OPERATIONS = 100;
const MAX_EVENTS = MAX_OPERATIONS - 1 - MARKER_BUCKETS.length;
/** Keep a transaction well under its 4 MiB limit (resourceData is UTF-16 and JSON-escaped on the wire). */
const MAX_RESOURCE_CHARS = 1_200_000;

export class CallStore {
    readonly table: TableClient;
    private readonly windowSeconds: number;
    private readonly maxAttempts: number;
    private readonly cachedCalls: number;
    private readonly known = new Map<string, KnownCall>();
    private readonly queues = new Map<string, QueuedEvent[]>();
    private tableReady: Promise<void> | undefined;

    constructor(table: TableClient, options: CallStoreOptions) {
        this.table = table;
        this.windowSeconds = options.dedupeWindowSeconds;
        this.maxAttempts = options.maxAttempts ?? 20;
        this.cachedCalls = options.cachedCalls ?? 10_000;
    }

    /**
     * Appends events to a call's history and updates its summary; resolves once they are durably stored.
     *
     * @example
     * const { stored, duplicates } = await store.appendCallEvents('c1', [event]);
     */
    appendCallEvents(callId: string, events: readonly NewCallEvent[]): Promise<AppendResult> {
        if (events.length === 0) {
            return Promise.resolve({ stored: [], duplicates: 0, outcomes: [] });
        }
        return new Promise<AppendResult>((resolve, reject) => {
            const submission: Submission = { remaining: events.length, outcomes: [], stored: [], failed: false, resolve, reject };
            const queued = events.map((event, index) => ({ event, index, submission }));
            const queue = this.queues.get(callId);
            if (queue !== undefined) {
                queue.push(...queued);
                return;
            }
            this.queues.set(callId, queued);
            void this.drain(callId, queued);
        });
    }

    /** The call's summary, or undefined when nothing was ever stored for it. */
    async getCallSummary(callId: string): Promise<CallSummary | undefined> {
        return (await this.readSummary(callId))?.summary;
    }

    /** Creates the table once per process (first use); a failure is retried on the next call. */
    ensureTable(): Promise<void> {
        this.tableReady ??= this.table.createTable().catch((err: unknown) => {
            this.tableReady = undefined;
            throw new StorageUnavailableError(err);
        });
        return this.tableReady;
    }

    private async drain(callId: string, queue: QueuedEvent[]): Promise<void> {
        try {
            while (queue.length > 0) {
                const batch = queue.splice(0, batchSize(queue));
                try {
                    const outcomes = await this.commit(callId, batch.map((item) => item.event));
                    batch.forEach((item, i) => settle(callId, item, outcomes[i] ?? { outcome: 'duplicate' }));
                } catch (err) {
                    for (const item of batch) fail(item.submission, err);
                    // The rest of a failed submission would only be redelivered anyway; drop it from the queue.
                    for (let i = queue.length - 1; i >= 0; i--) {
                        if (queue[i]?.submission.failed) queue.splice(i, 1);
                    }
                }
            }
        } finally {
            this.queues.delete(callId);
        }
    }

    /** One transaction for a batch of events of one call, re-planned after every conflict. */
    private async commit(callId: string, events: NewCallEvent[]): Promise<EventOutcome[]> {
        await this.ensureTable();
        const known = this.known.get(callId);
        let current: KnownSummary | undefined = known;
        let markers: ReadonlyMap<string, KnownMarkers> = known?.markers ?? new Map();
        for (let attempt = 1; ; attempt++) {
            const plan = planAppend(current?.summary ?? emptySummary(callId), events, markers, this.windowSeconds);
            const actions: TransactionAction[] = [
                current === undefined
                    ? ['create', summaryToEntity(plan.summary)]
                    : ['update', summaryToEntity(plan.summary), 'Replace', { etag: current.etag }],
                ...plan.stored.map(({ sequence, event }): TransactionAction => ['create', eventToEntity(callId, sequence, event)]),
                ...plan.markers.map(({ bucket, entries, exists }): TransactionAction => {
                    const entity = markersToEntity(callId, bucket, entries);
                    // Replacing without If-Match is safe: the summary's ETag already serialises every write.
                    return exists ? ['upsert', entity, 'Replace'] : ['create', entity];
                }),
            ];
            try {
                const response = await this.table.submitTransaction(actions);
                const written = new Map(markers);
                if (current === undefined) {
                    // This transaction created the call: none of its other marker rows exist.
                    for (const bucket of MARKER_BUCKETS) if (!written.has(bucket)) written.set(bucket, { entries: new Map(), exists: false });
                }
                for (const { bucket, entries } of plan.markers) written.set(bucket, { entries, exists: true });
                this.remember(callId, plan.summary, response.subResponses[0]?.etag, written);
                return plan.outcomes;
            } catch (err) {
                this.known.delete(callId);
                if (isTableNotFound(err)) {
                    this.tableReady = undefined;
                    await this.ensureTable();
                } else if (!isWriteConflict(err)) {
                    throw new StorageUnavailableError(err);
                }
                if (attempt >= this.maxAttempts) {
                    throw new ServiceUnavailableError(`Call ${callId} is being written by too many writers at once; retry.`, 1, { cause: err });
                }
                await pause(attempt);
                [current, markers] = await Promise.all([this.readSummary(callId), this.readMarkers(callId, events)]);
            }
        }
    }

    private async readSummary(callId: string): Promise<KnownSummary | undefined> {
        try {
            const entity = await this.table.getEntity<Record<string, unknown>>(callId, SUMMARY_ROW_KEY);
            return { summary: summaryFromEntity(entity), etag: entity.etag };
        } catch (err) {
            if (isNotFound(err)) return undefined;
            throw new StorageUnavailableError(err);
        }
    }

    /** Point reads of the marker rows this batch needs: at most 16, whatever the history. */
    private async readMarkers(callId: string, events: readonly NewCallEvent[]): Promise<Map<string, KnownMarkers>> {
        const buckets = this.windowSeconds > 0 ? [...new Set(events.flatMap((event) => (event.dedupeKey ? [markerBucket(markerKeyOf(event.dedupeKey))] : [])))] : [];
        const found = await Promise.all(
            buckets.map(async (bucket): Promise<[string, KnownMarkers]> => {
                try {
                    const entity = await this.table.getEntity<Record<string, unknown>>(callId, markerRowKey(bucket));
                    return [bucket, { entries: markersFromEntity(entity), exists: true }];
                } catch (err) {
                    if (isNotFound(err)) return [bucket, { entries: new Map(), exists: false }];
                    throw new StorageUnavailableError(err);
                }
            }),
        );
        return new Map(found);
    }

    private remember(callId: string, summary: CallSummary, etag: string | undefined, markers: Map<string, KnownMarkers>): void {
        this.known.delete(callId);
        if (etag === undefined) return;
        this.known.set(callId, { summary, etag, markers });
        if (this.known.size > this.cachedCalls) {
            const oldest = this.known.keys().next().value;
            if (oldest !== undefined) this.known.delete(oldest);
        }
    }
}

/** How many queued events fit in one transaction. */
function batchSize(queue: readonly QueuedEvent[]): number {
    let chars = 0;
    let count = 0;
    for (const { event } of queue) {
        const size = Math.min(event.resourceData?.length ?? 0, RESOURCE_DATA_LIMIT);
        if (count > 0 && (count === MAX_EVENTS || chars + size > MAX_RESOURCE_CHARS)) break;
        chars += size;
        count++;
    }
    return count;
}

function settle(callId: string, item: QueuedEvent, outcome: EventOutcome): void {
    const { submission } = item;
    if (submission.failed) return;
    submission.outcomes[item.index] = outcome;
    if (outcome.outcome === 'stored') {
        submission.stored.push({ ...item.event, callId, sequence: outcome.sequence });
    }
    submission.remaining -= 1;
    if (submission.remaining === 0) {
        submission.stored.sort((a, b) => a.sequence - b.sequence);
        const duplicates = submission.outcomes.filter((o) => o.outcome === 'duplicate').length;
        submission.resolve({ stored: submission.stored, duplicates, outcomes: submission.outcomes });
    }
}

function fail(submission: Submission, err: unknown): void {
    if (submission.failed) return;
    submission.failed = true;
    submission.reject(err);
}

/** Jittered, growing pause between attempts, so competing writers do not collide again in step. */
function pause(attempt: number): Promise<void> {
    const ms = Math.min(200, 5 * attempt) * (0.5 + Math.random());
    return new Promise((resolve) => setTimeout(resolve, ms));
}
