// The fault suite's storage proxy against the Azurite of `npm test`: it forwards, a cut fails every
// request until restored, and what was committed before the cut is still there afterwards.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { devStorageConnectionString } from '../../dev/azurite';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { startStorageProxy } from './storageProxy';

function azuritePort(): number {
    const port = /TableEndpoint=http:\/\/127\.0\.0\.1:(\d+)\//.exec(testConnectionString())?.[1];
    assert.ok(port, 'TEST_STORAGE_CONNECTION_STRING names no local table endpoint');
    return Number(port);
}

describe('storage proxy', () => {
    test('forwards, refuses everything while cut, and loses nothing that was committed', async () => {
        const tableName = uniqueTableName('proxy');
        const proxy = await startStorageProxy(azuritePort());
        // No retries: each failure shows at once.
        const viaProxy = TableClient.fromConnectionString(devStorageConnectionString(proxy.port), tableName, {
            allowInsecureConnection: true,
            retryOptions: { maxRetries: 0 },
        });
        try {
            await viaProxy.createTable();
            await viaProxy.createEntity({ partitionKey: 'p', rowKey: 'before', n: 1 });

            proxy.cut();
            await assert.rejects(viaProxy.createEntity({ partitionKey: 'p', rowKey: 'during', n: 2 }));
            await assert.rejects(viaProxy.getEntity('p', 'before'));
            proxy.restore();
            proxy.setLatency(20);
            await viaProxy.createEntity({ partitionKey: 'p', rowKey: 'after', n: 3 });

            const rows = [];
            for await (const row of testTableClient(tableName).listEntities()) rows.push(row.rowKey);
            assert.deepEqual(rows, ['after', 'before']);
            assert.ok(proxy.resets() >= 1);
        } finally {
            await proxy.stop();
        }
    });
});
