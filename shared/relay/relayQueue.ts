// The relay's retry messages: one Storage queue message per call whose delivery waits, made visible when its next
// attempt is due (the queue's visibility delay), and read by the `relayRetries` queue trigger. A message names the
// call and the token that owns its relay (relayRules.ts): a message whose token is no longer the call's is stale,
// and is dropped. The text is base64 of the JSON, as a Functions queue trigger reads it by default.

import type { QueueClient } from '@azure/storage-queue';
import { isObject } from '../isObject';
import { isValidCallId } from '../callId';
import { StorageUnavailableError } from '../record/storageErrors';
import { LazyQueue } from '../settings/queueClient';

export interface RelayWakeUp {
    callId: string;
    owner: string;
}

/** A message's visibility delay may be 7 days at most. */
const MAX_DELAY_SECONDS = 7 * 24 * 3600;

/** The message as the queue trigger hands it over (JSON parsed), or undefined when it is not one of ours. */
export function parseWakeUp(message: unknown): RelayWakeUp | undefined {
    if (!isObject(message)) return undefined;
    const { callId, owner } = message;
    if (typeof callId !== 'string' || !isValidCallId(callId) || typeof owner !== 'string' || owner === '') return undefined;
    return { callId, owner };
}

function encodeWakeUp(wakeUp: RelayWakeUp): string {
    return Buffer.from(JSON.stringify({ callId: wakeUp.callId, owner: wakeUp.owner }), 'utf8').toString('base64');
}

/** The retry queue, made on first use and created once per process (again after a failure). */
export class RelayQueue {
    readonly #queue: LazyQueue;

    constructor(connect: () => QueueClient) {
        this.#queue = new LazyQueue(connect);
    }

    /** Puts the message on the queue, visible after `delayMs` (whole seconds); a failure is a 503. */
    async send(wakeUp: RelayWakeUp, delayMs: number): Promise<void> {
        try {
            await this.#queue.send(encodeWakeUp(wakeUp), { visibilityTimeout: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000))) });
        } catch (err) {
            throw new StorageUnavailableError(err, "The relay's retry queue");
        }
    }
}
