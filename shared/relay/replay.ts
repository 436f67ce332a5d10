// A replay: a call's notifications delivered to the bot again from a sequence on, in order, each request with the
// `webhook-id` and the notifications it had before (relayRules.nextBatch keeps them together). The cursor goes back,
// and a retry message due at once carries the call on from there; the function app's `relayRetries` trigger sends.
// Used by `POST /api/calls/{callId}/relay` and `calls relay replay`. Each replay is kept in the call's history as
// a relayReplay event with who asked and why (SPEC "Who may do what").

import type { RequestAudit } from '../access/requester';
import { EVENT_KIND } from '../record/callModel';
import type { CallStore } from '../record/callStore';
import { StorageUnavailableError } from '../record/storageErrors';
import { BadRequestError, NotFoundError } from '../errors';
import { readRows } from './historyRows';
import type { RelayQueue } from './relayQueue';
import { isRelayable, rewindForReplay } from './relayRules';
import { randomOwner } from './relayOwner';

export interface ReplayResult {
    callId: string;
    /** The first sequence sent again: the start of the request the asked-for notification went in. */
    fromSequence: number;
    relayedThrough: number;
    relayPending: number;
}

export interface ReplayDependencies {
    store: CallStore;
    queue: RelayQueue;
    now?: () => Date;
}

/**
 * Rewinds the relay of `callId` to `fromSequence` (rounded down to its request), schedules the delivery, and
 * records who asked in the call's history. A failure after the rewind is a 503: asking again replays again, with
 * the same webhook-ids, which the bot drops as repeats.
 *
 * @example
 * await replayCall({ store, queue }, callId, 1, requestAudit(requester, 'the bot lost its state'));
 */
export async function replayCall(deps: ReplayDependencies, callId: string, fromSequence: number, audit: RequestAudit): Promise<ReplayResult> {
    const now = deps.now ?? (() => new Date());
    for (let attempt = 1; ; attempt++) {
        const summary = await deps.store.getCallSummary(callId);
        if (summary === undefined) throw new NotFoundError(`Nothing is recorded for call ${callId}.`);
        if (fromSequence > summary.eventCount) {
            throw new BadRequestError(`fromSequence ${fromSequence} is past the call's history: call ${callId} has ${summary.eventCount} events.`);
        }
        const cursor = summary.relayedThrough ?? summary.eventCount;
        const [asked] = await readRows(deps.store.table, callId, fromSequence, fromSequence);
        const start = asked?.relayBatch !== undefined && asked.relayBatch <= fromSequence ? asked.relayBatch : fromSequence;
        // Every notification the cursor goes back over is pending again, sent before or not (a call stored before the relay was on).
        const passed = start <= cursor ? (await readRows(deps.store.table, callId, start, cursor)).filter((row) => isRelayable(callId, row)).length : 0;
        const owner = randomOwner();
        // The message goes first: a rewind written without one would leave the call with no owner.
        await deps.queue.send({ callId, owner }, 0);
        const at = now();
        let moved = false;
        const written = await deps.store.updateCall(callId, (current) => {
            // Anything delivered since the rows were counted changes the count: count again.
            moved = current.relayedThrough !== summary.relayedThrough;
            return moved ? undefined : { summary: rewindForReplay(current, start, passed, owner, fromSequence, at) };
        });
        if (!moved) {
            const result = { callId, fromSequence: start, relayedThrough: written.summary.relayedThrough ?? 0, relayPending: written.summary.relayPending ?? 0 };
            await deps.store.appendCallEvents(callId, [
                {
                    kind: EVENT_KIND.relayReplay,
                    receivedAt: at,
                    resultMessage: `Replay from sequence ${start}${start === fromSequence ? '' : ` (the request sequence ${fromSequence} went in)`}: ${result.relayPending} notifications pending.`,
                    ...audit,
                },
            ]);
            return result;
        }
        if (attempt >= 5) throw new StorageUnavailableError(new Error(`call ${callId} kept moving while the replay was planned`));
    }
}
