// Builds the QueueClient of the call-ended events from their settings. `@azure/storage-queue` is loaded on
// the first event (a call ending), not when the app starts: most callbacks never need it.

import type { QueueClient, StoragePipelineOptions } from '@azure/storage-queue';
import type { CallEventsConfig, HostQueueConfig } from './config';
import { storageCredential } from './credentials';

type StorageQueue = typeof import('@azure/storage-queue');

const CLIENT_OPTIONS: StoragePipelineOptions = {
    // Like the table client: fail over to a 503 within seconds, and the sender retries.
    retryOptions: { maxTries: 3, tryTimeoutInMs: 5000, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    userAgentOptions: { userAgentPrefix: 'teams-call-record' },
};

/** A queue of the host's own account (`AzureWebJobsStorage`), such as the delayed call record fetches. */
export function createHostQueueClient(queue: HostQueueConfig): QueueClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { QueueClient } = require('@azure/storage-queue') as StorageQueue;
    if (queue.kind === 'connectionString') {
        return new QueueClient(queue.connectionString, queue.queueName, CLIENT_OPTIONS);
    }
    return new QueueClient(`${queue.queueServiceUri}/${queue.queueName}`, storageCredential(queue.credential), CLIENT_OPTIONS);
}

export function createQueueClient(events: CallEventsConfig): QueueClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { QueueClient } = require('@azure/storage-queue') as StorageQueue;
    if (events.kind === 'connectionString') {
        return new QueueClient(events.connectionString, events.queueName, CLIENT_OPTIONS);
    }
    return new QueueClient(`${events.queueServiceUri}/${events.queueName}`, storageCredential(events.credential), CLIENT_OPTIONS);
}
