// The call record's writer: appends events to a call's partition and updates its summary in one
// entity-group transaction, so history and state never disagree and sequences stay gapless under any
// number of writers.
//
// How writers are serialised. Every transaction on a call's partition writes its summary row: created
// when the call is new, else replaced under the ETag (If-Match) its plan was made from, so it commits
// only if nothing else committed to the partition since that summary was read. Marker rows (see
// appendPlan.ts) change only in such transactions. A plan is made from one of two sources:
// - what this process itself committed last (the cache): if the transaction commits, nobody committed in
//   between, so the cached marker rows were exact;
// - after a conflict, from reads in this order: the summary first, the marker rows strictly after it. A
//   marker row read after the summary is at least as new as that summary; if it is newer, someone
//   committed in between, the summary's ETag is stale, and the transaction fails with 412 and is planned
//   again. So a plan never pairs a summary ETag with older markers, and a marker row the plan read may be
//   replaced without If-Match: the summary's If-Match proves it is still the row that was read.
// A marker row the plan does not know is created, never replaced, so if it exists the transaction fails
// with 409 and is planned again from reads.
//
// Cost per write does not depend on the call's history: the usual write is one transaction, planned from
// the cache (or, for a call this process has not seen, on the guess that it is new), with no read. Reads
// happen only after a conflict: the summary, then the marker rows on the paths of the batch's keys, and
// the history only when the summary row is missing although the call has events (deleted by hand): then
// the summary is rebuilt from the history and the write appends after its last event.
//
// Permanent and transient failures differ. Every string is cut to what the table holds before it is
// planned (valueLimits.ts) and a transaction is sized by all its rows, so the storage should never refuse
// content; if it does (400 or 413), the batch is halved until the refused event is alone, and that event
// is stored as `rejected` with the storage's reason, so no POST fails for another's content and nothing
// is answered "retry" for ever. Only when even a bare `rejected` event is refused (the storage refuses
// the call itself, not a value) is the answer "retry". Outages (5xx, timeouts, network) stay errors that
// ask the sender to retry.
// Within one process, writes to a call queue up and share transactions.
//
// The call index (callIndex.ts) and the call-ended event live outside the call's partition; they are
// written after the transaction that creates or ends a call, before the write resolves (see afterCommit).
//
// Two more writers share the summary row's ETag: `extendPlan` lets the composition root add to the summary a
// commit writes (the relay claims the notifications it stores, in the same transaction), and `updateCall`
// changes a call's summary and merges fields into its history rows in one transaction (the relay records its
// deliveries). History rows are otherwise only ever created, so a merge into them cannot undo another write.

