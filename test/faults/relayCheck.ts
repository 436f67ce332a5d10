// Reads the relay's work back from the bot's own log (test/support/testBot.ts: every request it received, in the
// order it arrived, with its answer) and from the call record, once every call's relay has drained. The promises
// each relay scenario checks (SPEC.md, "Relay to the bot"):
//
// - delivered: every notification stored in a call's history went to the bot in a request the bot accepted (2xx),
//   carrying that notification (matched by its traced id), and its history row says so (`relayOutcome`
//   `delivered`, `relayBatch` the first sequence of that request);
// - in order: no request of a call reached the bot before every earlier notification of that call had been
//   accepted by it (the bot's answer sent before the request arrived);
// - repeats only as repeats: a `webhook-id` always carries the same body and the same sequences, and a
//   notification never travels under two `webhook-id`s;
// - every request signed: `standardwebhooks` verified each one;
// - nothing dead-lettered: the scenarios run well inside `RELAY_MAX_AGE_HOURS`, so every summary ends with
//   `relayPending` 0, `relayFailed` 0 and `relayedThrough` at the last event.

import { setTimeout as delay } from 'node:timers/promises';
import type { TableClient } from '@azure/data-tables';
import type { BotRequest, TestBot } from '../support/testBot';
import type { DeliveryLedger } from './graphSender';
import { FailureLog, readCall } from './recordCheck';
import { idOfEtag } from './tracedNotifications';

type Row = Record<string, unknown>;

const READ_CONCURRENCY = 16;

export interface RelayCheck {
    /** Requests the bot received for the scenario's calls. */
    requests: number;
    /** Requests the bot had seen before (the same `webhook-id` again). */
    repeats: number;
    /** Stored notifications the bot never accepted. */
    undelivered: number;
    /** Requests that reached the bot before an earlier notification of their call was accepted. */
    outOfOrder: number;
    /** Calls whose relay did not drain, or ended with dead letters. */
    undrained: number;
    /** How long the relay took to drain after the scenario's last delivery from Graph. */
    drainSeconds: number;
    failures: string[];
    notes: string[];
}

/**
 * Waits until every call of the ledger has nothing pending for the bot (at most `deadlineMs`), then checks the
 * bot's log against the record.
 *
 * @example
 * const relay = await checkRelay(env.table, env.bot, ledger, { deadlineMs: 60_000 });
 * relay.outOfOrder // 0
 */
export async function checkRelay(table: TableLike, bot: TestBot, ledger: DeliveryLedger, options: { deadlineMs: number }): Promise<RelayCheck> {
    const callIds = [...new Set(ledger.notifications().map((n) => n.callId))];
    const started = Date.now();
    const calls = await drained(table, callIds, options.deadlineMs);
    const drainSeconds = (Date.now() - started) / 1000;

    const byCall = new Map<string, BotRequest[]>();
    for (const request of bot.requests) {
        const list = byCall.get(request.callId);
        if (list === undefined) byCall.set(request.callId, [request]);
        else list.push(request);
    }
    const failures = new FailureLog();
    const result: RelayCheck = { requests: 0, repeats: 0, undelivered: 0, outOfOrder: 0, undrained: 0, drainSeconds, failures: [], notes: [] };
    const attempts: Record<string, number> = {};
    for (const callId of callIds) {
        const requests = byCall.get(callId) ?? [];
        const call = calls.get(callId) ?? { events: [] };
        const found = checkCall(callId, call, requests, failures);
        result.requests += requests.length;
        result.repeats += found.repeats;
        result.undelivered += found.undelivered;
        result.outOfOrder += found.outOfOrder;
        if (found.undrained) result.undrained += 1;
        for (const request of requests) attempts[request.attempt] = (attempts[request.attempt] ?? 0) + 1;
    }
    result.failures = failures.lines();
    const statuses = countBy(callIds.flatMap((callId) => byCall.get(callId) ?? []).map((request) => String(request.status)));
    result.notes.push(
        `the bot received ${result.requests} requests (${result.repeats} of them repeats of a webhook-id), answered ${describeCounts(statuses)}; ` +
            `by attempt: ${describeCounts(attempts)}; drained ${drainSeconds.toFixed(1)} s after Graph's last delivery`,
    );
    return result;
}

/** The part of TableClient the check reads with. */
type TableLike = Parameters<typeof readCall>[0] & Pick<TableClient, 'getEntity'>;

/**
 * Every call's partition once none has anything pending for the bot, or as they are at the deadline. While
 * waiting only the summaries are read (point reads): a partition query costs Azurite a scan of its whole table.
 */
async function drained(table: TableLike, callIds: readonly string[], deadlineMs: number): Promise<Map<string, { summary?: Row; events: Row[] }>> {
    const deadline = Date.now() + deadlineMs;
    let waiting = [...callIds];
    while (waiting.length > 0 && Date.now() < deadline) {
        const stillPending: string[] = [];
        await inTurns(waiting, async (callId) => {
            const summary = await table.getEntity<Row>(callId, 'state').catch(() => undefined);
            if (Number(summary?.relayPending ?? 0) > 0) stillPending.push(callId);
        });
        waiting = stillPending;
        if (waiting.length > 0) await delay(500);
    }
    const calls = new Map<string, { summary?: Row; events: Row[] }>();
    await inTurns(callIds, async (callId) => {
        calls.set(callId, await readCall(table, callId));
    });
    return calls;
}

