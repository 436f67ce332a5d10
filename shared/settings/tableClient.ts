// Builds the TableClient for the call record from the storage settings. `@azure/identity` is loaded only
// for identity-based connections, so the usual connection-string start-up does not pay for it.

import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { StorageConfig } from './config';
import { storageCredential } from './credentials';

const CLIENT_OPTIONS: TableServiceClientOptions = {
    // Fail over to a 503 within seconds: the sender (Graph, a person) retries, and a hung request helps nobody.
    retryOptions: { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1000 },
    userAgentOptions: { userAgentPrefix: 'teams-call-record' },
};

export function createTableClient(storage: StorageConfig): TableClient {
    if (storage.kind === 'connectionString') {
        return TableClient.fromConnectionString(storage.connectionString, storage.tableName, {
            ...CLIENT_OPTIONS,
            // Azurite and other local emulators speak plain http; the SDK wants that said explicitly.
            allowInsecureConnection: storage.tableEndpoint.startsWith('http:'),
        });
    }
    return new TableClient(storage.tableServiceUri, storage.tableName, storageCredential(storage.credential), CLIENT_OPTIONS);
}