import type { TableClient, TableTransactionResponse, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { LRUCache } from 'lru-cache';
import { DEFAULT_MARKER_ROW_CAPACITY, eventMarkerKey, MAX_MARKER_ROW_CAPACITY, planAppend, type AppendPlan, type KnownMarkerRow, type PlannedOutcome } from './appendPlan';
import { emptySummary, EVENT_KIND, type CallEvent, type CallSummary, type EventDelivery, type NewCallEvent } from './callModel';
import { CallIndex } from './callIndex';
import { isCallEnded, summaryFromHistory } from './callState';
import { NotFoundError, ServiceUnavailableError } from '../errors';
import { isContentRefused, isNotFound, isTableNotFound, isWriteConflict, storageReason, StorageUnavailableError } from './storageErrors';
import {
    EVENT_ROW_END,
    EVENT_ROW_PREFIX,
    eventDeliveryToEntity,
    eventFromEntity,
    eventToEntity,
    markerRowKey,
    markersFromEntity,
    markersToEntity,
    SUMMARY_ROW_KEY,
    summaryFromEntity,
    summaryToEntity,
} from './tableEntities';
import { fitToTable, MAX_OPERATIONS, transactionFits } from './valueLimits';

/** An event stored as `rejected` instead, because the storage refused it as it was. */
type EventOutcome = PlannedOutcome | { outcome: 'rejected'; sequence: number; reason: string };

export interface AppendResult {
    /** The events stored (as stored: cut, or the `rejected` stand-in), with their sequence numbers. */
    stored: CallEvent[];
    /** Events recognised as redeliveries and not stored again. */
    duplicates: number;
    /** One per input event, in input order. */
    outcomes: EventOutcome[];
    /** The summary as the last transaction that held these events wrote it; undefined when none was written (no events). */
    summary?: CallSummary;
}

/** Adds to the summary a commit writes; pure. `stored` are the events the commit stores, with their sequences. */
export type PlanExtension = (callId: string, before: CallSummary, planned: CallSummary, stored: ReadonlyArray<{ sequence: number; event: NewCallEvent }>) => CallSummary;

/** What `updateCall` writes in one transaction: the whole summary (replaced under its ETag), and fields merged into history rows. */
export interface CallUpdate {
    summary: CallSummary;
    events?: ReadonlyArray<{ sequence: number; fields: EventDelivery }>;
}

export interface UpdateOptions {
    /** Start from the summary as the table has it now rather than from what this process wrote last. */
    fresh?: boolean;
}

export interface CallStoreOptions {
    dedupeWindowSeconds: number;
    /** Attempts per transaction when other writers keep winning. */
    maxAttempts?: number;
    /** How many calls' last written summaries and marker rows this process remembers. */
    cachedCalls?: number;
    /** Keys inside the window a marker row takes before it splits (appendPlan.ts): 1 to 780, default 700. */
    markerRowCapacity?: number;
    /**
     * Told of a call that has ended, before the write that ended it is acknowledged (and again on a
     * redelivery of any of its notifications); a failure fails the write, so the sender retries.
     */
    onCallEnded?: (summary: CallSummary) => Promise<void>;
    /** Adds to the summary every commit writes (see PlanExtension). */
    extendPlan?: PlanExtension;
}

/** What this process knows of a call: its summary (no ETag: the row does not exist) and marker rows by prefix. */
interface KnownCall {
    summary: CallSummary;
    etag?: string;
    markers: Map<string, KnownMarkerRow>;
}

interface Submission {
    remaining: number;
    outcomes: EventOutcome[];
    stored: CallEvent[];
    summary?: CallSummary;
    failed: boolean;
    resolve(result: AppendResult): void;
    reject(err: unknown): void;
}

interface QueuedEvent {
    kind: 'event';
    event: NewCallEvent;
    index: number;
    submission: Submission;
}

/** An `updateCall` waiting its turn behind the writes queued before it. */
interface QueuedUpdate {
    kind: 'update';
    run(): Promise<void>;
}

type QueuedWrite = QueuedEvent | QueuedUpdate;

/** What became of one event of a commit, and the event as stored. */
interface Committed {
    outcome: EventOutcome;
    event: NewCallEvent;
    /** The summary the commit wrote. */
    summary: CallSummary;
}

/** A transaction holds the summary and at least one row per stored event. */
const MAX_EVENTS = MAX_OPERATIONS - 1;

export class CallStore {
    readonly table: TableClient;
    private readonly windowSeconds: number;
    private readonly maxAttempts: number;
    private readonly rowCapacity: number;
    private readonly known: LRUCache<string, KnownCall>;
    private readonly queues = new Map<string, QueuedWrite[]>();
    private readonly index: CallIndex;
    private readonly onCallEnded: ((summary: CallSummary) => Promise<void>) | undefined;
    private readonly extendPlan: PlanExtension | undefined;
    private tableReady: Promise<void> | undefined;

    constructor(table: TableClient, options: CallStoreOptions) {
        this.table = table;
        this.windowSeconds = options.dedupeWindowSeconds;
        this.maxAttempts = options.maxAttempts ?? 20;
        this.rowCapacity = options.markerRowCapacity ?? DEFAULT_MARKER_ROW_CAPACITY;
        if (!Number.isInteger(this.rowCapacity) || this.rowCapacity < 1 || this.rowCapacity > MAX_MARKER_ROW_CAPACITY) {
            throw new RangeError(`markerRowCapacity must be a whole number from 1 to ${MAX_MARKER_ROW_CAPACITY} (a marker row is one string property).`);
        }
        this.known = new LRUCache({ max: options.cachedCalls ?? 10_000 });
        this.index = new CallIndex(table);
        this.onCallEnded = options.onCallEnded;
        this.extendPlan = options.extendPlan;
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
            this.enqueue(
                callId,
                events.map((event, index): QueuedEvent => ({ kind: 'event', event: fitToTable(event), index, submission })),
            );
        });
    }

    /**
     * Changes a call's summary, and merges fields into its history rows, in one transaction under the summary's
     * ETag: `change` is given the summary and says what to write (undefined: nothing), and is asked again with the
     * summary as it is now whenever another writer got there first. Queued behind this process's other writes to
     * the call. Resolves with the summary as written (or as read, when nothing was), and whether it was written.
     *
     * @example
     * await store.updateCall('c1', (summary) => ({ summary: { ...summary, relayedThrough: 3 } }));
     */
    updateCall(callId: string, change: (summary: CallSummary) => CallUpdate | undefined, options: UpdateOptions = {}): Promise<{ summary: CallSummary; written: boolean }> {
        return new Promise((resolve, reject) => {
            this.enqueue(callId, [{ kind: 'update', run: () => this.update(callId, change, options).then(resolve, reject) }]);
        });
    }

    private enqueue(callId: string, writes: QueuedWrite[]): void {
        const queue = this.queues.get(callId);
        if (queue !== undefined) {
            queue.push(...writes);
            return;
        }
        this.queues.set(callId, writes);
        void this.drain(callId, writes);
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

    private async drain(callId: string, queue: QueuedWrite[]): Promise<void> {
        try {
            while (queue.length > 0) {
                const head = queue[0];
                if (head?.kind === 'update') {
                    queue.shift();
                    // It settles its own promise; it never rejects here.
                    await head.run();
                    continue;
                }
                const batch = leadingEvents(queue, MAX_EVENTS);
                try {
                    // A commit stores a prefix of the batch (what fits one transaction); the rest goes again.
                    const committed = await this.commit(
                        callId,
                        batch.map((item) => item.event),
                    );
                    queue.splice(0, committed.length);
                    for (const [i, done] of committed.entries()) settle(callId, batch[i]!, done);
                } catch (err) {
                    for (const item of batch) fail(item.submission, err);
                    // The rest of a failed submission would only be redelivered anyway; drop it from the queue.
                    for (let i = queue.length - 1; i >= 0; i--) {
                        const item = queue[i];
                        if (item?.kind === 'event' && item.submission.failed) queue.splice(i, 1);
                    }
                }
            }
        } finally {
            this.queues.delete(callId);
        }
    }

    /**
     * One transaction for the first events of a batch of one call (as many as fit), planned again after
     * every conflict; resolves with what became of each of them.
     */
    private async commit(callId: string, events: readonly NewCallEvent[]): Promise<Committed[]> {
        await this.ensureTable();
        let call = this.known.get(callId) ?? { summary: emptySummary(callId), markers: new Map() };
        let pending = events;
        /** Set when pending[0] stands in for an event the storage refused. */
        let refusal: { reason: string; bare: boolean } | undefined;
        for (let attempt = 1; ; ) {
            const { plan, actions } = this.fittingPlan(callId, call, pending);
            let response: TableTransactionResponse;
            try {
                response = await this.table.submitTransaction(actions);
            } catch (err) {
                if (isContentRefused(err)) {
                    // Nothing was written. Halve the batch until the refused event is alone, then store a stand-in.
                    if (pending.length > 1) {
                        pending = pending.slice(0, Math.ceil(pending.length / 2));
                    } else if (refusal?.bare !== true) {
                        refusal = { reason: storageReason(err), bare: refusal !== undefined };
                        pending = [refusedStandIn(events[0]!, refusal.reason, refusal.bare)];
                    } else {
                        // Not this event's content, then: the storage refuses the call itself. Nothing was stored.
                        throw new ServiceUnavailableError(
                            `Table Storage refuses every write for call ${callId} (${refusal.reason}), even a bare record of the notification; nothing was stored.`,
                            60,
                            { cause: err, reason: 'storage_refuses_call' },
                        );
                    }
                    continue;
                }
                this.known.delete(callId);
                if (isTableNotFound(err)) {
                    this.tableReady = undefined;
                    await this.ensureTable();
                } else if (!isWriteConflict(err)) {
                    throw new StorageUnavailableError(err);
                }
                if (attempt >= this.maxAttempts) {
                    throw new ServiceUnavailableError(`Call ${callId} is being written by too many writers at once; retry.`, 1, { cause: err, reason: 'contention' });
                }
                await pause(attempt++);
                call = await this.readCall(callId, pending);
                continue;
            }
            // Committed. What follows is outside the transaction: a failure there fails the write as it is
            // (the sender retries, and its redelivery is recognised), never a reason to plan the commit again.
            this.remember(callId, call, plan, response.subResponses[0]?.etag);
            await this.afterCommit(callId, call, plan);
            return plan.outcomes.map((outcome, i) => committed(outcome, pending[i]!, plan.summary, refusal?.reason));
        }
    }

    private async update(callId: string, change: (summary: CallSummary) => CallUpdate | undefined, options: UpdateOptions): Promise<{ summary: CallSummary; written: boolean }> {
        await this.ensureTable();
        const cached = options.fresh === true ? undefined : this.known.get(callId);
        let call = cached?.etag === undefined ? undefined : cached;
        for (let attempt = 1; ; attempt++) {
            // Marker rows are only known exactly from this process's own last commit (see the top of this file).
            const fromCache = call !== undefined;
            if (call === undefined) {
                const read = await this.readSummary(callId);
                if (read === undefined) throw new NotFoundError(`Nothing is recorded for call ${callId}.`);
                call = { summary: read.summary, etag: read.etag, markers: new Map() };
            }
            const update = change(call.summary);
            if (update === undefined) {
                // Nothing to write is only known from the row as it is: this process's copy may be behind another
                // instance's writes, which only a write (never made here) would have found out.
                if (fromCache) {
                    call = undefined;
                    continue;
                }
                if (cached !== undefined && cached.etag !== call.etag) this.known.delete(callId);
                return { summary: call.summary, written: false };
            }
            const actions: TransactionAction[] = [
                ['update', summaryToEntity(update.summary), 'Replace', { etag: call.etag }],
                ...(update.events ?? []).map(({ sequence, fields }): TransactionAction => ['update', eventDeliveryToEntity(callId, sequence, fields), 'Merge']),
            ];
            let response: TableTransactionResponse;
            try {
                response = await this.table.submitTransaction(actions);
            } catch (err) {
                this.known.delete(callId);
                if (!isWriteConflict(err)) throw new StorageUnavailableError(err);
                if (attempt >= this.maxAttempts) {
                    throw new ServiceUnavailableError(`Call ${callId} is being written by too many writers at once; retry.`, 1, { cause: err });
                }
                await pause(attempt);
                call = undefined;
                continue;
            }
            const etag = response.subResponses[0]?.etag;
            if (fromCache && etag !== undefined) {
                this.known.set(callId, structuredClone({ summary: update.summary, etag, markers: call.markers }));
            } else {
                this.known.delete(callId);
            }
            return { summary: update.summary, written: true };
        }
    }

    /** The plan for the longest prefix of `events` whose transaction fits the storage's limits (at least one event). */
    private fittingPlan(callId: string, call: KnownCall, events: readonly NewCallEvent[]): { plan: AppendPlan; actions: TransactionAction[] } {
        for (let count = events.length; ; ) {
            const plan = planAppend(call.summary, events.slice(0, count), call.markers, { windowSeconds: this.windowSeconds, rowCapacity: this.rowCapacity });
            if (this.extendPlan !== undefined) plan.summary = this.extendPlan(callId, call.summary, plan.summary, plan.stored);
            const actions: TransactionAction[] = [
                call.etag === undefined ? ['create', summaryToEntity(plan.summary)] : ['update', summaryToEntity(plan.summary), 'Replace', { etag: call.etag }],
                ...plan.stored.map(({ sequence, event }): TransactionAction => ['create', eventToEntity(callId, sequence, event)]),
                ...plan.markers.map(({ prefix, row, exists }): TransactionAction => {
                    const entity = markersToEntity(callId, prefix, row);
                    // Without If-Match: the summary's If-Match already proves this is the row the plan read (see above).
                    return exists ? ['upsert', entity, 'Replace'] : ['create', entity];
                }),
            ];
            if (count === 1 || transactionFits(actions)) return { plan, actions };
            count = actions.length > MAX_OPERATIONS ? count - Math.min(count - 1, actions.length - MAX_OPERATIONS) : Math.ceil(count / 2);
        }
    }

    /**
     * What a commit implies outside the call's partition, done before the commit is acknowledged: the call
     * index when the call is created or ends, and the call-ended event when it ends. These cannot join the
     * call's transaction, so a crash (or a failure, answered 503) may stop between the commit and them; the
     * redelivery that follows is recognised as one, and then both are done again. Both are idempotent.
     */
    private async afterCommit(callId: string, before: KnownCall, plan: AppendPlan): Promise<void> {
        if (callId.startsWith('_')) return;
        const created = before.etag === undefined;
        const endedNow = !isCallEnded(before.summary) && isCallEnded(plan.summary);
        const redelivered = plan.outcomes.some((outcome) => outcome.outcome === 'duplicate');
        if (created || endedNow || redelivered) await this.propagate(plan.summary);
    }

    /**
     * Writes what a call's summary implies outside its partition: for a call that has ended, its call-ended
     * event first and then its index rows; for one that has not, its index rows. The `_active` row goes
     * last, so a failure on the way leaves an ended call in `_active`, where the reconciler (which has no
     * sender to redeliver for it) finds it on its next run and calls this again. Idempotent.
     */
    async propagate(summary: CallSummary): Promise<void> {
        if (isCallEnded(summary) && this.onCallEnded !== undefined) await this.onCallEnded(summary);
        await this.index.record(summary);
    }

    /** After a conflict: the summary first, then the marker rows, strictly after it (see the top of this file). */
    private async readCall(callId: string, events: readonly NewCallEvent[]): Promise<KnownCall> {
        const read = await this.readSummary(callId);
        const summary = read?.summary ?? (await this.summaryFromStoredHistory(callId));
        return { summary, ...(read === undefined ? {} : { etag: read.etag }), markers: await this.readMarkers(callId, events) };
    }

    private async readSummary(callId: string): Promise<{ summary: CallSummary; etag: string } | undefined> {
        try {
            const entity = await this.table.getEntity<Record<string, unknown>>(callId, SUMMARY_ROW_KEY);
            return { summary: summaryFromEntity(entity), etag: entity.etag };
        } catch (err) {
            if (isNotFound(err)) return undefined;
            throw new StorageUnavailableError(err);
        }
    }

    /**
     * A call without a summary row: new (no history), or its summary was deleted by hand. Then the
     * summary is rebuilt from the history, read once, and created again by the next transaction; two
     * writers doing this at once both try to create it, and one is told to read again.
     */
    private async summaryFromStoredHistory(callId: string): Promise<CallSummary> {
        const events: CallEvent[] = [];
        try {
            const filter = odata`PartitionKey eq ${callId} and RowKey ge ${EVENT_ROW_PREFIX} and RowKey lt ${EVENT_ROW_END}`;
            for await (const entity of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
                events.push(eventFromEntity(entity));
            }
        } catch (err) {
            throw new StorageUnavailableError(err);
        }
        return summaryFromHistory(callId, events);
    }

    /**
     * Point reads of the marker rows on the paths of this batch's keys, one level at a time (a row that
     * split sends its keys one digit deeper): 16 rows at most at the first level, whatever the history.
     */
    private async readMarkers(callId: string, events: readonly NewCallEvent[]): Promise<Map<string, KnownMarkerRow>> {
        const rows = new Map<string, KnownMarkerRow>();
        let keys = [...new Set(events.flatMap((event) => eventMarkerKey(event, this.windowSeconds) ?? []))];
        for (let depth = 1; keys.length > 0; depth++) {
            const prefixes = [...new Set(keys.map((key) => key.slice(0, depth)))].filter((prefix) => !rows.has(prefix));
            const found = await Promise.all(prefixes.map(async (prefix) => [prefix, await this.readMarkerRow(callId, prefix)] as const));
            for (const [prefix, row] of found) rows.set(prefix, row);
            keys = keys.filter((key) => depth < key.length && rows.get(key.slice(0, depth))?.splitAt !== undefined);
        }
        return rows;
    }

    private async readMarkerRow(callId: string, prefix: string): Promise<KnownMarkerRow> {
        try {
            return { ...markersFromEntity(await this.table.getEntity<Record<string, unknown>>(callId, markerRowKey(prefix))), exists: true };
        } catch (err) {
            if (isNotFound(err)) return { entries: new Map(), exists: false };
            throw new StorageUnavailableError(err);
        }
    }

    /** The call as this transaction left it: what the plan started from, with the rows it wrote. */
    private remember(callId: string, call: KnownCall, plan: AppendPlan, etag: string | undefined): void {
        if (etag === undefined) {
            this.known.delete(callId);
            return;
        }
        const markers = new Map(call.markers);
        for (const { prefix, row } of plan.markers) markers.set(prefix, { ...row, exists: true });
        // A copy, so the cache holds only its own strings: the ETag is a slice of the transaction's response
        // and the summary's strings are slices of the notifications' text, and V8 keeps the whole string a
        // slice was cut from alive. Kept as they come, a cached call held about 13 KiB instead of under 1.
        this.known.set(callId, structuredClone({ summary: plan.summary, etag, markers }));
    }
}

