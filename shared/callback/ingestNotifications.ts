// The callback's use case: read the body, check the token, parse the notifications, store them per call,
// hand them to the relay (which makes its first attempt to deliver them to the bot now), and say how many were
// new, redelivered, or unattributable. Nothing is acknowledged before it is stored.
// Every callback is one trace (verify, store, relay, answer) and moves the callback metrics, by the answer it got.

import type { CallStore } from '../record/callStore';
import { EVENT_KIND, type NewCallEvent } from '../record/callModel';
import type { CallRelay, RelayLog } from '../relay/callRelay';
import type { CallbackTokenVerifier } from './callbackAuth';
import { parseNotifications } from './notifications';
import { CallRecordError } from '../errors';
import { jsonAnswer, problemAnswer, type ErrorLogger, type HttpAnswer } from '../problem';
import { CALLBACK_BODY_LIMIT, parseJson, readBody, requireJsonContentType } from '../requestBody';
import { METRICS, SPANS } from '../telemetry/catalogue';
import { inSpan, record, type InvocationTrace, type SpanRecorder } from '../telemetry/telemetry';

/** The parts of the HTTP request the callback reads. */
export interface CallbackRequest {
    header(name: string): string | null;
    body: AsyncIterable<Uint8Array> | null;
}

export interface IngestResult {
    /** Notifications stored as new history events of a call. */
    accepted: number;
    /** Redeliveries recognised and not stored again. */
    duplicates: number;
    /**
     * Notifications stored as `rejected` events: those no call could be found for (in `_unrouted`), and
     * those the storage refused as sent (in their call's history, with the storage's reason).
     */
    rejected: number;
}

interface IngestDependencies {
    store: CallStore;
    verifier: CallbackTokenVerifier;
    /** With the relay on: its first attempt, before the answer (a failure of the bot is the relay's to retry). */
    relay?: { relay: CallRelay; log: RelayLog };
    now?: () => Date;
}

export interface AnswerDependencies extends IngestDependencies {
    log: ErrorLogger;
    /** Named in a 500's detail, so the caller can quote it. */
    invocationId?: string;
    /** The invocation's trace, the parent of the callback's span. */
    trace?: InvocationTrace;
}

type CallbackStatus = (typeof METRICS.callbackRequests.attributes.status.values)[number];
type CallbackReason = (typeof METRICS.callbackRequests.attributes.reason.values)[number];

/**
 * The callback's answer: `202` with the counts once everything is stored, or the problem that says why not, and
 * the telemetry of both (the callback's trace, its status and reason, its latency, what became of each notification).
 *
 * @example
 * const { answer, result } = await answerCallback(request, { store, verifier, log: context, invocationId: context.invocationId });
 */
export function answerCallback(request: CallbackRequest, deps: AnswerDependencies): Promise<{ answer: HttpAnswer; result?: IngestResult }> {
    const started = performance.now();
    return inSpan(SPANS.callback, deps.trace, async (span) => {
        let result: IngestResult | undefined;
        let failure: unknown;
        try {
            result = await ingestCallback(request, deps, span);
        } catch (err) {
            failure = err;
        }
        const answer = await span.inChild(SPANS.callbackAnswer, async (answering) => {
            const made = result !== undefined ? jsonAnswer(202, result) : problemAnswer(failure, deps.log, deps.invocationId);
            answering.set({ status: statusOf(made) });
            return made;
        });
        const status = statusOf(answer);
        const reason = reasonOf(failure);
        record(METRICS.callbackRequests, { status, ...(reason === undefined ? {} : { reason }) });
        record(METRICS.callbackDuration, { status }, performance.now() - started);
        if (result !== undefined) {
            if (result.accepted > 0) record(METRICS.notifications, { outcome: 'stored' }, result.accepted);
            if (result.duplicates > 0) record(METRICS.notifications, { outcome: 'duplicate' }, result.duplicates);
            if (result.rejected > 0) record(METRICS.notifications, { outcome: 'rejected' }, result.rejected);
            span.set({ stored: result.accepted, duplicates: result.duplicates, rejected: result.rejected });
        }
        span.set({ status, reason });
        return result === undefined ? { answer } : { answer, result };
    });
}

