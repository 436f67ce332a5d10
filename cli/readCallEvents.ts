// Reads the call-ended events off their Storage queue, for `calls events` and the demo: peeked (left for the
// queue's real consumers) or received and deleted (consumed), once or again and again until stopped.

import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueClient } from '@azure/storage-queue';
import { decodeQueueMessage, type CallEndedCloudEvent } from '../shared/lifecycle/callEvents';
import { isNotFound, StorageUnavailableError } from '../shared/record/storageErrors';

/** Messages per request: the most Queue Storage gives at once, by peek or by receive. */
export const QUEUE_PAGE = 32;
/** How long a received message stays hidden from other readers before it reappears (unless deleted first). */
const RECEIVE_VISIBILITY_SECONDS = 30;

/** One message of the queue, decoded; `problem` says why it is not a call-ended event when it is not one. */
export interface QueuedCallEvent {
    messageId: string;
    insertedOn: Date;
    /** How often it was received before, by anyone (a queue trigger that failed on it, another `--consume`). */
    dequeueCount: number;
    event?: CallEndedCloudEvent;
    problem?: string;
}

export interface ReadCallEventsOptions {
    /** Receive and delete each call-ended event once it is handed over, instead of peeking. */
    consume: boolean;
    /** Keep reading until `signal` aborts, instead of stopping when nothing new is there. */
    follow: boolean;
    signal?: AbortSignal;
    /** Between two looks at the queue when it had nothing new (default 1 s). */
    pollMs?: number;
    /** Each message, once per run, oldest first. */
    onMessage: (message: QueuedCallEvent) => void;
    /**
     * Peeking sees only the oldest QUEUE_PAGE messages: called (once) when the queue holds more than that and
     * nothing new can be seen, with about how many it holds.
     */
    onHidden?: (approximateCount: number) => void;
}

/**
 * @example
 * await readCallEvents(queue, { consume: false, follow: false, onMessage: (m) => console.log(m.event?.subject) });
 */
export async function readCallEvents(queue: QueueClient, options: ReadCallEventsOptions): Promise<void> {
    const shown = new Set<string>();
    let hiddenReported = false;
    for (;;) {
        const page = options.consume ? await receive(queue, RECEIVE_VISIBILITY_SECONDS) : await peek(queue);
        const fresh = page.filter((message) => !shown.has(message.messageId));
        for (const message of fresh) {
            shown.add(message.messageId);
            options.onMessage(message);
            // Deleted only once handed over: stopped in between, the message comes back and is read again.
            if (options.consume && message.event !== undefined) await remove(queue, message);
        }
        // A full peek may hide newer messages behind it: say so once, when nothing new can be seen.
        if (!options.consume && page.length === QUEUE_PAGE && !hiddenReported && (fresh.length === 0 || !options.follow)) {
            hiddenReported = true;
            options.onHidden?.(await approximateCount(queue));
        }
        if (options.signal?.aborted) return;
        // What was consumed has made room for more: look again at once. A peek would show the same page again.
        if (options.consume && fresh.length > 0) continue;
        if (!options.follow || !(await pause(options.pollMs ?? 1000, options.signal))) return;
    }
}

/**
 * The message of one event, left on the queue. Peeking shows only the oldest page; behind a full page of
 * older messages the queue is received page by page, each hidden for a few seconds (and counted as
 * dequeued once more) and never deleted.
 *
 * @example
 * const found = await findCallEvent(queue, `${callId}/ended`);
 */
export async function findCallEvent(queue: QueueClient, id: string): Promise<QueuedCallEvent | undefined> {
    const peeked = await peek(queue);
    const match = (messages: QueuedCallEvent[]) => messages.find((message) => message.event?.id === id);
    if (match(peeked) !== undefined || peeked.length < QUEUE_PAGE) return match(peeked);
    const scanned = new Set<string>();
    for (;;) {
        const page = (await receive(queue, 10)).filter((message) => !scanned.has(message.messageId));
        if (page.length === 0) return undefined;
        for (const message of page) scanned.add(message.messageId);
        const found = match(page);
        if (found !== undefined) return found;
    }
}

interface Received extends QueuedCallEvent {
    popReceipt?: string;
}

async function peek(queue: QueueClient): Promise<QueuedCallEvent[]> {
    const items = await storage(async () => (await queue.peekMessages({ numberOfMessages: QUEUE_PAGE })).peekedMessageItems, []);
    return items.map(decoded);
}

async function receive(queue: QueueClient, visibilityTimeout: number): Promise<Received[]> {
    const items = await storage(async () => (await queue.receiveMessages({ numberOfMessages: QUEUE_PAGE, visibilityTimeout })).receivedMessageItems, []);
    return items.map((item) => ({ ...decoded(item), popReceipt: item.popReceipt }));
}

async function remove(queue: QueueClient, message: Received): Promise<void> {
    if (message.popReceipt === undefined) return;
    try {
        await queue.deleteMessage(message.messageId, message.popReceipt);
    } catch (err) {
        // Gone already, or received again by another reader after ours timed out: theirs to delete now.
        if (isNotFound(err)) return;
        throw new StorageUnavailableError(err, 'The call-ended event queue');
    }
}

async function approximateCount(queue: QueueClient): Promise<number> {
    return storage(async () => (await queue.getProperties()).approximateMessagesCount ?? QUEUE_PAGE, 0);
}

function decoded(item: { messageId: string; insertedOn: Date; dequeueCount: number; messageText: string }): QueuedCallEvent {
    return { messageId: item.messageId, insertedOn: item.insertedOn, dequeueCount: item.dequeueCount, ...decodeQueueMessage(item.messageText) };
}

/** A queue that does not exist yet is empty (`missing`): the app makes it when the first call ends. */
async function storage<T>(request: () => Promise<T>, missing: T): Promise<T> {
    try {
        return await request();
    } catch (err) {
        if (isNotFound(err)) return missing;
        throw new StorageUnavailableError(err, 'The call-ended event queue');
    }
}

/** Waits `ms`; false when the signal aborted first. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    try {
        await sleep(ms, undefined, signal === undefined ? {} : { signal });
        return true;
    } catch (err) {
        if ((err as Error).name === 'AbortError') return false;
        throw err;
    }
}