function committed(outcome: PlannedOutcome, event: NewCallEvent, summary: CallSummary, refusedReason: string | undefined): Committed {
    if (outcome.outcome === 'stored' && refusedReason !== undefined) {
        return { outcome: { outcome: 'rejected', sequence: outcome.sequence, reason: refusedReason }, event, summary };
    }
    return { outcome, event, summary };
}

/** The events at the head of the queue, up to `max`, stopping at the first update. */
function leadingEvents(queue: readonly QueuedWrite[], max: number): QueuedEvent[] {
    const events: QueuedEvent[] = [];
    for (const item of queue) {
        if (item.kind !== 'event' || events.length >= max) break;
        events.push(item);
    }
    return events;
}

/**
 * What is stored for an event the storage refused: a `rejected` event with the storage's reason and the
 * event's identity (so its redelivery is recognised), and, unless `bare`, the event itself as ASCII-only
 * JSON in `resourceData` (no character the storage could object to). `bare` is the last resort.
 */
function refusedStandIn(event: NewCallEvent, reason: string, bare: boolean): NewCallEvent {
    const kept = bare ? 'Only its receive time and dedupe key are kept.' : 'resourceData holds the event as it arrived, as ASCII-only JSON.';
    return fitToTable({
        kind: EVENT_KIND.rejected,
        receivedAt: event.receivedAt,
        ...(event.dedupeKey === undefined ? {} : { dedupeKey: event.dedupeKey }),
        rejectReason: `Table Storage refused to store this ${event.kind} event (${reason}). ${kept}`,
        ...(bare ? {} : { resourceData: asciiJson(event) }),
    });
}

function asciiJson(value: unknown): string {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function settle(callId: string, item: QueuedEvent, { outcome, event, summary }: Committed): void {
    const { submission } = item;
    if (submission.failed) return;
    submission.outcomes[item.index] = outcome;
    submission.summary = summary;
    if (outcome.outcome === 'stored' || outcome.outcome === 'rejected') {
        submission.stored.push({ ...event, callId, sequence: outcome.sequence });
    }
    submission.remaining -= 1;
    if (submission.remaining === 0) {
        submission.stored.sort((a, b) => a.sequence - b.sequence);
        const duplicates = submission.outcomes.filter((o) => o.outcome === 'duplicate').length;
        submission.resolve({ stored: submission.stored, duplicates, outcomes: submission.outcomes, ...(submission.summary === undefined ? {} : { summary: submission.summary }) });
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
