// The reconciler (SPEC "Call lifecycle"): Graph sometimes never sends the end of a call, and ends on its
// own any call nobody keeps alive within 45 minutes. So the calls that have not ended and have been quiet
// for a while are checked with Graph (`GET /communications/calls/{id}`, the hang-up's pipeline and
// credential): a 404 closes the call in the record, a state goes through the state rules like a
// notification. Ended calls are never asked about: the candidates come from the `_active` index.
//
// Exact when two runs overlap (graphChecks.ts, which keepAlive shares): the outcome is written as a
// `reconciliation` event through the CallStore, whose planner drops it when the call has ended meanwhile.

import type { CallSummary } from '../record/callModel';
import type { GraphCallsClient } from '../graph/graphCalls';
import { inParallel } from '../inParallel';
import type { CallRelay } from '../relay/callRelay';
import type { UpstreamError } from '../errors';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace } from '../telemetry/telemetry';
import { activeCalls, checkEvent, recordCheck, refusal, verdictOf, type GraphCheckDependencies } from './graphChecks';

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

export interface ReconcileDependencies extends GraphCheckDependencies {
    graph: Pick<GraphCallsClient, 'getCall'>;
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
    const { active, summaries, mended, deferred } = await activeCalls(deps, 'reconciler', deadline);
    const result: ReconcileResult = { active, due: 0, checked: 0, closed: 0, changed: 0, unchanged: 0, deferred, mended };
    const quietSince = now().getTime() - settings.afterMinutes * 60_000;
    // The longest quiet first: a backlog drains oldest first over successive runs.
    const due = summaries.filter((summary) => lastActivity(summary) <= quietSince).sort((a, b) => lastActivity(a) - lastActivity(b));
    result.due = due.length;

    let refused: UpstreamError | undefined;
    await inParallel(due.slice(0, settings.maxCalls), settings.concurrency ?? 4, async (summary) => {
        if (refused !== undefined || Date.now() > deadline) return;
        const outcome = await deps.graph.getCall(summary.callId);
        result.checked += 1;
        const verdict = verdictOf(outcome);
        if (verdict === 'refused') {
            refused ??= refusal('reconciler', summary.callId, outcome);
            return;
        }
        if (verdict === 'deferred' || outcome.kind !== 'answered') {
            result.deferred += 1;
            const status = outcome.kind === 'answered' ? outcome.answer.status : undefined;
            if (status !== undefined && status !== 429 && status < 500) {
                deps.log.warn(`Reconciler: Graph answered ${status} for call ${summary.callId}; it is checked again next run.`);
            }
            return;
        }
        const appended = await recordCheck(deps, 'reconciler', summary.callId, checkEvent('reconciler', now(), outcome.clientRequestId, outcome.answer));
        if (appended === undefined) result.deferred += 1;
        else if (outcome.answer.status === 404) result.closed += appended.stored.length;
        else if (appended.stored.length > 0) result.changed += 1;
        else result.unchanged += 1;
    });
    if (refused !== undefined) {
        result.refused = refused.detail;
        deps.log.error(`RECONCILER STOPPED: ${refused.detail}`);
    }
    return result;
}

/** When the call last showed a sign of life (an event, a keepAlive Graph answered), or was last checked. */
function lastActivity(summary: CallSummary): number {
    return Math.max(summary.lastEventAt?.getTime() ?? 0, summary.reconciledAt?.getTime() ?? 0, summary.keptAliveAt?.getTime() ?? 0);
}
