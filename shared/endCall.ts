// The hang-up use case: ask Graph to end the bot's leg of a call, record the attempt in the call's
// history, and turn Graph's answer into ours (204, or a problem that says exactly what went wrong).

import { EVENT_KIND, type NewCallEvent } from './callModel';
import { requireCallId } from './callId';
import type { CallStore } from './callStore';
import { NotFoundError, ServiceUnavailableError, UpstreamError } from './errors';
import type { GraphCallsClient, HangupOutcome } from './graphCalls';
import type { ErrorLogger } from './problem';

export interface EndCallDependencies {
    graph: GraphCallsClient;
    store: CallStore;
    log: ErrorLogger;
    now?: () => Date;
}

/** Used when Graph throttles or fails without saying when to come back. */
const DEFAULT_RETRY_AFTER_SECONDS = 5;

/**
 * Ends the call, or throws the error that explains why it could not. The id is checked before anything
 * else: a bad one never reaches Graph.
 *
 * @example
 * await endCall(request.params.callId, { graph, store, log: context });
 */
export async function endCall(rawCallId: string | undefined, deps: EndCallDependencies): Promise<void> {
    const callId = requireCallId(rawCallId);
    const requestedAt = (deps.now ?? (() => new Date()))();
    const outcome = await deps.graph.deleteCall(callId);
    try {
        await deps.store.appendCallEvents(callId, [hangupEvent(callId, requestedAt, outcome)]);
    } catch (err) {
        // The hang-up itself is what the caller asked for; the notifications that follow will still
        // create the record. Say it loudly so an operator can see the gap.
        deps.log.error(`Hang-up of call ${callId} (client-request-id ${outcome.clientRequestId}) was not recorded in the call history:`, err);
    }
    const failure = failureOf(callId, outcome);
    if (failure !== undefined) {
        throw failure;
    }
}

function hangupEvent(callId: string, requestedAt: Date, outcome: HangupOutcome): NewCallEvent {
    return {
        kind: EVENT_KIND.hangupRequest,
        receivedAt: requestedAt,
        resourceUrl: `/communications/calls/${callId}`,
        clientRequestId: outcome.clientRequestId,
        resultMessage: describe(outcome),
        ...(outcome.kind === 'answered' ? { httpStatus: outcome.status } : {}),
        ...(outcome.kind === 'answered' && outcome.graphRequestId ? { graphRequestId: outcome.graphRequestId } : {}),
    };
}

/** One line for the history and for problem details. */
function describe(outcome: HangupOutcome): string {
    if (outcome.kind === 'unreachable') {
        return `Graph could not be reached: ${outcome.reason}${outcome.lastStatus ? ` (last answer ${outcome.lastStatus})` : ''}.`;
    }
    const code = outcome.errorCode ? ` ${outcome.errorCode}` : '';
    const message = outcome.errorMessage ? ` "${outcome.errorMessage}"` : '';
    return `Graph answered ${outcome.status}${code}${message}.`;
}

function failureOf(callId: string, outcome: HangupOutcome): Error | undefined {
    const ids = `(client-request-id ${outcome.clientRequestId}${outcome.kind === 'answered' && outcome.graphRequestId ? `, Graph request-id ${outcome.graphRequestId}` : ''})`;
    if (outcome.kind === 'unreachable') {
        if (outcome.tokenFailure) {
            return new UpstreamError('Graph token refused', `The app could not get a Graph token: ${outcome.reason} ${ids}. Check AZURE_TENANT_ID, AZURE_CLIENT_ID and the credential.`);
        }
        if (outcome.lastStatus === 429 || (outcome.lastStatus ?? 0) >= 500) {
            return new ServiceUnavailableError(`Graph kept answering ${outcome.lastStatus} until the deadline ${ids}; retry later.`, outcome.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
        }
        return new UpstreamError('Graph unreachable', `${describe(outcome)} ${ids}`);
    }
    const { status } = outcome;
    if (status >= 200 && status < 300) {
        return undefined;
    }
    if (status === 404) {
        return new NotFoundError(`Graph has no call ${callId}: ${describe(outcome)} ${ids}`);
    }
    if (status === 401 || status === 403) {
        return new UpstreamError(
            'Graph refused the app',
            `${describe(outcome)} The app's token or its permissions were refused (application permissions such as Calls.Initiate.All need admin consent) ${ids}.`,
        );
    }
    if (status === 429 || status >= 500) {
        return new ServiceUnavailableError(`${describe(outcome)} after retries ${ids}; retry later.`, outcome.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
    }
    return new UpstreamError('Graph refused the hang-up', `${describe(outcome)} ${ids}`);
}
