// What the reconciler and keepAlive share: both are timers that go through the calls the `_active` index lists,
// ask Graph about each, and write Graph's answer as a `reconciliation` event through the CallStore, so a call
// Graph no longer has is closed the same way, once, with its event and its call-ended message, whoever found it.
//
// Exact when runs overlap (two instances, a late run): every outcome goes through the CallStore, whose planner
// drops it when the call has ended meanwhile, under the summary's ETag like every write.

import { odata, type TableClient } from '@azure/data-tables';
import { CallRecordError, UpstreamError } from '../errors';
import type { GraphAnswer, GraphCallOutcome } from '../graph/graphCalls';
import { inParallel } from '../inParallel';
import { ACTIVE_PARTITION, CallIndex, indexedCallOf, type IndexedCall } from '../record/callIndex';
import { EVENT_KIND, type CallSummary, type GraphCheck, type NewCallEvent } from '../record/callModel';
import { isCallEnded } from '../record/callState';
import type { AppendResult, CallStore } from '../record/callStore';
import { isNotFound, StorageUnavailableError } from '../record/storageErrors';

export interface GraphCheckDependencies {
    table: TableClient;
    store: Pick<CallStore, 'appendCallEvents' | 'getCallSummary' | 'propagate'>;
    log: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
    now?: () => Date;
}

/** What a run found among the active calls before asking Graph anything. */
export interface ActiveCalls {
    /** Rows in the `_active` index. */
    active: number;
    /** The summaries of the calls that have not ended. */
    summaries: CallSummary[];
    /** Index rows of calls that had ended or are gone, put right. */
    mended: number;
    /** Calls whose index or call-ended event could not be put right now: the next run tries again. */
    deferred: number;
}

/** How one answer of Graph's about a call is to be taken. */
export type CheckVerdict = 'record' | 'refused' | 'deferred';

const WHO: Record<GraphCheck, { name: string; request: string }> = {
    reconciler: { name: 'Reconciler', request: 'GET call' },
    keepAlive: { name: 'keepAlive', request: 'POST keepAlive for call' },
};

/**
 * The calls the `_active` index lists, with their summaries read (16 at a time). A row whose call has ended
 * (or is gone) is put right on the way: its call-ended event may be missing too, since nobody redelivers for a
 * call a timer closed.
 *
 * @example
 * const { summaries } = await activeCalls(deps, 'reconciler', Date.now() + 240_000);
 */
export async function activeCalls(deps: GraphCheckDependencies, who: GraphCheck, deadline: number): Promise<ActiveCalls> {
    const index = new CallIndex(deps.table);
    const rows = await activeRows(deps.table);
    const found: ActiveCalls = { active: rows.length, summaries: [], mended: 0, deferred: 0 };
    await inParallel(rows, 16, async (row) => {
        if (Date.now() > deadline) return;
        const summary = await deps.store.getCallSummary(row.callId);
        if (summary !== undefined && !isCallEnded(summary) && summary.firstEventAt?.getTime() === row.firstEventAt.getTime()) {
            found.summaries.push(summary);
            return;
        }
        try {
            await (summary === undefined ? index.forget(row.callId, row.firstEventAt) : deps.store.propagate(summary));
            found.mended += 1;
        } catch (err) {
            if (!isRetryable(err)) throw err;
            found.deferred += 1;
            deps.log.warn(
                `${WHO[who].name}: call ${row.callId} has ended but its index or call-ended event could not be written (${(err as Error).message}); the next run tries again.`,
            );
        }
    });
    return found;
}

/**
 * How to take Graph's answer: `record` a 200 or a 404 (the call is gone), stop the run on a refusal (401/403:
 * no other call would fare better), and leave anything else (429, 5xx, no answer) for the next run.
 */
export function verdictOf(outcome: GraphCallOutcome): CheckVerdict {
    const answer = outcome.kind === 'answered' ? outcome.answer : undefined;
    if (answer?.status === 401 || answer?.status === 403) return 'refused';
    return answer?.status === 200 || answer?.status === 404 ? 'record' : 'deferred';
}

/** The `reconciliation` event that records Graph's answer; a 404 says the call is gone (`terminated`). */
export function checkEvent(who: GraphCheck, at: Date, clientRequestId: string, answer: GraphAnswer): NewCallEvent {
    const callState = answer.status === 404 ? 'terminated' : answer.callState;
    return {
        kind: EVENT_KIND.reconciliation,
        receivedAt: at,
        checkedBy: who,
        httpStatus: answer.status,
        clientRequestId,
        ...(callState === undefined ? {} : { callState }),
        ...(answer.graphRequestId ? { graphRequestId: answer.graphRequestId } : {}),
        // Graph's GET names the call's record after the call: kept on the summary (callState.ts).
        ...(answer.callChainId ? { callChainId: answer.callChainId } : {}),
        ...(answer.status === 404 ? { resultMessage: `Graph has no such call${answer.errorCode ? ` (${answer.errorCode})` : ''}.` } : {}),
    };
}

/**
 * Writes Graph's answer about a call through the CallStore; undefined when it could not be written in full
 * now (storage or the call-ended queue failed: the call stays in `_active` and the next run puts it right).
 */
export async function recordCheck(deps: GraphCheckDependencies, who: GraphCheck, callId: string, event: NewCallEvent): Promise<AppendResult | undefined> {
    try {
        return await deps.store.appendCallEvents(callId, [event]);
    } catch (err) {
        if (!isRetryable(err)) throw err;
        deps.log.warn(`${WHO[who].name}: the outcome for call ${callId} could not be recorded in full (${(err as Error).message}); the next run tries again.`);
        return undefined;
    }
}

/** The error that stops a run Graph refused, in words that say what to grant. */
export function refusal(who: GraphCheck, callId: string, outcome: GraphCallOutcome): UpstreamError {
    const answer = outcome.kind === 'answered' ? outcome.answer : undefined;
    const code = answer?.errorCode ? ` ${answer.errorCode}` : '';
    const request = answer?.graphRequestId ? `, Graph request-id ${answer.graphRequestId}` : '';
    const what = who === 'reconciler' ? 'no call was reconciled' : 'no call was kept alive';
    return new UpstreamError(
        `Graph refused the ${who}`,
        `Graph answered ${answer?.status}${code} to ${WHO[who].request} ${callId} (client-request-id ${outcome.clientRequestId}${request}): the app's token or ` +
            `its permissions were refused, so ${what}. Grant the app the Graph application permissions it needs (for example Calls.Initiate.All) with admin consent.`,
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
