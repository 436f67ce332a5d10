// Whole calls through POST /api/callback: each worker starts a new call, posts its notifications in order
// (bench/notificationBodies.ts, one per POST unless told otherwise) and starts the next call, so calls are
// created and ended all the time, as on a busy bot, and the call index and the call-ended messages are
// written as they are in production (with a call's first and ending notifications).

import { performance } from 'node:perf_hooks';
import { inParallel } from '../shared/inParallel';
import { BenchHttpClient, expectStatus } from './httpClient';
import { runLoad, type LoadResult } from './loadRunner';
import type { CallbackTarget } from './callbackLoad';
import { benchCallIds, callLifecycle, endingPosition, notificationsBody, type CallShape } from './notificationBodies';
import { recreateTable } from './tableReset';

export interface WholeCallResult extends LoadResult {
    /** Milliseconds to the 202 of each POST that ended a call. */
    endingLatenciesMs: number[];
}

export class WholeCallLoad {
    private readonly target: CallbackTarget;
    private readonly shape: CallShape;
    private readonly client: BenchHttpClient;
    private tag = '';

    constructor(target: CallbackTarget, shape: CallShape, maxConcurrency: number) {
        this.target = target;
        this.shape = shape;
        this.client = new BenchHttpClient(maxConcurrency);
    }

    get notificationsPerCall(): number {
        return callLifecycle('x', this.shape).length;
    }

    /** Empties the table; calls after this get new ids. */
    async reset(): Promise<void> {
        await recreateTable(this.target.table);
        this.tag = benchCallIds('whole', 1)[0] ?? 'whole';
    }

    /** Closed loop for `durationMs`; an operation is one POST of one notification. */
    async measure(concurrency: number, durationMs: number): Promise<WholeCallResult> {
        const perCall = this.notificationsPerCall;
        const ending = endingPosition(this.shape);
        const endingLatenciesMs: number[] = [];
        const current = new Map<number, Array<Record<string, unknown>>>();
        const result = await runLoad({ concurrency, durationMs }, async (worker, iteration) => {
            const position = iteration % perCall;
            if (position === 0) current.set(worker, callLifecycle(`${this.tag}-w${worker}-${iteration / perCall}`, this.shape));
            const notification = current.get(worker)?.[position];
            const started = performance.now();
            await this.post(worker, [notification]);
            if (position === ending) endingLatenciesMs.push(performance.now() - started);
        });
        return { ...result, endingLatenciesMs };
    }

    /** `calls` whole calls, `concurrency` at a time, each in POSTs of `perPost` notifications; `onCall` after each. */
    async ingest(calls: number, concurrency: number, perPost: number, onCall?: (done: number) => Promise<void> | void): Promise<void> {
        let done = 0;
        const ids = Array.from({ length: calls }, (_, i) => `${this.tag}-${String(i).padStart(6, '0')}`);
        await inParallel(ids, concurrency, async (callId, i) => {
            const notifications = callLifecycle(callId, this.shape);
            for (let first = 0; first < notifications.length; first += perPost) {
                await this.post(i % concurrency, notifications.slice(first, first + perPost));
            }
            done += 1;
            await onCall?.(done);
        });
    }

    private async post(worker: number, notifications: readonly unknown[]): Promise<void> {
        const token = this.target.tokens[worker % this.target.tokens.length] ?? '';
        const answer = await this.client.request(
            'POST',
            `${this.target.baseUrl}/callback`,
            { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
            notificationsBody(notifications),
        );
        expectStatus(answer, 202, 'POST /api/callback');
        const accepted = (JSON.parse(answer.body) as { accepted?: number }).accepted;
        if (accepted !== notifications.length) throw new Error(`POST /api/callback: ${notifications.length} sent, ${String(accepted)} accepted: ${answer.body}`);
    }

    close(): void {
        this.client.close();
    }
}
