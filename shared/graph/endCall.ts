// The hang-up use case: ask Graph to end the bot's leg of a call, record the attempt in the call's
// history, and turn Graph's answer into ours (204, or a problem that says exactly what went wrong).
// With call records on, a call the record knows no `callChainId` for (no notification carried one) is read from
// Graph first: after the hang-up Graph has no call to read it from, and its call record is asked for by that id.

import { requesterInWords, type RequestAudit } from '../access/requester';
import { EVENT_KIND, type CallSummary, type NewCallEvent } from '../record/callModel';
import { isCallEnded } from '../record/callState';
import { requireCallId } from '../callId';
import type { CallStore } from '../record/callStore';
import { ensureError, NotFoundError, ServiceUnavailableError, UpstreamError } from '../errors';
import type { GraphAnswer, GraphCallsClient, HangupOutcome } from './graphCalls';
import { graphStatusOf } from './graphStatus';
import type { ErrorLogger } from '../problem';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace } from '../telemetry/telemetry';

export interface EndCallDependencies {
    graph: Pick<GraphCallsClient, 'deleteCall' | 'getCall'>;
    store: Pick<CallStore, 'appendCallEvents' | 'getCallSummary'>;
    log: ErrorLogger;
    now?: () => Date;
    /** The invocation's trace, the parent of the hang-up's span. */
    trace?: InvocationTrace;
    /** Read the call's `callChainId` from Graph before the hang-up when the record has none (CALL_RECORDS=on). */
    readChainId?: boolean;
}

/** Used when Graph throttles or fails without saying when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Ends the call, or throws the error that explains why it could not. The id is checked before anything
 * else: a bad one never reaches Graph. `audit` (who asked, and why) goes on the attempt's history event.
 *
 * @example
 * await endCall(request.params.callId, { graph, store, log: context }, requestAudit(requester, reason));
 */
export async function endCall(rawCallId: string | undefined, deps: EndCallDependencies, audit: RequestAudit): Promise<void> {
    const callId = requireCallId(rawCallId);
    await inSpan(SPANS.hangup, deps.trace, async (span) => {
        const requestedAt = (deps.now ?? (() => new Date()))();
        const callChainId = deps.readChainId === true ? await chainIdBeforeHangUp(callId, deps) : undefined;
        const outcome = await deps.graph.deleteCall(callId);
        const graphStatus = graphStatusOf(outcome);
        record(METRICS.hangups, { graph_status: graphStatus });
        span.set({ graph_status: graphStatus, attempts: outcome.attempts });
        await recordAttempt(callId, requestedAt, outcome, audit, callChainId, deps);
        const failure = failureOf(callId, outcome);
        if (failure !== undefined) {
            throw failure;
        }
    });
}

/** The attempt in the call's history (with the chain id read before it, if any); a failure to store it is logged, never the hang-up's own failure. */
async function recordAttempt(
    callId: string,
    requestedAt: Date,
    outcome: HangupOutcome,
    audit: RequestAudit,
    callChainId: string | undefined,
    deps: EndCallDependencies,
): Promise<void> {
    try {
        await deps.store.appendCallEvents(callId, [{ ...hangupEvent(callId, requestedAt, outcome, audit), ...(callChainId === undefined ? {} : { callChainId }) }]);
    } catch (err) {
        // The hang-up itself is what the caller asked for; the notifications that follow will still
        // create the record. Say it loudly so an operator can see the gap.
        const cause = ensureError(err instanceof Error && err.cause !== undefined ? err.cause : err);
        deps.log.error(
            `HANG-UP NOT RECORDED: call ${callId} has no hangupRequest event for this attempt by ${requesterInWords(audit)} (${describe(outcome)} ` +
                `client-request-id ${outcome.clientRequestId}). Storing it failed: ${cause.message.split('\n')[0]}`,
            cause,
        );
    }
}

/**
 * The call's `callChainId` from Graph (`GET` the call), when the record has none and the call has not ended; else
 * undefined. Best effort: whatever fails here, the hang-up goes ahead (the call record is then `notFound`, saying why).
 */
