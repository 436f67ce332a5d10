// Runs one queue-triggered function the way the Storage queues extension's QueueListener and QueueProcessor do:
// - it polls the queue (it never creates it), taking up to `batchSize` messages at once, each made invisible for
//   10 minutes (LOCAL_HOST_QUEUE_LEASE, for tests) and kept invisible every 5 minutes while its function runs; the next batch is fetched as soon as no
//   more than `newBatchThreshold` are still running;
// - an empty queue (or a failing one) is polled again after a randomized exponential backoff, from 100 ms up to
//   `maxPollingInterval`, reset to 100 ms once a message was found;
// - a message whose function succeeds is deleted; one whose function fails is made visible again after
//   `visibilityTimeout`, or, once it has been dequeued `maxDequeueCount` times, copied to `<queue>-poison` (created
//   when needed) and deleted; so is a message dequeued more often than that (its function died with it), and one
//   whose text is not valid base64 when `messageEncoding` is base64, at once.

import { setTimeout as delay } from 'node:timers/promises';
import { QueueClient, type DequeuedMessageItem } from '@azure/storage-queue';
import { logLine } from './hostLog';
import { MIN_POLLING_INTERVAL_MS, type QueuesOptions } from './queueOptions';
import type { QueueFunction } from './queueFunctions';
import { decodeMessageText } from './queueMessage';

const RANDOMIZATION_FACTOR = 0.2;

export interface QueueRun {
    message: DequeuedMessageItem;
    /** The decoded text. */
    text: string;
}

export class QueueListener {
    readonly queueFunction: QueueFunction;
    readonly #options: QueuesOptions;
    /** Runs the function; resolves true when it succeeded. Must not throw (the host logs failures itself). */
    readonly #invoke: (run: QueueRun) => Promise<boolean>;
    readonly #queue: QueueClient;
    readonly #poisonQueue: QueueClient;
    readonly #processing = new Set<Promise<void>>();
    readonly #stopping = new AbortController();
    readonly #backoff: PollingBackoff;
    #loop: Promise<void> | undefined;
    #queueExists: boolean | undefined;

    constructor(queueFunction: QueueFunction, options: QueuesOptions, invoke: (run: QueueRun) => Promise<boolean>) {
        this.queueFunction = queueFunction;
        this.#options = options;
        this.#invoke = invoke;
        // The host's own clients do not retry much: a failed poll is simply followed by the next one.
        const clientOptions = { retryOptions: { maxTries: 2, tryTimeoutInMs: 30_000 } };
        this.#queue = new QueueClient(queueFunction.connectionString, queueFunction.queueName, clientOptions);
        this.#poisonQueue = new QueueClient(queueFunction.connectionString, `${queueFunction.queueName}-poison`, clientOptions);
        this.#backoff = new PollingBackoff(MIN_POLLING_INTERVAL_MS, options.maxPollingIntervalMs);
    }

    get poisonQueueName(): string {
        return this.#poisonQueue.name;
    }

    start(): void {
        this.#loop ??= this.#poll();
    }

    /** No more polls; resolves once the messages being processed are done with. */
    async stop(): Promise<void> {
        this.#stopping.abort();
        await this.#loop;
        await Promise.allSettled([...this.#processing]);
    }

    async #poll(): Promise<void> {
        let foundSinceLastDelay = false;
        while (!this.#stopping.signal.aborted) {
            const batch = await this.#receive();
            if (batch !== undefined && batch.length > 0) {
                foundSinceLastDelay = true;
                for (const message of batch) this.#track(this.#process(message));
                await this.#waitForNewBatchThreshold();
                continue;
            }
            const wait = this.#backoff.next(foundSinceLastDelay);
            foundSinceLastDelay = false;
            await delay(wait, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
        }
    }

    /** A batch, or undefined when the queue does not exist (yet) or could not be read: then the listener backs off. */
    /** The REST API takes whole seconds. */
    get #leaseSeconds(): number {
        return Math.max(1, Math.floor(this.#options.leaseMs / 1000));
    }

    async #receive(): Promise<DequeuedMessageItem[] | undefined> {
        try {
            // Like the extension, ask whether the queue exists until it does, rather than failing every poll.
            this.#queueExists ??= await this.#queue.exists();
            if (!this.#queueExists) {
                this.#queueExists = undefined;
                return undefined;
            }
            const response = await this.#queue.receiveMessages({
                numberOfMessages: this.#options.batchSize,
                visibilityTimeout: this.#leaseSeconds,
                abortSignal: this.#stopping.signal,
            });
            return response.receivedMessageItems;
        } catch (err) {
            this.#queueExists = undefined;
            if (!this.#stopping.signal.aborted) {
                logLine(`[Warning] Polling queue '${this.#queue.name}' for ${this.queueFunction.name} failed: ${describe(err)}`);
            }
            return undefined;
        }
    }

    async #waitForNewBatchThreshold(): Promise<void> {
        while (this.#processing.size > this.#options.newBatchThreshold) {
            await Promise.race(this.#processing);
        }
    }