const STATUSES: readonly string[] = METRICS.callbackRequests.attributes.status.values;
const REASONS: readonly string[] = METRICS.callbackRequests.attributes.reason.values;

/** The answer's status as the metric lists it; the callback answers no other (a new one belongs in the catalogue). */
function statusOf(answer: HttpAnswer): CallbackStatus {
    const status = String(answer.status);
    return STATUSES.includes(status) ? (status as CallbackStatus) : '500';
}

function reasonOf(failure: unknown): CallbackReason | undefined {
    const reason = failure instanceof CallRecordError ? failure.reason : undefined;
    return reason !== undefined && REASONS.includes(reason) ? (reason as CallbackReason) : undefined;
}

/**
 * @example
 * const result = await ingestCallback(request, { store, verifier }); // { accepted: 3, duplicates: 0, rejected: 0 }
 */
async function ingestCallback(request: CallbackRequest, deps: IngestDependencies, span: SpanRecorder<typeof SPANS.callback>): Promise<IngestResult> {
    const receivedAt = (deps.now ?? (() => new Date()))();
    const bytes = await readBody(request.body, request.header('content-length'), CALLBACK_BODY_LIMIT);
    const caller = await span.inChild(SPANS.callbackVerify, async (verifying) => {
        try {
            return await deps.verifier.verify(request.header('authorization'));
        } catch (err) {
            verifying.set({ reason: reasonOf(err) });
            throw err;
        }
    });
    requireJsonContentType(request.header('content-type'));
    const routed = parseNotifications(parseJson(bytes), {
        receivedAt,
        ...nonEmptyHeaders({
            tenantId: caller.tenantId,
            chainId: request.header('x-microsoft-skype-chain-id'),
            messageId: request.header('x-microsoft-skype-message-id'),
            scenarioId: request.header('scenario-id'),
        }),
    });

    const byPartition = new Map<string, NewCallEvent[]>();
    for (const { partition, event } of routed) {
        const events = byPartition.get(partition) ?? [];
        events.push(event);
        byPartition.set(partition, events);
    }
    const settled = await span.inChild(SPANS.callbackStore, async (storing) => {
        storing.set({ calls: byPartition.size, notifications: routed.length });
        // Wait for every call's write to finish, even when one fails, so the answer reflects what is stored.
        const outcomes = await Promise.allSettled([...byPartition].map(async ([partition, events]) => ({ events, result: await deps.store.appendCallEvents(partition, events) })));
        const failure = outcomes.find((outcome) => outcome.status === 'rejected');
        if (failure !== undefined) {
            throw failure.reason;
        }
        return outcomes;
    });
    const relay = deps.relay;
    const relayed = [...byPartition.keys()].flatMap((partition, i) => {
        const outcome = settled[i];
        return outcome?.status === 'fulfilled' && !partition.startsWith('_') ? [{ partition, stored: outcome.value.result }] : [];
    });
    if (relay !== undefined && relayed.length > 0) {
        await span.inChild(SPANS.callbackRelay, async (relaying) => {
            relaying.set({ calls: relayed.length });
            // Calls are relayed side by side: one slow call never holds another back.
            await Promise.all(relayed.map(({ partition, stored }) => relay.relay.afterIngest(partition, stored, relay.log, relaying)));
        });
    }

    const result: IngestResult = { accepted: 0, duplicates: 0, rejected: 0 };
    for (const outcome of settled) {
        if (outcome.status !== 'fulfilled') continue;
        const { events, result: appended } = outcome.value;
        appended.outcomes.forEach((eventOutcome, i) => {
            if (eventOutcome.outcome === 'duplicate') result.duplicates += 1;
            // Unattributable, or refused by the storage and kept as a rejected event of its call.
            else if (eventOutcome.outcome === 'rejected' || events[i]?.kind === EVENT_KIND.rejected) result.rejected += 1;
            else result.accepted += 1;
        });
    }
    return result;
}

/** The header values that were sent and are not empty. */
function nonEmptyHeaders<T extends Record<string, string | null | undefined>>(fields: T): { [K in keyof T]?: string } {
    return Object.fromEntries(Object.entries(fields).filter(([, value]) => typeof value === 'string' && value !== '')) as {
        [K in keyof T]?: string;
    };
}
