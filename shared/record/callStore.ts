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
// Derived rows (derivedRows.ts: the roster) are read after the summary like the marker rows, and only when
// a batch changes them: every row of the kind, or the named ones. They are written in the transaction of the
// event that changed them, replaced without If-Match for the same reason as the marker rows; a change too
// large for one transaction is staged first and counts from the event's own transaction on.
//
// Two more writers share the summary row's ETag: `extendPlan` lets the composition root add to the summary a
// commit writes (the relay claims the notifications it stores, in the same transaction: in a split commit, the
// event's own last transaction), and `updateCall` changes a call's summary and merges fields into its history rows
// in one transaction (the relay records its deliveries). History rows are otherwise only ever created, so a merge
// into them cannot undo another write; `updateCall` keeps the summary's `stagedCommit` as it found it.

import { randomUUID } from 'node:crypto';
import type { TableClient, TableTransactionResponse, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';
import { LRUCache } from 'lru-cache';
import { DEFAULT_MARKER_ROW_CAPACITY, eventMarkerKey, MAX_MARKER_ROW_CAPACITY, planAppend, type AppendPlan, type KnownMarkerRow, type PlannedOutcome } from './appendPlan';
import { emptySummary, EVENT_KIND, type CallEvent, type CallSummary, type EventDelivery, type NewCallEvent } from './callModel';
import { CallIndex } from './callIndex';
import { isCallEnded, summaryFromHistory } from './callState';
import { readDerivedRows, rowEntity, RowSet, stagedRowEntity, STAGED_COMMIT_COLUMN, type DerivedRow, type DerivedRowKind, type LoadedRows } from './derivedRows';
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
    /** Rows the events change beside the summary and history (the roster), written with them. */
    derivedRows?: DerivedRowKind;
    /** What else the summary says once a call has ended (that its call record is to be fetched), in the same transaction. */
    whenEnded?: (summary: CallSummary) => CallSummary;
    /** Adds to the summary every commit writes (see PlanExtension). */
    extendPlan?: PlanExtension;
}

/**
 * What this process knows of a call: its summary (no ETag: the row does not exist), marker rows by prefix,
 * and the attempt whose staged row values count (derivedRows.ts).
 */
interface KnownCall {
    summary: CallSummary;
    etag?: string;
    markers: Map<string, KnownMarkerRow>;
    stagedCommit?: string;
}

/** An event on its way, with what it changes in the derived rows (read before its values were cut). */
interface Pending {
    event: NewCallEvent;
    change: unknown;
}

/** A split commit (commitStaged): its last transaction, the attempt its summary names, and the rows it staged. */
interface StagedCommit {
    response: TableTransactionResponse;
    attempt: string;
    rows: Array<{ key: string; row: DerivedRow }>;
}

