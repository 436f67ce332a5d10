// The reconciler (SPEC "Call lifecycle"): Graph sometimes never sends the end of a call, and ends on its
// own any call nobody keeps alive within 45 minutes. So the calls that have not ended and have been quiet
// for a while are checked with Graph (`GET /communications/calls/{id}`, the hang-up's pipeline and
// credential): a 404 closes the call in the record, a state goes through the state rules like a
// notification. Ended calls are never asked about: the candidates come from the `_active` index.
//
// Exact when two runs overlap: the outcome is written as a `reconciliation` event through the CallStore,
// whose planner drops it when the call has ended meanwhile, under the summary's ETag like every write.

import { odata, type TableClient } from '@azure/data-tables';
import { ACTIVE_PARTITION, CallIndex, indexedCallOf, type IndexedCall } from '../record/callIndex';
import { EVENT_KIND, type CallSummary, type NewCallEvent } from '../record/callModel';
import { isCallEnded } from '../record/callState';
import type { CallStore } from '../record/callStore';
import { CallRecordError, UpstreamError } from '../errors';
import type { GraphAnswer, GraphCallOutcome, GraphCallsClient } from '../graph/graphCalls';
import { inParallel } from '../inParallel';
import type { CallRelay } from '../relay/callRelay';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace } from '../telemetry/telemetry';

export interface ReconcileSettings {
    /** Calls quiet (no event, no reconciliation) for at least this long are checked; 0: every active call. */
    afterMinutes: number;
    /** Graph checks per run at most. */
    maxCalls: number;
    /** No new check starts after this long. */
    timeBudgetMs: number;
    /** Graph requests at once. */
    concurrency?: number;
}

export interface ReconcileDependencies {
    table: TableClient;
    store: Pick<CallStore, 'appendCallEvents' | 'getCallSummary' | 'propagate'>;
    graph: Pick<GraphCallsClient, 'getCall'>;
    log: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
    now?: () => Date;
    /** The invocation's trace, the parent of the run's span. */
    trace?: InvocationTrace;
    /** With the relay on: its backlog is measured at each run, like the active calls. */
    relay?: Pick<CallRelay, 'backlog'>;
}

export interface ReconcileResult {
    /** Active calls in the index. */
    active: number;
    /** Quiet long enough to be checked. */
    due: number;
    /** Asked about (at most maxCalls). */
    checked: number;
    /** Graph had no such call: closed in the record. */
    closed: number;
    /** Graph's state changed the call's state. */
    changed: number;
    /** Graph's state changed nothing (reconciledAt recorded). */
    unchanged: number;
    /** Throttled, failing or unreachable: checked again next run. */
    deferred: number;
    /** Index rows of calls that had ended or are gone, put right. */
    mended: number;
    /** Set when Graph refused the app (401/403): the run stopped. */
    refused?: string;
}

/**
 * One run of the reconciler.
 *
 * @example
 * const result = await reconcileCalls({ table, store, graph, log: context }, { afterMinutes: 45, maxCalls: 500, timeBudgetMs: 240_000 });
 */
export function reconcileCalls(deps: ReconcileDependencies, settings: ReconcileSettings): Promise<ReconcileResult> {
    return inSpan(SPANS.reconcile, deps.trace, async (span) => {
        const result = await runReconciler(deps, settings);
        for (const outcome of ['checked', 'closed', 'changed', 'unchanged', 'deferred', 'mended'] as const) {
            if (result[outcome] > 0) record(METRICS.reconcilerCalls, { outcome }, result[outcome]);
        }
        record(METRICS.reconcilerRuns, { result: result.refused === undefined ? 'completed' : 'refused' });
        record(METRICS.activeCalls, {}, result.active);
        span.set({ active: result.active, checked: result.checked, closed: result.closed, deferred: result.deferred });
        if (deps.relay !== undefined) {
            const backlog = await relayBacklog(deps.relay, deps.log);
            if (backlog !== undefined) {
                record(METRICS.relayBacklog, {}, backlog);
                span.set({ relay_backlog: backlog });
            }
        }
        return result;
    });
}