async function chainIdBeforeHangUp(callId: string, deps: EndCallDependencies): Promise<string | undefined> {
    let summary: CallSummary | undefined;
    try {
        summary = await deps.store.getCallSummary(callId);
    } catch {
        // Storage is failing: the hang-up's own write says so (HANG-UP NOT RECORDED).
        return undefined;
    }
    if (summary?.callChainId !== undefined || (summary !== undefined && isCallEnded(summary))) return undefined;
    const outcome = await deps.graph.getCall(callId);
    return outcome.kind === 'answered' && outcome.answer.status === 200 ? outcome.answer.callChainId : undefined;
}

function hangupEvent(callId: string, requestedAt: Date, outcome: HangupOutcome, audit: RequestAudit): NewCallEvent {
    const answer = graphAnswerOf(outcome);
    return {
        ...audit,
        kind: EVENT_KIND.hangupRequest,
        receivedAt: requestedAt,
        resourceUrl: `/communications/calls/${callId}`,
        clientRequestId: outcome.clientRequestId,
        resultMessage: describe(outcome),
        ...(answer ? { httpStatus: answer.status } : {}),
        ...(answer?.graphRequestId ? { graphRequestId: answer.graphRequestId } : {}),
    };
}

/** Graph's last answer, also when the deadline cut the retries after it. */
function graphAnswerOf(outcome: HangupOutcome): GraphAnswer | undefined {
    return outcome.kind === 'answered' ? outcome.answer : outcome.lastAnswer;
}

/** One line for the history and for problem details. */
function describe(outcome: HangupOutcome): string {
    if (outcome.kind === 'unreachable') {
        return outcome.lastAnswer === undefined
            ? `Graph could not be reached: ${outcome.reason}.`
            : `${describeAnswer(outcome.lastAnswer)} (the last of ${outcome.attempts} attempts; the time bound stopped the retries).`;
    }
    return `${describeAnswer(outcome.answer)}${outcome.attempts > 1 ? ` (the last of ${outcome.attempts} attempts)` : ''}.`;
}

function describeAnswer(answer: GraphAnswer): string {
    const code = answer.errorCode ? ` ${answer.errorCode}` : '';
    const message = answer.errorMessage ? ` "${answer.errorMessage.replace(/\.$/, '')}"` : '';
    return `Graph answered ${answer.status}${code}${message}`;
}

function failureOf(callId: string, outcome: HangupOutcome): Error | undefined {
    const answer = graphAnswerOf(outcome);
    const ids = `(client-request-id ${outcome.clientRequestId}${answer?.graphRequestId ? `, Graph request-id ${answer.graphRequestId}` : ''})`;
    if (outcome.kind === 'unreachable' && outcome.tokenFailure) {
        return new UpstreamError(
            'No Graph token',
            `The app could not get a Graph token, so Graph was not called: ${outcome.reason} ${ids}. Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential (client secret or managed identity).`,
        );
    }
    // Throttled or failing until the retries or the deadline ran out: the caller should come back later.
    if (answer !== undefined && (answer.status === 429 || answer.status >= 500)) {
        return new ServiceUnavailableError(`${describe(outcome)} ${ids} Retry later.`, answer.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    }
    if (outcome.kind === 'unreachable') {
        return new UpstreamError('Graph unreachable', `${describe(outcome)} ${ids} The call may or may not have ended; hanging up again is safe (a 404 then means it has ended).`);
    }
    const { status } = outcome.answer;
    if (status >= 200 && status < 300) {
        return undefined;
    }
    if (status === 404) {
        const earlier = outcome.earlierAttemptUnanswered ? ' An earlier attempt got no answer and may have ended it.' : '';
        return new NotFoundError(`Graph has no call ${callId}: ${describe(outcome)} ${ids}${earlier}`);
    }
    if (status === 401 || status === 403) {
        return new UpstreamError(
            'Graph refused the app',
            `${describe(outcome)} The app's token or its permissions were refused (the app needs Graph application permissions such as Calls.Initiate.All, granted by an admin) ${ids}.`,
        );
    }
    return new UpstreamError('Graph refused the hang-up', `${describe(outcome)} ${ids}`);
}
