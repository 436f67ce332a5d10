// Plays Graph towards the two instances: POSTs callback bodies, alternating between instances unless told
// which, keeps every answer, and redelivers what Graph would redeliver (a 5xx, a 429, or no answer at
// all) until it is settled. A 2xx or any other 4xx settles a delivery for good: Graph does not redeliver a
// 401, so a 401 for a validly signed notification is a notification lost.

import { setTimeout as delay } from 'node:timers/promises';
import { BenchHttpClient } from '../../bench/httpClient';
import type { FaultEnvironment } from './faultEnvironment';
import type { TracedNotification } from './tracedNotifications';

/** An HTTP answer, or `none` when the connection failed or no answer came in time. */
export type Answer = { status: number; body: string } | { status: 'none'; error: string };

/** What one delivery of a notification got back. */
export interface DeliveryRecord {
    status: number | 'none';
    /** From a 202's `{accepted, duplicates, rejected}`. */
    accepted?: number;
    duplicates?: number;
}

/** Graph redelivers these; everything else is final. */
export function isRetryable(status: number | 'none'): boolean {
    return status === 'none' || status === 429 || status >= 500;
}

/** Requests sent and answers by status, for the report. */
export class AnswerTally {
    requests = 0;
    readonly byStatus: Record<string, number> = {};
    /** A few distinct answers of each status other than 202, to explain a failure. */
    readonly examples: Record<string, string[]> = {};

    /** The answers so far, to compare with later (`since`). */
    snapshot(): Record<string, number> {
        return { ...this.byStatus };
    }

    /** Answers by status counted after `snapshot` was taken. */
    since(snapshot: Record<string, number>): Record<string, number> {
        return Object.fromEntries(
            Object.entries(this.byStatus)
                .map(([status, count]): [string, number] => [status, count - (snapshot[status] ?? 0)])
                .filter(([, count]) => count > 0),
        );
    }

    count(answer: Answer): void {
        this.requests += 1;
        const label = String(answer.status);
        this.byStatus[label] = (this.byStatus[label] ?? 0) + 1;
        if (answer.status !== 202) {
            const examples = this.examples[label] ?? [];
            this.examples[label] = examples;
            const example = answer.status === 'none' ? answer.error : answer.body.slice(0, 300);
            if (examples.length < 3 && !examples.includes(example)) examples.push(example);
        }
    }
}

/** `202 x 98, 503 x 2`: answers by status, most common first. */
export function describeAnswers(byStatus: Record<string, number>): string {
    const entries = Object.entries(byStatus).sort((a, b) => b[1] - a[1]);
    return entries.length === 0 ? 'none sent' : entries.map(([status, count]) => `${status} x ${count}`).join(', ');
}

/** Every delivery of every traced notification of a scenario, in the order they were answered. */
export class DeliveryLedger {
    readonly tally = new AnswerTally();
    private readonly deliveries = new Map<string, { notification: TracedNotification; records: DeliveryRecord[] }>();

    /** Registers notifications that will be sent (so one never answered still counts as sent). */
    add(notifications: readonly TracedNotification[]): void {
        for (const notification of notifications) {
            if (!this.deliveries.has(notification.id)) this.deliveries.set(notification.id, { notification, records: [] });
        }
    }

    record(notification: TracedNotification, answer: Answer): void {
        this.tally.count(answer);
        const entry = this.deliveries.get(notification.id) ?? { notification, records: [] };
        this.deliveries.set(notification.id, entry);
        entry.records.push({ status: answer.status, ...(answer.status === 202 ? countsOf(answer.body) : {}) });
    }

    notifications(): TracedNotification[] {
        return [...this.deliveries.values()].map((entry) => entry.notification);
    }

    recordsOf(id: string): readonly DeliveryRecord[] {
        return this.deliveries.get(id)?.records ?? [];
    }

    /** Notifications no delivery of which has settled yet: Graph would deliver them again. */
    unsettled(): TracedNotification[] {
        return [...this.deliveries.values()].filter((entry) => entry.records.every((record) => isRetryable(record.status))).map((entry) => entry.notification);
    }