/** The plan of a commit and its transaction; `staged` when its rows do not fit beside its event. */
interface FittedPlan {
    plan: AppendPlan;
    actions: TransactionAction[];
    staged: boolean;
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

interface QueuedEvent extends Pending {
    kind: 'event';
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
    private readonly derived: DerivedRowKind | undefined;
    private readonly whenEnded: ((summary: CallSummary) => CallSummary) | undefined;
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
        this.derived = options.derivedRows;
        this.whenEnded = options.whenEnded;
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
            // What an event changes in the derived rows is read before its values are cut to fit the table.
            this.enqueue(
                callId,
                events.map((event, index): QueuedEvent => ({ kind: 'event', event: fitToTable(event), change: this.derived?.changeOf(event), index, submission })),
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

    /**
     * The call's summary, or undefined when nothing was ever stored for it. What is read is remembered, so a
     * write that follows (a timer recording Graph's answer) is one transaction, not a conflict and a read.
     */
    async getCallSummary(callId: string): Promise<CallSummary | undefined> {
        const read = await this.readSummary(callId);
        if (read !== undefined) {
            const cached = this.known.get(callId);
            // Marker rows known for the very summary read stay known; for any other summary they are unknown (and
            // a write that meets one it does not know is planned again from reads).
            const markers = cached?.etag === read.etag ? cached.markers : new Map<string, KnownMarkerRow>();
            this.known.set(callId, structuredClone({ ...read, markers }));
        }
        return read?.summary;
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
                        batch.map(({ event, change }) => ({ event, change })),
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
    private async commit(callId: string, items: readonly Pending[]): Promise<Committed[]> {
        await this.ensureTable();
        let call: KnownCall = this.known.get(callId) ?? { summary: emptySummary(callId), markers: new Map() };
        let pending = items;
        /** Set when pending[0] stands in for an event the storage refused. */
        let refusal: { reason: string; bare: boolean } | undefined;
        for (let attempt = 1; ; ) {
            let rows = await this.loadRows(callId, call, pending);
            let fitted = this.fittingPlan(callId, call, pending, rows);
            if (fitted.staged && rows !== undefined && !rows.complete) {
                // A split folds what still counts through an earlier split, so it needs every row.
                rows = await this.loadRows(callId, call, pending, 'all');
                fitted = this.fittingPlan(callId, call, pending, rows);
            }
            const { plan } = fitted;
            let response: TableTransactionResponse;
            let staged: StagedCommit | undefined;
            try {
                if (fitted.staged && rows !== undefined && this.derived !== undefined) {
                    staged = await this.commitStaged(this.derived, callId, call, plan, rows);
                    response = staged.response;
                } else {
                    response = await this.table.submitTransaction(fitted.actions);
                }
            } catch (err) {
                if (isContentRefused(err)) {
                    // Nothing was written. Halve the batch until the refused event is alone, then store a stand-in.
                    if (pending.length > 1) {
                        pending = pending.slice(0, Math.ceil(pending.length / 2));
                    } else if (refusal?.bare !== true) {
                        refusal = { reason: storageReason(err), bare: refusal !== undefined };
                        pending = [{ event: refusedStandIn(items[0]!.event, refusal.reason, refusal.bare), change: undefined }];
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
            let after: { etag: string | undefined; stagedCommit: string | undefined } = { etag: response.subResponses[0]?.etag, stagedCommit: call.stagedCommit };
            if (staged !== undefined && after.etag !== undefined && this.derived !== undefined) {
                after = await this.foldStaged(this.derived, callId, plan.summary, after.etag, staged);
            }
            this.remember(callId, call, plan, after.etag, after.stagedCommit);
            await this.afterCommit(callId, call, plan);
            return plan.outcomes.map((outcome, i) => committed(outcome, pending[i]!.event, plan.summary, refusal?.reason));
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
                call = { summary: read.summary, etag: read.etag, markers: new Map(), ...(read.stagedCommit === undefined ? {} : { stagedCommit: read.stagedCommit }) };
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
                // The summary's stagedCommit stays as it was: staged roster values still count through it.
                this.summaryAction(call, update.summary, call.stagedCommit),
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
                this.known.set(callId, structuredClone({ ...call, summary: update.summary, etag }));
            } else {
                this.known.delete(callId);
            }
            return { summary: update.summary, written: true };
        }
    }

    /** The derived rows a batch's plan reads (after the summary it is planned from), or undefined when it changes none. */
    private async loadRows(callId: string, call: KnownCall, items: readonly Pending[], needed?: 'all'): Promise<LoadedRows | undefined> {
        const changes = items.flatMap(({ change }) => (change === undefined ? [] : [change]));
        if (this.derived === undefined || changes.length === 0) return undefined;
        return readDerivedRows(this.table, callId, this.derived, needed ?? this.derived.rowsNeeded(changes), call.stagedCommit);
    }

    /**
     * The plan for the longest prefix of the batch whose transaction fits the storage's limits (at least one
     * event); `staged` when that one event's derived rows do not fit beside it.
     */
    private fittingPlan(callId: string, call: KnownCall, items: readonly Pending[], rows: LoadedRows | undefined): FittedPlan {
        for (let count = items.length; ; ) {
            const slice = items.slice(0, count);
            const derived =
                rows === undefined || this.derived === undefined
                    ? undefined
                    : { kind: this.derived, rows: new RowSet(rows.values, rows.complete), changes: slice.map(({ change }) => change) };
            const plan = planAppend(
                call.summary,
                slice.map(({ event }) => event),
                call.markers,
                { windowSeconds: this.windowSeconds, rowCapacity: this.rowCapacity, ...(this.whenEnded === undefined ? {} : { whenEnded: this.whenEnded }) },
                derived,
            );
            // The relay's claim goes into this plan's summary, so it is written by the transaction that stores the
            // events (in a split commit, by the event's own last transaction, never by the staging before it).
            if (this.extendPlan !== undefined) plan.summary = this.extendPlan(callId, call.summary, plan.summary, plan.stored);
            const actions = [this.summaryAction(call, plan.summary, call.stagedCommit), ...this.recordActions(callId, plan), ...this.rowActions(callId, plan.rows, rows)];
            if (transactionFits(actions)) return { plan, actions, staged: false };
            if (count === 1) return { plan, actions, staged: plan.rows.length > 0 };
            count = actions.length > MAX_OPERATIONS ? count - Math.min(count - 1, actions.length - MAX_OPERATIONS) : Math.ceil(count / 2);
        }
    }

    /** The summary as one action: created when the row does not exist, else replaced under the ETag the plan read. */
    private summaryAction(call: KnownCall, summary: CallSummary, stagedCommit: string | undefined, etag = call.etag): TransactionAction {
        const entity = { ...summaryToEntity(summary), ...(stagedCommit === undefined ? {} : { [STAGED_COMMIT_COLUMN]: stagedCommit }) };
        return etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
    }

    /** The history rows and marker rows of a plan. */
    private recordActions(callId: string, plan: AppendPlan): TransactionAction[] {
        return [
            ...plan.stored.map(({ sequence, event }): TransactionAction => ['create', eventToEntity(callId, sequence, event)]),
            ...plan.markers.map(({ prefix, row, exists }): TransactionAction => {
                const entity = markersToEntity(callId, prefix, row);
                // Without If-Match: the summary's If-Match already proves this is the row the plan read (see above).
                return exists ? ['upsert', entity, 'Replace'] : ['create', entity];
            }),
        ];
    }

    /** Derived rows as the values that count from this transaction on; like marker rows, replaced without If-Match. */
    private rowActions(callId: string, writes: ReadonlyArray<{ key: string; row: DerivedRow }>, rows: LoadedRows | undefined): TransactionAction[] {
        const kind = this.derived;
        if (kind === undefined) return [];
        return writes.map(({ key, row }): TransactionAction => {
            const entity = rowEntity(kind, callId, key, row);
            return rows?.existing.has(key) === true ? ['upsert', entity, 'Replace'] : ['create', entity];
        });
    }

    /**
     * One event whose derived rows do not fit beside it (derivedRows.ts): the rows that do not fit are staged
     * first, with a fold of whatever still counts through an earlier split, each transaction under the summary's
     * ETag and leaving the summary as it was; then the event is stored with the remaining rows, and the summary
     * names this attempt. A conflict anywhere fails it all, and the caller plans again from reads.
     */
    private async commitStaged(kind: DerivedRowKind, callId: string, call: KnownCall, plan: AppendPlan, rows: LoadedRows): Promise<StagedCommit> {
        const attempt = randomUUID();
        const record = this.recordActions(callId, plan);
        const written = new Set(plan.rows.map(({ key }) => key));
        // What fits beside the event goes with it as the rows' own values; the rest is staged.
        let inline = Math.min(plan.rows.length, MAX_OPERATIONS - 1 - record.length);
        while (inline > 0 && !transactionFits([this.summaryAction(call, plan.summary, attempt), ...record, ...this.rowActions(callId, plan.rows.slice(0, inline), rows)])) {
            inline -= 1;
        }
        const stagedRows = plan.rows.slice(inline);
        const staging: TransactionAction[] = [
            ...stagedRows.map(({ key, row }): TransactionAction => {
                const entity = stagedRowEntity(kind, callId, key, rows.values.get(key), row, attempt);
                return rows.existing.has(key) ? ['upsert', entity, 'Replace'] : ['create', entity];
            }),
            ...[...rows.values]
                .filter(([key]) => rows.stagedValues.has(key) && !written.has(key))
                .map(([key, row]): TransactionAction => ['upsert', rowEntity(kind, callId, key, row), 'Replace']),
        ];
        let etag = call.etag;
        for (const chunk of chunksBeside(this.summaryAction(call, call.summary, call.stagedCommit, etag), staging)) {
            const response = await this.table.submitTransaction([this.summaryAction(call, call.summary, call.stagedCommit, etag), ...chunk]);
            etag = response.subResponses[0]?.etag;
        }
        const response = await this.table.submitTransaction([
            this.summaryAction(call, plan.summary, attempt, etag),
            ...record,
            ...this.rowActions(callId, plan.rows.slice(0, inline), rows),
        ]);
        return { response, attempt, rows: stagedRows };
    }

    /**
     * After a split: the staged values become the rows' own, a transaction at a time, the last one clearing the
     * summary's `stagedCommit`. It changes nothing anyone reads, so it stops at the first failure (a conflict
     * too): what is left keeps counting through `stagedCommit` until the next split folds it.
     */
    private async foldStaged(
        kind: DerivedRowKind,
        callId: string,
        summary: CallSummary,
        etag: string,
        staged: StagedCommit,
    ): Promise<{ etag: string; stagedCommit: string | undefined }> {
        const call: KnownCall = { summary, markers: new Map() };
        const folds = staged.rows.map(({ key, row }): TransactionAction => ['upsert', rowEntity(kind, callId, key, row), 'Replace']);
        const chunks = chunksBeside(this.summaryAction(call, summary, staged.attempt, etag), folds);
        let current = etag;
        try {
            for (const [index, chunk] of chunks.entries()) {
                const last = index === chunks.length - 1;
                const response = await this.table.submitTransaction([this.summaryAction(call, summary, last ? undefined : staged.attempt, current), ...chunk]);
                const next = response.subResponses[0]?.etag;
                if (next === undefined) break;
                current = next;
                if (last) return { etag: current, stagedCommit: undefined };
            }
        } catch {
            // Left for the next split to fold; the values count as they are.
        }
        return { etag: current, stagedCommit: staged.attempt };
    }

    /**
     * What a commit implies outside the call's partition, done before the commit is acknowledged: the call
     * index when the call is created or ends, and the call-ended event when it ends. These cannot join the
     * call's transaction, so a crash (or a failure, answered 503) may stop between the commit and them; the
     * redelivery that follows is recognised as one, and then both are done again. Both are idempotent.
     */
    private async afterCommit(callId: string, before: KnownCall, plan: AppendPlan): Promise<void> {
        if (callId.startsWith('_')) return;
        // A split's staging may have created the summary before the call's first event was stored.
        const created = before.etag === undefined || before.summary.firstEventAt === undefined;
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
    private async readCall(callId: string, items: readonly Pending[]): Promise<KnownCall> {
        const read = await this.readSummary(callId);
        const summary = read?.summary ?? (await this.summaryFromStoredHistory(callId));
        return {
            summary,
            ...(read === undefined ? {} : { etag: read.etag, ...(read.stagedCommit === undefined ? {} : { stagedCommit: read.stagedCommit }) }),
            markers: await this.readMarkers(
                callId,
                items.map(({ event }) => event),
            ),
        };
    }

    private readSummary(callId: string): Promise<SummaryRow | undefined> {
        return readSummaryRow(this.table, callId);
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
    private remember(callId: string, call: KnownCall, plan: AppendPlan, etag: string | undefined, stagedCommit: string | undefined): void {
        if (etag === undefined) {
            this.known.delete(callId);
            return;
        }
        const markers = new Map(call.markers);
        for (const { prefix, row } of plan.markers) markers.set(prefix, { ...row, exists: true });
        // A copy, so the cache holds only its own strings: the ETag is a slice of the transaction's response
        // and the summary's strings are slices of the notifications' text, and V8 keeps the whole string a
        // slice was cut from alive. Kept as they come, a cached call held about 13 KiB instead of under 1.
        this.known.set(callId, structuredClone({ summary: plan.summary, etag, markers, ...(stagedCommit === undefined ? {} : { stagedCommit }) }));
    }
}

/** A summary row as read: the summary, its ETag, and the attempt whose staged row values count (derivedRows.ts). */
export interface SummaryRow {
    summary: CallSummary;
    etag: string;
    stagedCommit?: string;
}

/**
 * The call's summary row, or undefined when there is none.
 *
 * @example
 * const row = await readSummaryRow(table, 'call-1'); // { summary: { callId: 'call-1', ... }, etag: 'W/"..."' }
 */
export async function readSummaryRow(table: TableClient, callId: string): Promise<SummaryRow | undefined> {
    try {
        const entity = await table.getEntity<Record<string, unknown>>(callId, SUMMARY_ROW_KEY);
        const stagedCommit = entity[STAGED_COMMIT_COLUMN];
        return { summary: summaryFromEntity(entity), etag: entity.etag, ...(typeof stagedCommit === 'string' ? { stagedCommit } : {}) };
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw new StorageUnavailableError(err);
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

/**
 * `actions` in groups that each fit one transaction beside `head` (the summary), in order.
 *
 * @example
 * chunksBeside(summaryAction, rowActions) // [[...99 actions], [...the rest]]
 */
function chunksBeside(head: TransactionAction, actions: readonly TransactionAction[]): TransactionAction[][] {
    const chunks: TransactionAction[][] = [];
    let chunk: TransactionAction[] = [];
    for (const action of actions) {
        if (chunk.length > 0 && !transactionFits([head, ...chunk, action])) {
            chunks.push(chunk);
            chunk = [];
        }
        chunk.push(action);
    }
    if (chunk.length > 0) chunks.push(chunk);
    return chunks;
}

/** Jittered, growing pause between attempts, so competing writers do not collide again in step. */
function pause(attempt: number): Promise<void> {
    const ms = Math.min(200, 5 * attempt) * (0.5 + Math.random());
    return new Promise((resolve) => setTimeout(resolve, ms));
}