    #track(work: Promise<void>): void {
        const tracked = work.finally(() => this.#processing.delete(tracked));
        this.#processing.add(tracked);
    }

    async #process(received: DequeuedMessageItem): Promise<void> {
        let message = received;
        try {
            if (message.dequeueCount > this.#options.maxDequeueCount) {
                // Its function never completed (the host died with it): the extension gives up on it before running it again.
                await this.#moveToPoison(message);
                return;
            }
            const text = decodeMessageText(message.messageText, this.#options.messageEncoding);
            if (text === undefined) {
                logLine(`[Warning] Message decoding has failed! Check MessageEncoding settings. MessageId=${message.messageId}.`);
                await this.#moveToPoison(message);
                return;
            }
            const renewal = this.#keepInvisible(message, (updated) => {
                message = updated;
            });
            let succeeded: boolean;
            try {
                succeeded = await this.#invoke({ message, text });
            } finally {
                await renewal.stop();
            }
            await this.#complete(message, succeeded);
        } catch (err) {
            logLine(`[Error] Processing message ${message.messageId} of queue '${this.#queue.name}' failed: ${describe(err)}`);
        }
    }

    async #complete(message: DequeuedMessageItem, succeeded: boolean): Promise<void> {
        if (succeeded) {
            await ignoringLostMessage(this.#queue.deleteMessage(message.messageId, message.popReceipt));
        } else if (message.dequeueCount >= this.#options.maxDequeueCount) {
            await this.#moveToPoison(message);
        } else {
            // The REST API takes whole seconds.
            const seconds = Math.floor(this.#options.visibilityTimeoutMs / 1000);
            await ignoringLostMessage(this.#queue.updateMessage(message.messageId, message.popReceipt, undefined, seconds));
        }
    }

    /** Copies the message's text, as it is on the queue, to the poison queue, then deletes it. */
    async #moveToPoison(message: DequeuedMessageItem): Promise<void> {
        logLine(`[Warning] Message has reached MaxDequeueCount of ${this.#options.maxDequeueCount}. Moving message to queue '${this.#poisonQueue.name}'.`);
        await this.#poisonQueue.createIfNotExists();
        await this.#poisonQueue.sendMessage(message.messageText);
        await ignoringLostMessage(this.#queue.deleteMessage(message.messageId, message.popReceipt));
    }

    /** Renews the message's invisibility at half its timeout while the function runs; `stop` ends that. */
    #keepInvisible(message: DequeuedMessageItem, onUpdate: (message: DequeuedMessageItem) => void): { stop(): Promise<void> } {
        const done = new AbortController();
        let current = message;
        const renewing = (async () => {
            while (!done.signal.aborted) {
                const aborted = await delay((this.#leaseSeconds * 1000) / 2, false, { signal: done.signal }).catch(() => true);
                if (aborted) return;
                try {
                    const response = await this.#queue.updateMessage(current.messageId, current.popReceipt, undefined, this.#leaseSeconds);
                    current = { ...current, popReceipt: response.popReceipt ?? current.popReceipt, nextVisibleOn: response.nextVisibleOn ?? current.nextVisibleOn };
                    onUpdate(current);
                } catch (err) {
                    logLine(`[Warning] Keeping message ${current.messageId} of queue '${this.#queue.name}' invisible failed: ${describe(err)}`);
                }
            }
        })();
        return {
            stop: async () => {
                done.abort();
                await renewing;
            },
        };
    }
}

/**
 * The extension's RandomizedExponentialBackoffStrategy: the minimum after a poll that found messages, else the
 * minimum plus a doubling increment (randomized by +-20%) up to the maximum.
 */
export class PollingBackoff {
    readonly #minimumMs: number;
    readonly #maximumMs: number;
    #currentMs = 0;
    #exponent = 0;

    constructor(minimumMs: number, maximumMs: number) {
        this.#minimumMs = Math.min(minimumMs, maximumMs);
        this.#maximumMs = maximumMs;
    }

    next(foundMessages: boolean): number {
        if (foundMessages) {
            this.#currentMs = this.#minimumMs;
            this.#exponent = 1;
        } else if (this.#currentMs !== this.#maximumMs) {
            let interval = this.#minimumMs;
            if (this.#exponent > 0) {
                const factor = 1 - RANDOMIZATION_FACTOR + Math.random() * 2 * RANDOMIZATION_FACTOR;
                interval += factor * 2 ** (this.#exponent - 1) * this.#minimumMs;
            }
            if (interval < this.#maximumMs) {
                this.#currentMs = interval;
                this.#exponent++;
            } else {
                this.#currentMs = this.#maximumMs;
            }
        }
        return this.#currentMs;
    }
}

/** Someone else took the message over (pop receipt mismatch), or it is gone: nothing left to do, as in the extension. */
async function ignoringLostMessage(operation: Promise<unknown>): Promise<void> {
    try {
        await operation;
    } catch (err) {
        const { statusCode, code } = err as { statusCode?: number; code?: string };
        if (code !== 'PopReceiptMismatch' && statusCode !== 404) throw err;
    }
}

function describe(err: unknown): string {
    return err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : String(err);
}
