// Builds the ContainerClient that keeps whole call records, from their settings. `@azure/storage-blob` is loaded on
// the first call record, not when the app starts: most invocations never need it.

import type { ContainerClient, StoragePipelineOptions } from '@azure/storage-blob';
import type { CallRecordBlobsConfig } from './config';
import { storageCredential } from './credentials';

type StorageBlob = typeof import('@azure/storage-blob');

const CLIENT_OPTIONS: StoragePipelineOptions = {
    // A call record of a big meeting is megabytes: more time per try than the queue's, still bounded.
    retryOptions: { maxTries: 3, tryTimeoutInMs: 30_000, retryDelayInMs: 200, maxRetryDelayInMs: 2000 },
    userAgentOptions: { userAgentPrefix: 'teams-call-record' },
};

export function createContainerClient(blobs: CallRecordBlobsConfig): ContainerClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { ContainerClient } = require('@azure/storage-blob') as StorageBlob;
    if (blobs.kind === 'connectionString') {
        return new ContainerClient(blobs.connectionString, blobs.containerName, CLIENT_OPTIONS);
    }
    return new ContainerClient(`${blobs.blobServiceUri}/${blobs.containerName}`, storageCredential(blobs.credential), CLIENT_OPTIONS);
}
