// keepAlive (SPEC "keepAlive"): Graph ends a call that gets no keepAlive within 45 minutes ("Keep Alive
// timeout"), and a bot that runs serverless has no loop of its own to send one. So a timer sends
// `POST /communications/calls/{id}/keepAlive` for every active call the `_active` index lists, every
// KEEP_ALIVE_MINUTES: 200 records `keptAliveAt`; 404 means Graph no longer has the call, which is closed exactly
// as the reconciler closes it (graphChecks.ts: a `reconciliation` event, `closedBy: keepAlive`, the call-ended
// message); 401/403 stop the run loudly. Every active call is sent one on every run, the longest without one
// first, so a run that is late or cut short by its bounds delays a call by one interval at most; runs that
// overlap send a call two keepAlives, which Graph takes as one.

import type { UpstreamError } from '../errors';
import type { GraphCallsClient } from '../graph/graphCalls';
import { graphStatusOf } from '../graph/graphStatus';
import { inParallel } from '../inParallel';
import type { CallSummary } from '../record/callModel';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace } from '../telemetry/telemetry';
import { activeCalls, checkEvent, recordCheck, refusal, verdictOf, type GraphCheckDependencies } from './graphChecks';

export interface KeepAliveSettings {
    /** keepAlives per run at most; the rest (those kept alive most recently) wait for the next run. */
    maxCalls: number;
    /** No new keepAlive starts after this long. */
    timeBudgetMs: number;
    /** Graph requests at once. */
    concurrency?: number;
}

export interface KeepAliveDependencies extends GraphCheckDependencies {
    graph: Pick<GraphCallsClient, 'keepAlive'>;
    /** The invocation's trace, the parent of the run's span. */
    trace?: InvocationTrace;
}

export interface KeepAliveResult {
    /** Active calls in the index. */
    active: number;
    /** keepAlives sent. */
    sent: number;
    /** Graph answered 200: `keptAliveAt` recorded. */
    keptAlive: number;
    /** Graph had no such call: closed in the record. */
    closed: number;
    /** Throttled, failing or unreachable, or not recorded: sent again next run. */
    deferred: number;
    /** Index rows of calls that had ended or are gone, put right. */
    mended: number;
    /** Set when Graph refused the app (401/403): the run stopped. */
    refused?: string;
}

/**
 * One run of keepAlive.
 *
 * @example
 * const result = await keepCallsAlive({ table, store, graph, log: context }, { maxCalls: 5000, timeBudgetMs: 240_000 });
 */
export function keepCallsAlive(deps: KeepAliveDependencies, settings: KeepAliveSettings): Promise<KeepAliveResult> {
    return inSpan(SPANS.keepAlive, deps.trace, async (span) => {
        const result = await runKeepAlive(deps, settings);
        record(METRICS.keepAliveRuns, { result: result.refused === undefined ? 'completed' : 'refused' });
        span.set({ active: result.active, sent: result.sent, kept_alive: result.keptAlive, closed: result.closed, deferred: result.deferred });
        return result;
    });
}

async function runKeepAlive(deps: KeepAliveDependencies, settings: KeepAliveSettings): Promise<KeepAliveResult> {
    const now = deps.now ?? (() => new Date());
    const deadline = Date.now() + settings.timeBudgetMs;
    const { active, summaries, mended, deferred } = await activeCalls(deps, 'keepAlive', deadline);
    const result: KeepAliveResult = { active, sent: 0, keptAlive: 0, closed: 0, deferred, mended };
    const due = [...summaries].sort((a, b) => lastKeptAlive(a) - lastKeptAlive(b)).slice(0, settings.maxCalls);

    let refused: UpstreamError | undefined;
    await inParallel(due, settings.concurrency ?? 16, async (summary) => {
        if (refused !== undefined || Date.now() > deadline) return;
        const outcome = await deps.graph.keepAlive(summary.callId);
        result.sent += 1;
        record(METRICS.keepAliveRequests, { graph_status: graphStatusOf(outcome) });
        const verdict = verdictOf(outcome);
        if (verdict === 'refused') {
            refused ??= refusal('keepAlive', summary.callId, outcome);
            return;
        }
        if (verdict === 'deferred' || outcome.kind !== 'answered') {
            result.deferred += 1;
            const status = outcome.kind === 'answered' ? outcome.answer.status : undefined;
            deps.log.warn(
                `keepAlive: ${status === undefined ? `no answer from Graph (${outcome.kind === 'unreachable' ? outcome.reason : ''})` : `Graph answered ${status}`} for call ${summary.callId}; it is sent again next run.`,
            );
            return;
        }
        const appended = await recordCheck(deps, 'keepAlive', summary.callId, checkEvent('keepAlive', now(), outcome.clientRequestId, outcome.answer));
        if (appended === undefined) result.deferred += 1;
        else if (outcome.answer.status === 404) result.closed += appended.stored.length;
        else result.keptAlive += 1;
    });
    if (refused !== undefined) {
        result.refused = refused.detail;
        deps.log.error(`KEEPALIVE STOPPED: ${refused.detail}`);
    }
    return result;
}

/** The last keepAlive Graph took, or the call's start: Graph's 45 minutes run from the later of the two. */
function lastKeptAlive(summary: CallSummary): number {
    return Math.max(summary.keptAliveAt?.getTime() ?? 0, summary.firstEventAt?.getTime() ?? 0);
}
