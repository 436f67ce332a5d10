// Two call tables that differ only in size, for the listing and retention measurements (issues 10 and 11):
// the same last hour (RECENT_CALLS calls, the newest still going) and, before it, the rest of their calls
// spread over SPREAD_DAYS days, all written through the app's own CallStore. Each table has its own host,
// whose table storage goes through a counting proxy, so every request of a page or a purge is counted.

import { TableClient } from '@azure/data-tables';
import { CallStore } from '../shared/record/callStore';
import { DEFAULTS } from '../shared/settings/config';
import type { HostProcess } from '../test/support/hostProcess';
import type { BenchEnvironment } from './benchEnvironment';
import { startCountingProxy, throughProxy, type CountingProxy } from './countingProxy';
import { progress } from './progress';
import { seedCalls, spreadCalls } from './seedCalls';

export interface CallTable {
    /** Calls in the table. */
    calls: number;
    name: string;
    /** Straight to Azurite, for the bench's own reads and writes. */
    table: TableClient;
    /** Its storage through `proxy`. */
    host: HostProcess;
    proxy: CountingProxy;
}

export interface CallTables {
    small: CallTable;
    large: CallTable;
    /** The instant the seeding took for "now": the last hour is the hour before it. */
    now: Date;
    recentCalls: number;
    /** The host's RETENTION_DAYS: the spread calls are younger, the purge's own calls older. */
    retentionDays: number;
    close(): Promise<void>;
}

const RECENT_CALLS = 200;
const SPREAD_DAYS = 7;
const HOUR_MS = 3600_000;
const RETENTION_DAYS = SPREAD_DAYS + 1;
/** Calls that started in the last six minutes have not ended yet (a typical call lasts six). */
const STILL_GOING_MS = 6 * 60_000;

export async function prepareCallTables(env: BenchEnvironment, sizes: readonly [number, number]): Promise<CallTables> {
    const now = new Date();
    const prepared: CallTable[] = [];
    const close = async () => {
        for (const side of prepared) {
            await side.host.stop();
            await side.proxy.stop();
            // Frees Azurite's memory for what comes after.
            await side.table.deleteTable();
        }
    };
    try {
        for (const [i, calls] of sizes.entries()) {
            const name = `BenchCalls${calls}`;
            const table = TableClient.fromConnectionString(env.azurite.connectionString, name, { allowInsecureConnection: true });
            const started = Date.now();
            progress(`call tables: writing ${calls.toLocaleString('en-US')} calls into ${name} through the CallStore`);
            const store = new CallStore(table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds });
            const recentFrom = new Date(now.getTime() - 55 * 60_000);
            const recent = spreadCalls(
                `recent${i}`,
                RECENT_CALLS,
                recentFrom,
                new Date(now.getTime() - 60_000),
                (startedAt) => startedAt.getTime() < now.getTime() - STILL_GOING_MS,
            );
            const spread = spreadCalls(`spread${i}`, calls - RECENT_CALLS, new Date(now.getTime() - SPREAD_DAYS * 24 * HOUR_MS), new Date(now.getTime() - HOUR_MS - 60_000));
            await seedCalls(store, [...spread, ...recent], (done) => progress(`call tables: ${done.toLocaleString('en-US')} of ${calls.toLocaleString('en-US')} calls`));
            progress(`call tables: ${name} written in ${Math.round((Date.now() - started) / 1000)} s`);

            const proxy = await startCountingProxy(env.azurite.ports.table);
            const host = await env
                .startHost({
                    ...env.callbackSettings,
                    CallHistoryStorage: throughProxy(env.azurite.connectionString, env.azurite.ports.table, proxy.port),
                    CALL_HISTORY_TABLE: name,
                    RETENTION_DAYS: String(RETENTION_DAYS),
                })
                .catch(async (err: unknown) => {
                    await proxy.stop();
                    throw err;
                });
            prepared.push({ calls, name, table, host, proxy });
        }
        const [small, large] = prepared;
        if (small === undefined || large === undefined) throw new Error('Two table sizes are needed.');
        return { small, large, now, recentCalls: RECENT_CALLS, retentionDays: RETENTION_DAYS, close };
    } catch (err) {
        await close();
        throw err;
    }
}