/** The relay's backlog; a queue that cannot be read leaves the gauge out of this run, and never fails the reconciler. */
async function relayBacklog(relay: Pick<CallRelay, 'backlog'>, log: ReconcileDependencies['log']): Promise<number | undefined> {
    try {
        return await relay.backlog();
    } catch (err) {
        log.warn(`The relay's backlog could not be measured this run: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
        return undefined;
    }
}

async function runReconciler(deps: ReconcileDependencies, settings: ReconcileSettings): Promise<ReconcileResult> {
    const now = deps.now ?? (() => new Date());
    const deadline = Date.now() + settings.timeBudgetMs;
    const index = new CallIndex(deps.table);
    const result: ReconcileResult = { active: 0, due: 0, checked: 0, closed: 0, changed: 0, unchanged: 0, deferred: 0, mended: 0 };

    const rows = await activeRows(deps.table);
    result.active = rows.length;
    const quietSince = now().getTime() - settings.afterMinutes * 60_000;
    const due: CallSummary[] = [];
    await inParallel(rows, 16, async (row) => {
        if (Date.now() > deadline) return;
        const summary = await deps.store.getCallSummary(row.callId);
        if (summary === undefined || isCallEnded(summary) || summary.firstEventAt?.getTime() !== row.firstEventAt.getTime()) {
            // The call ended (or is gone) and what lives outside its partition was not told, or not all of it:
            // its call-ended event may be missing too (nobody redelivers for a call the reconciler closed).
            try {
                await (summary === undefined ? index.forget(row.callId, row.firstEventAt) : deps.store.propagate(summary));
                result.mended += 1;
            } catch (err) {
                if (!isRetryable(err)) throw err;
                result.deferred += 1;
                deps.log.warn(
                    `Reconciler: call ${row.callId} has ended but its index or call-ended event could not be written (${(err as Error).message}); the next run tries again.`,
                );
            }
            return;
        }
        if (lastActivity(summary) <= quietSince) due.push(summary);
    });
    result.due = due.length;
    // The longest quiet first: a backlog drains oldest first over successive runs.
    due.sort((a, b) => lastActivity(a) - lastActivity(b));

    let refused: UpstreamError | undefined;
    await inParallel(due.slice(0, settings.maxCalls), settings.concurrency ?? 4, async (summary) => {
        if (refused !== undefined || Date.now() > deadline) return;
        const outcome = await deps.graph.getCall(summary.callId);
        result.checked += 1;
        const answer = outcome.kind === 'answered' ? outcome.answer : undefined;
        if (answer?.status === 401 || answer?.status === 403) {
            refused ??= new UpstreamError('Graph refused the reconciler', refusal(summary.callId, outcome));
            return;
        }
        if (answer === undefined || answer.status === 429 || answer.status >= 500 || (answer.status !== 404 && answer.status !== 200)) {
            result.deferred += 1;
            if (answer !== undefined && answer.status !== 429 && answer.status < 500) {
                deps.log.warn(`Reconciler: Graph answered ${answer.status} for call ${summary.callId}; it is checked again next run.`);
            }
            return;
        }
        const event = reconciliationEvent(now(), outcome.clientRequestId, answer, answer.status === 404 ? 'terminated' : answer.callState);
        let appended: Awaited<ReturnType<typeof deps.store.appendCallEvents>>;
        try {
            appended = await deps.store.appendCallEvents(summary.callId, [event]);
        } catch (err) {
            // Storage or the call-ended queue failed: the call stays in `_active` and the next run puts it right.
            if (!isRetryable(err)) throw err;
            result.deferred += 1;
            deps.log.warn(`Reconciler: the outcome for call ${summary.callId} could not be recorded in full (${(err as Error).message}); the next run tries again.`);
            return;
        }
        if (answer.status === 404) result.closed += appended.stored.length;
        else if (appended.stored.length > 0) result.changed += 1;
        else result.unchanged += 1;
    });
    if (refused !== undefined) {
        result.refused = refused.detail;
        deps.log.error(`RECONCILER STOPPED: ${refused.detail}`);
    }
    return result;
}

/** When the call last showed a sign of life, or was last checked. */
function lastActivity(summary: CallSummary): number {
    return Math.max(summary.lastEventAt?.getTime() ?? 0, summary.reconciledAt?.getTime() ?? 0);
}

function reconciliationEvent(at: Date, clientRequestId: string, answer: GraphAnswer, callState: string | undefined): NewCallEvent {
    return {
        kind: EVENT_KIND.reconciliation,
        receivedAt: at,
        httpStatus: answer.status,
        clientRequestId,
        ...(callState === undefined ? {} : { callState }),
        ...(answer.graphRequestId ? { graphRequestId: answer.graphRequestId } : {}),
        ...(answer.status === 404 ? { resultMessage: `Graph has no such call${answer.errorCode ? ` (${answer.errorCode})` : ''}.` } : {}),
    };
}

function refusal(callId: string, outcome: GraphCallOutcome): string {
    const answer = outcome.kind === 'answered' ? outcome.answer : undefined;
    const code = answer?.errorCode ? ` ${answer.errorCode}` : '';
    const request = answer?.graphRequestId ? `, Graph request-id ${answer.graphRequestId}` : '';
    return (
        `Graph answered ${answer?.status}${code} to GET call ${callId} (client-request-id ${outcome.clientRequestId}${request}): the app's token or ` +
        'its permissions were refused, so no call was reconciled. Grant the app the Graph application permissions it needs (for example Calls.Initiate.All) with admin consent.'
    );
}

async function activeRows(table: TableClient): Promise<IndexedCall[]> {
    const rows: IndexedCall[] = [];
    try {
        for await (const entity of table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${ACTIVE_PARTITION}` } })) {
            const row = indexedCallOf(entity);
            if (row !== undefined) rows.push(row);
        }
    } catch (err) {
        if (isNotFound(err)) return [];
        throw new StorageUnavailableError(err);
    }
    return rows;
}

/** A failure the next run can get past: storage or the queue answered 503 through the app's own errors. */
function isRetryable(err: unknown): boolean {
    return err instanceof CallRecordError && err.status === 503;
}