    /** Notifications some delivery of which got a 401: Graph never redelivers those. */
    refusedAsUnauthorized(): TracedNotification[] {
        return [...this.deliveries.values()].filter((entry) => entry.records.some((r) => r.status === 401)).map((entry) => entry.notification);
    }
}

function countsOf(body: string): { accepted?: number; duplicates?: number } {
    try {
        const parsed = JSON.parse(body) as { accepted?: unknown; duplicates?: unknown };
        return {
            ...(typeof parsed.accepted === 'number' ? { accepted: parsed.accepted } : {}),
            ...(typeof parsed.duplicates === 'number' ? { duplicates: parsed.duplicates } : {}),
        };
    } catch {
        return {};
    }
}

export interface Delivery {
    notification: TracedNotification;
    /** Which instance gets it; default: the next one in turn. */
    instance?: number;
}

export interface DeliverOptions {
    concurrency: number;
    /** The bearer token of every POST (Graph reuses one token for many callbacks). */
    token: string;
    /** Called as each delivery starts, with how many have started so far (the scenarios inject faults from it). */
    onStart?: (started: number) => void;
}

/** How long one request may take: longer than the app's own storage retries, shorter than a hung run. */
const REQUEST_TIMEOUT_MS = 60_000;

export class GraphSender {
    private readonly env: FaultEnvironment;
    private readonly client: BenchHttpClient;
    private turn = 0;

    constructor(env: FaultEnvironment, connections: number) {
        this.env = env;
        this.client = new BenchHttpClient(connections, { timeoutMs: REQUEST_TIMEOUT_MS });
    }

    /** One POST to /api/callback of an instance (the next in turn unless given). */
    async post(body: string | Buffer, headers: Record<string, string>, instance?: number): Promise<Answer> {
        const index = instance ?? this.turn++ % this.env.hosts.length;
        const host = this.env.hosts[index];
        if (host === undefined) throw new Error(`There is no instance ${index}.`);
        try {
            return await this.client.request('POST', `${host.baseUrl}/callback`, headers, body);
        } catch (err) {
            return { status: 'none', error: err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() : String(err) };
        }
    }

    /** One delivery of a traced notification, recorded in the ledger. */
    async deliver(ledger: DeliveryLedger, delivery: Delivery, token: string): Promise<Answer> {
        const answer = await this.post(delivery.notification.body, callbackHeaders(token), delivery.instance);
        ledger.record(delivery.notification, answer);
        return answer;
    }

    /** Every delivery once, `concurrency` in flight, in the order given. */
    async deliverAll(ledger: DeliveryLedger, deliveries: readonly Delivery[], options: DeliverOptions): Promise<void> {
        ledger.add(deliveries.map((d) => d.notification));
        let next = 0;
        const worker = async () => {
            while (next < deliveries.length) {
                const delivery = deliveries[next++]!;
                options.onStart?.(next);
                await this.deliver(ledger, delivery, options.token);
            }
        };
        await Promise.all(Array.from({ length: Math.min(options.concurrency, deliveries.length) }, worker));
    }

    /**
     * Delivers every unsettled notification again, round after round with a growing pause, until each is
     * settled or `deadlineMs` has passed. Resolves with the notifications still unsettled.
     */
    async redeliverUntilSettled(ledger: DeliveryLedger, options: { concurrency: number; token: string; deadlineMs: number }): Promise<TracedNotification[]> {
        const deadline = Date.now() + options.deadlineMs;
        for (let round = 1; ; round++) {
            const pending = ledger.unsettled();
            if (pending.length === 0 || Date.now() >= deadline) return pending;
            await delay(Math.min(1000, 100 * round));
            await this.deliverAll(
                ledger,
                pending.map((notification) => ({ notification })),
                options,
            );
        }
    }

    close(): void {
        this.client.close();
    }
}

function callbackHeaders(token: string): Record<string, string> {
    return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
}
