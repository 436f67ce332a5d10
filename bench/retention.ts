// Retention (issue 11): the same number of old, ended calls (started nine days before the seeding, beyond
// the hosts' RETENTION_DAYS of eight) is written into the small and the large call table; then each host
// runs purgeCalls through the admin endpoint, in turns. Per purged call: the host's run time and the storage
// requests counted at its proxy; and rows deleted per second. The purge finds its calls through the index,
// so the cost per call must not depend on how many other calls the table holds.
// Beside it, the storage alone: as many more old calls, deleted by this process with the purge's own storage
// operations (each call's row keys, one delete transaction, its index rows), so what the table's size does
// to Azurite's deletes can be told apart from what the purge does.

import { performance } from 'node:perf_hooks';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { CallIndex } from '../shared/record/callIndex';
import { CallStore } from '../shared/record/callStore';
import { DEFAULTS } from '../shared/settings/config';
import type { CallTable, CallTables } from './callTables';
import { progress } from './progress';
import { seedCalls, spreadCalls, type SeededCall } from './seedCalls';
import { median } from './statistics';
import { runTimerFunction } from './timerRun';

interface RetentionSide {
    calls: number;
    /** Per repetition. */
    runs: Array<{ durationMs: number; purgedCalls: number; rowsDeleted: number; requests: number }>;
    /** Medians over the repetitions. */
    msPerCall: number;
    requestsPerCall: number;
    rowsPerCall: number;
    rowsPerSecond: number;
    requestKinds: Record<string, number>;
}

export interface RetentionResult {
    retentionDays: number;
    oldCallsPerRun: number;
    small: RetentionSide;
    large: RetentionSide;
    /** Large / small, median of the per-repetition ratios of the time per purged call. */
    costRatio: number;
    requestRatio: number;
    /** The purge's storage operations sent straight from this process: ms per call, small and large table, and their ratio. */
    storageAlone: { smallMsPerCall: number; largeMsPerCall: number; ratio: number };
}

const PURGED = /Purged the ended calls that started before \S+ \(\d+ days\): (\d+) calls, (\d+) rows, and (\d+) unrouted/;
const DAY_MS = 86_400_000;

export async function measureRetention(tables: CallTables, oldCalls: number, repetitions: number): Promise<RetentionResult> {
    const sides = [tables.small, tables.large];
    const runs = sides.map(() => [] as RetentionSide['runs']);
    const kinds = sides.map(() => ({}) as Record<string, number>);
    const alone = sides.map(() => [] as number[]);
    const oldStart = tables.now.getTime() - (tables.retentionDays + 1) * DAY_MS;
    const writeOld = async (tag: string): Promise<SeededCall[][]> => {
        const written: SeededCall[][] = [];
        for (const side of sides) {
            const calls = spreadCalls(tag, oldCalls, new Date(oldStart), new Date(oldStart + 3600_000));
            // A new store each time: its index remembers the day rows it wrote, and the purge removed the last one.
            await seedCalls(new CallStore(side.table, { dedupeWindowSeconds: DEFAULTS.dedupeWindowSeconds }), calls);
            written.push(calls);
        }
        return written;
    };
    for (let repetition = 1; repetition <= repetitions; repetition++) {
        progress(`retention: repetition ${repetition}/${repetitions}, ${oldCalls} old calls in each table, purged by each host, then as many deleted directly`);
        await writeOld(`old${repetition}`);
        const order = repetition % 2 === 0 ? [1, 0] : [0, 1];
        for (const i of order) {
            const { run, requestKinds } = await purgeOnce(sides[i]!, oldCalls);
            runs[i]!.push(run);
            kinds[i] = requestKinds;
        }
        const direct = await writeOld(`direct${repetition}`);
        for (const i of order) alone[i]!.push(await deleteDirectly(sides[i]!.table, direct[i]!));
    }
    const summary = (side: CallTable, i: number): RetentionSide => {
        const own = runs[i]!;
        return {
            calls: side.calls,
            runs: own,
            msPerCall: median(own.map((run) => run.durationMs / run.purgedCalls)),
            requestsPerCall: median(own.map((run) => run.requests / run.purgedCalls)),
            rowsPerCall: median(own.map((run) => run.rowsDeleted / run.purgedCalls)),
            rowsPerSecond: median(own.map((run) => (run.rowsDeleted * 1000) / run.durationMs)),
            requestKinds: kinds[i]!,
        };
    };
    const ratio = (pick: (run: RetentionSide['runs'][number]) => number) => median(runs[1]!.map((large, n) => pick(large) / pick(runs[0]![n]!)));
    return {
        retentionDays: tables.retentionDays,
        oldCallsPerRun: oldCalls,
        small: summary(tables.small, 0),
        large: summary(tables.large, 1),
        costRatio: ratio((run) => run.durationMs / run.purgedCalls),
        requestRatio: ratio((run) => run.requests / run.purgedCalls),
        storageAlone: {
            smallMsPerCall: median(alone[0]!),
            largeMsPerCall: median(alone[1]!),
            ratio: median(alone[1]!.map((large, n) => large / (alone[0]![n] ?? Number.NaN))),
        },
    };
}

/** What purgeCalls sends to storage for each call, one call at a time as it does: row keys, delete transactions, the index rows. Milliseconds per call. */
async function deleteDirectly(table: TableClient, calls: readonly SeededCall[]): Promise<number> {
    const index = new CallIndex(table);
    const started = performance.now();
    for (const call of calls) {
        // As purgeCalls does: a page of row keys, delete them, until a page comes back empty.
        for (;;) {
            const page = await table
                .listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${call.callId}`, select: ['RowKey'] } })
                .byPage({ maxPageSize: 100 })
                .next();
            const actions = [...(page.value ?? [])].map((row): TransactionAction => ['delete', { partitionKey: call.callId, rowKey: String(row.rowKey) }]);
            if (actions.length === 0) break;
            await table.submitTransaction(actions);
        }
        await index.forget(call.callId, call.startedAt);
    }
    return (performance.now() - started) / calls.length;
}

async function purgeOnce(side: CallTable, expected: number): Promise<{ run: RetentionSide['runs'][number]; requestKinds: Record<string, number> }> {
    const before = side.proxy.counted();
    const { durationMs, log } = await runTimerFunction(side.host, 'purgeCalls');
    const { total, kinds } = side.proxy.since(before);
    const match = PURGED.exec(log);
    if (match === null) throw new Error(`purgeCalls on ${side.name} did not log what it deleted:\n${log}`);
    const purgedCalls = Number(match[1]);
    if (purgedCalls !== expected) throw new Error(`purgeCalls on ${side.name} deleted ${purgedCalls} calls, not the ${expected} old ones:\n${log}`);
    return { run: { durationMs, purgedCalls, rowsDeleted: Number(match[2]), requests: total }, requestKinds: kinds };
}
