// Measurements 2 and 3: notifications per second through POST /api/callback, with valid signed tokens
// (one per worker, reused as Graph reuses its token), and the time to each 202. The same load goes to the
// bare HTTP writer and the minimal function, which answer the same requests.

import type { TableClient } from '@azure/data-tables';
import { BenchHttpClient, expectStatus } from './httpClient';
import { runLoad, type LoadResult } from './loadRunner';
import { benchCallIds, callbackBody } from './notificationBodies';
import { ownedIndex } from './partitionSpread';
import { recreateTable } from './tableReset';

export interface CallbackTarget {
    /** E.g. `http://127.0.0.1:PORT/api`; requests go to `${baseUrl}/callback`. */
    baseUrl: string;
    /** The table the target writes to, emptied by `reset`. */
    table: TableClient;
    /** One bearer token per worker. */
    tokens: readonly string[];
}

export class CallbackLoad {
    private readonly target: CallbackTarget;
    private readonly client: BenchHttpClient;
    private calls: string[] = [];
    private readonly nextVersion = new Map<string, number>();

    constructor(target: CallbackTarget, maxConcurrency: number) {
        this.target = target;
        this.client = new BenchHttpClient(maxConcurrency);
    }

    /** The table the target writes to. */
    get table(): TableClient {
        return this.target.table;
    }

    /** Empties the table and starts `calls` new calls with one notification each, `concurrency` at a time. */
    async reset(calls: number, concurrency: number): Promise<void> {
        await recreateTable(this.target.table);
        this.calls = benchCallIds('ingest', calls);
        for (let i = 0; i < this.calls.length; i += concurrency) {
            await Promise.all(this.calls.slice(i, i + concurrency).map((callId, w) => this.post(w, callId, 1)));
        }
    }

    /** `batchSize` notifications of one call per POST; each worker cycles through its own calls. */
    measure(concurrency: number, durationMs: number, batchSize = 1): Promise<LoadResult> {
        return runLoad({ concurrency, durationMs }, (worker, iteration) => {
            const callId = this.calls[ownedIndex(this.calls.length, concurrency, worker, iteration)];
            if (callId === undefined) throw new Error('No call for this worker; reset() with more calls than workers.');
            return this.post(worker, callId, batchSize);
        });
    }

    /** One POST of `count` new notifications for the call; throws unless all were accepted. */
    async post(worker: number, callId: string, count: number): Promise<void> {
        const version = this.nextVersion.get(callId) ?? 1;
        this.nextVersion.set(callId, version + count);
        const token = this.target.tokens[worker % this.target.tokens.length] ?? '';
        const answer = await this.client.request(
            'POST',
            `${this.target.baseUrl}/callback`,
            { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            callbackBody(callId, version, count),
        );
        expectStatus(answer, 202, `POST /api/callback for ${callId}`);
        const accepted = (JSON.parse(answer.body) as { accepted?: number }).accepted;
        if (accepted !== count) throw new Error(`POST /api/callback for ${callId}: ${count} sent, ${String(accepted)} accepted: ${answer.body}`);
    }

    close(): void {
        this.client.close();
    }
}
