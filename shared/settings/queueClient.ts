// Builds a QueueClient from its settings (the call-ended events' queue, the relay's retries, the delayed call record
// fetches). `@azure/storage-queue` is loaded on first use (a call ending, a delivery to retry, a fetch to schedule),
// not when the app starts: most callbacks never need it.

import type { QueueClient, StoragePipelineOptions } from '@azure/storage-queue';
import type { StorageCredentialConfig } from './config';
import { storageCredential } from './credentials';

type StorageQueue = typeof import('@azure/storage-queue');

const CLIENT_OPTIONS: StoragePipelineOptions = {
    // Like the table client: fail over to a 503 within seconds, and the sender retries.
    retryOptions: { maxTries: 3, tryTimeoutInMs: 5000, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    userAgentOptions: { userAgentPrefix: 'teams-call-record' },
};

/** A queue named by the settings: on a connection string, or on a queue endpoint reached by identity. */
export type QueueTarget =
    | { kind: 'connectionString'; connectionString: string; queueName: string }
    | { kind: 'identity'; queueServiceUri: string; credential: StorageCredentialConfig; queueName: string };

export function createQueueClient(target: QueueTarget): QueueClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { QueueClient } = require('@azure/storage-queue') as StorageQueue;
    if (target.kind === 'connectionString') {
        return new QueueClient(target.connectionString, target.queueName, CLIENT_OPTIONS);
    }
    return new QueueClient(`${target.queueServiceUri}/${target.queueName}`, storageCredential(target.credential), CLIENT_OPTIONS);
}

/**
 * A queue the app writes to, made on first use and created once per process (again after a failure), so a
 * process that never needs it never loads `@azure/storage-queue` nor asks the storage for it.
 *
 * @example
 * const queue = new LazyQueue(() => createQueueClient(target));
 * await queue.send(Buffer.from(json).toString('base64'), { visibilityTimeout: 30 });
 */
export class LazyQueue {
    readonly #connect: () => QueueClient;
    #queue: QueueClient | undefined;
    #ready: Promise<unknown> | undefined;

    constructor(connect: () => QueueClient) {
        this.#connect = connect;
    }

    /** Puts one message on the queue; `visibilityTimeout` (seconds) delays it. Failures are the caller's to name. */
    async send(text: string, options: { visibilityTimeout?: number } = {}): Promise<void> {
        this.#queue ??= this.#connect();
        const queue = this.#queue;
        this.#ready ??= queue.createIfNotExists().catch((err: unknown) => {
            this.#ready = undefined;
            throw err;
        });
        await this.#ready;
        await queue.sendMessage(text, options);
    }

    /** The queue's approximate message count, invisible (delayed) messages included; 0 while the queue does not exist. */
    async approximateMessageCount(): Promise<number> {
        this.#queue ??= this.#connect();
        try {
            return (await this.#queue.getProperties()).approximateMessagesCount ?? 0;
        } catch (err) {
            // Nothing was ever queued here: the queue is made on the first message.
            if ((err as { statusCode?: unknown }).statusCode === 404) return 0;
            throw err;
        }
    }
}
