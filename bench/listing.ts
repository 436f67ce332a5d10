// One page of calls (issue 10): `GET /api/calls?since=<an hour before the seeding>&top=100` on the host of
// a small and of a large call table (bench/callTables.ts), in turns, timed from the request to the last
// byte of the answer and counted at the proxy in front of the host's storage; and the same page from the
// function alone (`listCalls` in this process, straight to Azurite), for what the host adds. Beside them,
// the two kinds of storage request a page is made of, timed alone on each table: a point read (a summary)
// and a query of one partition (one that holds nothing), because Azurite's cost for the latter grows with
// the table (see bench/README.md).

import { performance } from 'node:perf_hooks';
import { odata } from '@azure/data-tables';
import { listCalls } from '../shared/query/callList';
import type { CallTable, CallTables } from './callTables';
import { BenchHttpClient, expectStatus } from './httpClient';
import { median } from './statistics';

interface ListingSide {
    calls: number;
    /** Median over the rounds, milliseconds per page through the host's HTTP API. */
    pageMs: number;
    pageMsSamples: number[];
    /** Storage requests per page (every round sends the same number, or the run stops). */
    requestsPerPage: number;
    requestKinds: Record<string, number>;
    /** Median milliseconds per page of `listCalls` called in this process. */
    functionMs: number;
    callsOnPage: number;
    /** Median milliseconds of one point read of a summary, and of one query of a partition with no rows. */
    pointReadMs: number;
    partitionQueryMs: number;
}

export interface ListingResult {
    top: number;
    since: string;
    rounds: number;
    small: ListingSide;
    large: ListingSide;
    /** Large / small, median of the per-round ratios: through the host, and the function alone. */
    timeRatio: number;
    functionRatio: number;
}

const TOP = 100;
const WARM_UP_ROUNDS = 3;
/** No call id starts with `_`, and no index partition is named this. */
const EMPTY_PARTITION = '_bench-empty';

export async function measureListing(tables: CallTables, rounds: number): Promise<ListingResult> {
    const since = new Date(tables.now.getTime() - 3600_000);
    const client = new BenchHttpClient(1);
    try {
        const sides = [tables.small, tables.large];
        const samples = sides.map(() => ({
            page: [] as number[],
            fn: [] as number[],
            pointRead: [] as number[],
            partitionQuery: [] as number[],
            requests: new Set<number>(),
            kinds: {} as Record<string, number>,
            callsOnPage: 0,
        }));
        for (let round = 1 - WARM_UP_ROUNDS; round <= rounds; round++) {
            const order = round % 2 === 0 ? [1, 0] : [0, 1];
            for (const i of order) {
                const side = sides[i]!;
                const sample = samples[i]!;
                const page = await pageThroughHost(client, side, since);
                const fnMs = await pageFromFunction(side, since);
                const pointReadMs = await timed(() => side.table.getEntity(page.newestCallId, 'state'));
                const partitionQueryMs = await timed(() =>
                    side.table
                        .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${EMPTY_PARTITION}` } })
                        .byPage({ maxPageSize: 1 })
                        .next(),
                );
                if (round < 1) continue;
                sample.page.push(page.ms);
                sample.fn.push(fnMs);
                sample.pointRead.push(pointReadMs);
                sample.partitionQuery.push(partitionQueryMs);
                sample.requests.add(page.requests);
                sample.kinds = page.kinds;
                sample.callsOnPage = page.calls;
            }
        }
        const ratio = (pick: (s: (typeof samples)[number]) => number[]) => median(pick(samples[1]!).map((large, n) => large / (pick(samples[0]!)[n] ?? Number.NaN)));
        const summary = (side: CallTable, sample: (typeof samples)[number]): ListingSide => {
            if (sample.requests.size !== 1) throw new Error(`Listing ${side.name}: the same page took different numbers of storage requests: ${[...sample.requests].join(', ')}.`);
            return {
                calls: side.calls,
                pageMs: median(sample.page),
                pageMsSamples: sample.page,
                requestsPerPage: [...sample.requests][0] ?? Number.NaN,
                requestKinds: sample.kinds,
                functionMs: median(sample.fn),
                callsOnPage: sample.callsOnPage,
                pointReadMs: median(sample.pointRead),
                partitionQueryMs: median(sample.partitionQuery),
            };
        };
        return {
            top: TOP,
            since: since.toISOString(),
            rounds,
            small: summary(tables.small, samples[0]!),
            large: summary(tables.large, samples[1]!),
            timeRatio: ratio((s) => s.page),
            functionRatio: ratio((s) => s.fn),
        };
    } finally {
        client.close();
    }
}

async function pageThroughHost(
    client: BenchHttpClient,
    side: CallTable,
    since: Date,
): Promise<{ ms: number; requests: number; kinds: Record<string, number>; calls: number; newestCallId: string }> {
    const before = side.proxy.counted();
    const started = performance.now();
    const answer = await client.request('GET', `${side.host.baseUrl}/calls?since=${encodeURIComponent(since.toISOString())}&top=${TOP}`);
    const ms = performance.now() - started;
    expectStatus(answer, 200, `GET /api/calls on ${side.name}`);
    const page = JSON.parse(answer.body) as { calls: Array<{ callId: string; firstEventAt: string }>; continuationToken?: string };
    // The last hour holds more than a page: a full page, newest first, all inside the hour, and a token for the rest.
    const starts = page.calls.map((call) => Date.parse(call.firstEventAt));
    if (page.calls.length !== TOP || page.continuationToken === undefined || starts.some((start, i) => start < since.getTime() || (i > 0 && start > (starts[i - 1] ?? 0)))) {
        throw new Error(`GET /api/calls on ${side.name}: not a full page of the last hour, newest first: ${answer.body.slice(0, 500)}`);
    }
    const { total, kinds } = side.proxy.since(before);
    return { ms, requests: total, kinds, calls: page.calls.length, newestCallId: page.calls[0]?.callId ?? '' };
}

async function pageFromFunction(side: CallTable, since: Date): Promise<number> {
    const started = performance.now();
    const page = await listCalls(side.table, { since, top: TOP });
    const ms = performance.now() - started;
    if (page.calls.length !== TOP) throw new Error(`listCalls on ${side.name}: ${page.calls.length} calls, not ${TOP}.`);
    return ms;
}

async function timed(step: () => Promise<unknown>): Promise<number> {
    const started = performance.now();
    await step();
    return performance.now() - started;
}
