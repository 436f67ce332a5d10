// Measurement 1, the storage floor: how many minimal notification writes per second the same Azurite
// takes from @azure/data-tables directly, at a given concurrency, with calls spread over many partitions.

import { TableClient } from '@azure/data-tables';
import { runLoad, type LoadResult } from './loadRunner';
import { createFloorPartition, type FloorPartition, writeOneEvent } from './minimalWrite';
import { benchCallIds } from './notificationBodies';
import { ownedIndex } from './partitionSpread';
import { recreateTable } from './tableReset';

export class StorageFloor {
    readonly table: TableClient;
    private partitions: FloorPartition[] = [];

    constructor(connectionString: string, tableName: string) {
        this.table = TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: true });
    }

    /** Empties the table and creates `calls` partitions, each with a summary row, `concurrency` at a time. */
    async reset(calls: number, concurrency: number): Promise<void> {
        await recreateTable(this.table);
        const ids = benchCallIds('floor', calls);
        this.partitions = [];
        for (let i = 0; i < ids.length; i += concurrency) {
            this.partitions.push(...(await Promise.all(ids.slice(i, i + concurrency).map((id) => createFloorPartition(this.table, id)))));
        }
    }

    /** Each worker writes only its own partitions, so no write waits on another's ETag. */
    measure(concurrency: number, durationMs: number): Promise<LoadResult> {
        return runLoad({ concurrency, durationMs }, (worker, iteration) => {
            const partition = this.partitions[ownedIndex(this.partitions.length, concurrency, worker, iteration)];
            if (partition === undefined) throw new Error('No partition for this worker; reset() with more calls than workers.');
            return writeOneEvent(this.table, partition);
        });
    }
}