async function inTurns(callIds: readonly string[], read: (callId: string) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < callIds.length) await read(callIds[next++]!);
    };
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
}

function checkCall(
    callId: string,
    call: { summary?: Row; events: Row[] },
    requests: readonly BotRequest[],
    failures: FailureLog,
): { repeats: number; undelivered: number; outOfOrder: number; undrained: boolean } {
    const fail = (kind: string, detail: string) => failures.add(kind, `${callId}: ${detail}`);
    const notifications = call.events.filter((event) => event.kind === 'notification');
    const sequenceOf = new Map<string, number>();
    for (const event of notifications) {
        const id = idOfEtag(event.graphEtag);
        if (id !== undefined) sequenceOf.set(id, Number(event.sequence));
    }

    // Each request: signed, a webhook-id that always means the same body, notifications matched to the record.
    let repeats = 0;
    const bodies = new Map<string, string>();
    const webhookIdsOf = new Map<number, Set<string>>();
    const sequencesOf = new Map<BotRequest, number[]>();
    for (const request of requests) {
        if (!request.verified) fail('signature not verified', `${request.webhookId} attempt ${request.attempt}`);
        const seen = bodies.get(request.webhookId);
        if (seen === undefined) bodies.set(request.webhookId, request.body);
        else {
            repeats += 1;
            if (seen !== request.body) fail('a webhook-id sent again with another body', request.webhookId);
        }
        const sequences: number[] = [];
        for (const notification of request.notifications) {
            const resourceData = notification.resourceData as Record<string, unknown> | null | undefined;
            const id = typeof resourceData?.clientContext === 'string' ? resourceData.clientContext : undefined;
            const sequence = id === undefined ? undefined : sequenceOf.get(id);
            if (sequence === undefined) {
                fail('the bot got a notification the record does not hold', `${request.webhookId}: ${String(id)}`);
                continue;
            }
            sequences.push(sequence);
            const ids = webhookIdsOf.get(sequence) ?? new Set<string>();
            ids.add(request.webhookId);
            webhookIdsOf.set(sequence, ids);
        }
        if (sequences.some((sequence, i) => i > 0 && sequence <= sequences[i - 1]!)) fail('a request not in sequence order', `${request.webhookId}: ${sequences.join(',')}`);
        if (sequences.length > 0 && (sequences[0] !== request.first || sequences.at(-1) !== request.last)) {
            fail('x-call-record-sequence is not what the body holds', `${request.webhookId}: header ${request.first}-${request.last}, body ${sequences.join(',')}`);
        }
        sequencesOf.set(request, sequences);
    }
    for (const [sequence, ids] of webhookIdsOf) {
        if (ids.size > 1) fail('a notification sent under two webhook-ids', `${sequence}: ${[...ids].join(', ')}`);
    }

    // Delivered: accepted by the bot, and recorded so.
    const acceptedAt = new Map<number, number>();
    for (const request of requests) {
        if (request.status < 200 || request.status > 299) continue;
        for (const sequence of sequencesOf.get(request) ?? []) {
            acceptedAt.set(sequence, Math.min(acceptedAt.get(sequence) ?? Number.POSITIVE_INFINITY, request.answeredAt));
        }
    }
    let undelivered = 0;
    for (const event of notifications) {
        const sequence = Number(event.sequence);
        if (!acceptedAt.has(sequence)) {
            undelivered += 1;
            fail('stored, never accepted by the bot', `${sequence} (${String(idOfEtag(event.graphEtag))}), relayOutcome ${String(event.relayOutcome)}`);
        } else if (event.relayOutcome !== 'delivered') {
            fail('accepted by the bot, not recorded as delivered', `${sequence}: relayOutcome ${String(event.relayOutcome)}`);
        } else if (!webhookIdsOf.get(sequence)?.has(`${callId}/${String(event.relayBatch)}`)) {
            fail('relayBatch is not the request it went in', `${sequence}: relayBatch ${String(event.relayBatch)}`);
        }
    }

    // In order: when a request arrived, every earlier notification of its call had been accepted.
    let outOfOrder = 0;
    for (const request of requests) {
        const first = sequencesOf.get(request)?.[0];
        if (first === undefined) continue;
        const early = notifications.find((event) => Number(event.sequence) < first && !((acceptedAt.get(Number(event.sequence)) ?? Number.POSITIVE_INFINITY) <= request.at));
        if (early !== undefined) {
            outOfOrder += 1;
            fail('sent before an earlier notification was accepted', `${request.webhookId} (attempt ${request.attempt}) before ${String(early.sequence)}`);
        }
    }

    // Drained, nothing dead-lettered.
    const summary = call.summary;
    let undrained = false;
    if (summary !== undefined && notifications.length > 0) {
        const pending = Number(summary.relayPending ?? 0);
        const failed = Number(summary.relayFailed ?? 0);
        const through = Number(summary.relayedThrough ?? 0);
        if (pending !== 0 || failed !== 0 || through !== Number(summary.eventCount)) {
            undrained = true;
            fail(
                'relay not drained',
                `relayPending ${pending}, relayFailed ${failed}, relayedThrough ${through} of ${String(summary.eventCount)}, last error ${String(summary.relayLastError)}`,
            );
        }
    }
    return { repeats, undelivered, outOfOrder, undrained };
}

function countBy(values: readonly string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
    return counts;
}

function describeCounts(counts: Record<string, number>): string {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
    return entries.length === 0 ? 'nothing' : entries.map(([key, count]) => `${key} x ${count}`).join(', ');
}
