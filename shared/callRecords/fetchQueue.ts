// The delayed fetches of call records: messages on a Storage queue of the host's account (CALL_RECORDS_QUEUE), each
// made visible when its fetch is due (a visibility delay), read by the queue trigger `fetchCallRecords`. A queue keeps
// the fetch however many instances come and go, and costs nothing while it waits.

import type { QueueClient } from '@azure/storage-queue';
import { StorageUnavailableError } from '../record/storageErrors';
import { LazyQueue } from '../settings/queueClient';
import { attemptAt, fetchMessageJson, type FetchMessage, type FetchSchedule } from './fetchSchedule';

/** Queue Storage hides a message for 7 days at most. */
const MAX_VISIBILITY_SECONDS = 7 * 24 * 3600;

export class CallRecordFetchQueue {
    readonly #queue: LazyQueue;
    readonly #schedule: FetchSchedule;
    readonly #now: () => Date;

    constructor(connect: () => QueueClient, schedule: FetchSchedule, options: { now?: () => Date } = {}) {
        this.#queue = new LazyQueue(connect);
        this.#schedule = schedule;
        this.#now = options.now ?? (() => new Date());
    }

    /**
     * The first fetch of a call that has just ended, CALL_RECORD_DELAY_MINUTES from now. A failure is a 503: the
     * write that ended the call is not acknowledged, and its redelivery schedules again.
     */
    scheduleFirst(callId: string): Promise<void> {
        const endedAt = this.#now();
        return this.schedule({ callId, attempt: 1, endedAt }, attemptAt(this.#schedule, endedAt, 1));
    }

    /** A fetch, visible at `at` (at once when that has passed). */
    async schedule(message: FetchMessage, at: Date): Promise<void> {
        const seconds = Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.ceil((at.getTime() - this.#now().getTime()) / 1000)));
        try {
            // Base64, as the queue trigger reads messages by default.
            await this.#queue.send(Buffer.from(fetchMessageJson(message), 'utf8').toString('base64'), { visibilityTimeout: seconds });
        } catch (err) {
            throw new StorageUnavailableError(err, 'The call record fetch queue');
        }
    }
}
