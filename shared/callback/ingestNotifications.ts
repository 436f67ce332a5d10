// The callback's use case: read the body, check the token, parse the notifications, store them per call,
// hand them to the relay (which makes its first attempt to deliver them to the bot now), and say how many were
// new, redelivered, or unattributable. Nothing is acknowledged before it is stored.

import type { CallStore } from '../record/callStore';
import { EVENT_KIND, type NewCallEvent } from '../record/callModel';
import type { CallRelay, RelayLog } from '../relay/callRelay';
import type { CallbackTokenVerifier } from './callbackAuth';
import { parseNotifications } from './notifications';
import { CALLBACK_BODY_LIMIT, parseJson, readBody, requireJsonContentType } from '../requestBody';

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

export interface IngestDependencies {
    store: CallStore;
    verifier: CallbackTokenVerifier;
    /** With the relay on: its first attempt, before the answer (a failure of the bot is the relay's to retry). */
    relay?: { relay: CallRelay; log: RelayLog };
    now?: () => Date;
}

/**
 * @example
 * const result = await ingestCallback(request, { store, verifier }); // { accepted: 3, duplicates: 0, rejected: 0 }
 */
export async function ingestCallback(request: CallbackRequest, deps: IngestDependencies): Promise<IngestResult> {
    const receivedAt = (deps.now ?? (() => new Date()))();
    const bytes = await readBody(request.body, request.header('content-length'), CALLBACK_BODY_LIMIT);
    const caller = await deps.verifier.verify(request.header('authorization'));
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
    // Wait for every call's write to finish, even when one fails, so the answer reflects what is stored.
    const settled = await Promise.allSettled([...byPartition].map(async ([partition, events]) => ({ events, result: await deps.store.appendCallEvents(partition, events) })));
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) {
        throw failure.reason;
    }
    const relay = deps.relay;
    if (relay !== undefined) {
        // Calls are relayed side by side: one slow call never holds another back.
        await Promise.all(
            [...byPartition.keys()].map((partition, i) => {
                const outcome = settled[i];
                return outcome?.status === 'fulfilled' ? relay.relay.afterIngest(partition, outcome.value.result, relay.log) : undefined;
            }),
        );
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
