// Access to the Azurite that `npm test` started, with a fresh table per test so tests never share rows.

import { randomBytes } from 'node:crypto';
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';

export function testConnectionString(): string {
    const value = process.env.TEST_STORAGE_CONNECTION_STRING;
    if (!value) {
        throw new Error('TEST_STORAGE_CONNECTION_STRING is not set: run the tests with `npm test` (it starts Azurite).');
    }
    return value;
}

/** A table name nobody else uses: `T` + the purpose + random hex. */
export function uniqueTableName(purpose: string): string {
    return `T${purpose.replace(/[^A-Za-z0-9]/g, '').slice(0, 20)}${randomBytes(6).toString('hex')}`;
}

export function testTableClient(tableName: string, options: TableServiceClientOptions = {}): TableClient {
    return TableClient.fromConnectionString(testConnectionString(), tableName, { ...options, allowInsecureConnection: true });
}

/** Every row of one partition, in RowKey order, with the SDK's type conversion (numbers, dates). */
export async function partitionRows(table: TableClient, partitionKey: string): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    for await (const entity of table.listEntities<Record<string, unknown>>({
        queryOptions: { filter: `PartitionKey eq '${partitionKey.replace(/'/g, "''")}'` },
    })) {
        rows.push(entity);
    }
    return rows;
}

export async function allRows(table: TableClient): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    try {
        for await (const entity of table.listEntities<Record<string, unknown>>()) rows.push(entity);
    } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return [];
        throw err;
    }
    return rows;
}
