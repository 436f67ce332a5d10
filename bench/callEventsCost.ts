// What queuing call-ended messages costs the callback's acknowledgement (issue 11): whole calls of four
// notifications (so a quarter of the POSTs end a call), at concurrency 32, through two hosts of the app that
// differ only in CALL_EVENTS_QUEUE (set: a message is queued before the ending POST's 202; empty: off),
// taking turns on emptied tables. After each repetition with messages on, the queue must hold exactly one
// message per call that ended.

import { QueueClient } from '@azure/storage-queue';
import type { BenchEnvironment } from './benchEnvironment';
import { pairedRatio } from './loadSample';
import type { CallShape } from './notificationBodies';
import { progress } from './progress';
import { measureHostsSideBySide, summariseSide, type SideBySideOptions, type SideSummary } from './sideBySide';

export interface CallEventsCostResult {
    concurrency: number;
    notificationsPerCall: number;
    on: SideSummary;
    off: SideSummary;
    /** Notifications per second, on / off (median of the per-repetition ratios). */
    rateRatio: number;
    /** Messages found on the queue after the repetitions with messages on, and calls those repetitions ended. */
    messagesQueued: number;
    callsEnded: number;
}

/** A quarter of the POSTs end a call: establishing, established, one roster change, terminated. */
const QUARTER_ENDING: CallShape = { rosterUpdates: 1, deletedAfterEnd: false };
const QUEUE = 'bench-ack-events';

export async function measureCallEventsCost(env: BenchEnvironment, options: SideBySideOptions): Promise<CallEventsCostResult> {
    const queue = new QueueClient(env.azurite.connectionString, QUEUE);
    // Made here, not left to the host's first message: a warm-up on a loaded machine may end no call at all.
    await queue.createIfNotExists();
    let messagesQueued = 0;
    let callsEnded = 0;
    const countMessages = async (ended: number, warmUp: boolean) => {
        // Emptied, not deleted: the host created the queue once and keeps sending to it.
        const { approximateMessagesCount = 0 } = await queue.getProperties();
        await queue.clearMessages();
        if (warmUp) return;
        messagesQueued += approximateMessagesCount;
        callsEnded += ended;
    };
    const {
        samples: [on = [], off = []],
        notificationsPerCall,
    } = await measureHostsSideBySide(
        env,
        QUARTER_ENDING,
        [
            { settings: { CALL_HISTORY_TABLE: 'BenchEventsOn', CALL_EVENTS_QUEUE: QUEUE }, afterRepetition: countMessages },
            { settings: { CALL_HISTORY_TABLE: 'BenchEventsOff', CALL_EVENTS_QUEUE: '' } },
        ],
        options,
        (repetition) => progress(`call-ended messages: repetition ${repetition}/${options.repetitions}, on and off`),
    );
    if (messagesQueued !== callsEnded) throw new Error(`Call-ended messages: ${callsEnded} calls ended, ${messagesQueued} messages on the queue.`);
    return { concurrency: options.concurrency, notificationsPerCall, on: summariseSide(on), off: summariseSide(off), rateRatio: pairedRatio(on, off), messagesQueued, callsEnded };
}
