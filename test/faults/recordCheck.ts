// Reads the call record back (each call's partition: its history and its summary) and compares it with
// what was sent and what the app answered. The definitions every scenario reports:
//
// - lost: a notification Graph will not deliver again (some delivery was answered 202, or refused with a
//   4xx: Graph does not redeliver a 4xx, so a 401 for a valid token loses it) that is not in its call's
//   history. A notification never settled (every delivery a 5xx or unanswered) is reported as unsettled.
// - doubled: a notification stored more than once in its call's history. Every delivery of a notification
//   in a scenario happens within the dedupe window, so a second copy is always a redelivery stored again.
// - wrong calls: calls whose summary or history breaks a promise of SPEC.md: eventCount equals the
//   history rows and the highest sequence; sequences gapless 1..n under `event-` + 10 digits; no event that
//   was never sent; callState and deleted as the state rules give for what was sent, and callState,
//   graphEtag, lastChangeType and deleted as they give when the stored history is replayed in order;
//   duplicateCount at least the duplicates the 202s reported and at most that plus the deliveries whose
//   answer was lost (a 5xx or none: such a delivery may have been committed); and where no answer of the
//   call was lost, exactly the deliveries acknowledged minus the notifications stored (every acknowledged
//   delivery but the first of each notification is a redelivery).

import type { TableClient } from '@azure/data-tables';
import { stateRank } from '../../shared/record/callState';
import { eventRowKey } from '../../shared/record/tableEntities';
import { partitionRows } from '../support/storage';
import { isRetryable, type DeliveryLedger } from './graphSender';
import { idOfEtag, type TracedNotification } from './tracedNotifications';

export interface RecordCheck {
    notifications: number;
    lost: number;
    doubled: number;
    /** Calls whose summary or history is wrong (see above). */
    wrongCalls: number;
    /** Notifications still unsettled (Graph would keep redelivering) when the scenario ended. */
    unsettled: number;
    /** What went wrong, a few examples of each kind. */
    failures: string[];
}

export interface RecordCheckOptions {
    /**
     * Storage answers may have been cut off inside the app's own storage retries: a 202 may then say
     * "duplicate" for the delivery that stored the notification. duplicateCount is then checked against
     * what the app answered, not against the number of deliveries.
     */
    storageFaults?: boolean;
}

type Row = Record<string, unknown>;

const READ_CONCURRENCY = 16;
const EXAMPLES_PER_KIND = 5;

/** Collects failures as "kind: detail", keeping a few examples of each kind and a count of all. */
export class FailureLog {
    private readonly kinds = new Map<string, { count: number; examples: string[] }>();

    add(kind: string, detail: string): void {
        const entry = this.kinds.get(kind) ?? { count: 0, examples: [] };
        entry.count += 1;
        if (entry.examples.length < EXAMPLES_PER_KIND) entry.examples.push(detail);
        this.kinds.set(kind, entry);
    }

    lines(): string[] {
        return [...this.kinds].map(([kind, { count, examples }]) => `${kind} (${count}): ${examples.join('; ')}${count > examples.length ? '; ...' : ''}`);
    }
}

/** The summary fields the state rules decide, from the stored history of one call replayed in sequence order. */
function replayHistory(callId: string, events: readonly Row[]): { callState?: string; graphEtag?: string; lastChangeType?: string; deleted: boolean } {
    const replayed: { callState?: string; graphEtag?: string; lastChangeType?: string; deleted: boolean } = { deleted: false };
    for (const event of events) {
        if (event.kind !== 'notification' || event.resourceUrl !== `/communications/calls/${callId}`) continue;
        const state = typeof event.callState === 'string' ? event.callState : undefined;
        const etag = typeof event.graphEtag === 'string' ? event.graphEtag : undefined;
        if (typeof event.changeType === 'string') replayed.lastChangeType = event.changeType;
        if (state !== undefined && (replayed.callState === undefined || stateRank(state) >= stateRank(replayed.callState))) {
            replayed.callState = state;
            replayed.graphEtag = etag;
        }
        if (event.changeType === 'deleted') {
            replayed.deleted = true;
            if (replayed.callState === undefined || stateRank(replayed.callState) < stateRank('terminated')) {
                replayed.callState = 'terminated';
                replayed.graphEtag = etag;
            }
        }
    }
    return replayed;
}

/** One call's partition: its summary row and its history rows in row-key order. */
export async function readCall(table: TableClient, callId: string): Promise<{ summary?: Row; events: Row[] }> {
    const rows = await partitionRows(table, callId);
    return {
        summary: rows.find((row) => row.rowKey === 'state'),
        events: rows.filter((row) => String(row.rowKey).startsWith('event-')),
    };
}

/**
 * The shape promises any call's partition keeps, whatever was sent: counts, gapless sequences, and a
 * summary that agrees with its own history.
 */
export function checkPartitionShape(callId: string, summary: Row | undefined, events: readonly Row[], failures: FailureLog): boolean {
    let wrong = false;
    const fail = (kind: string, detail: string) => {
        wrong = true;
        failures.add(kind, `${callId}: ${detail}`);
    };
    if (summary === undefined) {
        if (events.length > 0) fail('history without a summary', `${events.length} events`);
        return !wrong;
    }
    events.forEach((event, i) => {
        if (event.sequence !== i + 1 || event.rowKey !== eventRowKey(i + 1))
            fail('sequence gap', `row ${i + 1} is ${String(event.rowKey)} with sequence ${String(event.sequence)}`);
    });
    if (summary.eventCount !== events.length) fail('eventCount wrong', `eventCount ${String(summary.eventCount)}, ${events.length} history rows`);
    const replayed = replayHistory(callId, events);
    for (const field of ['callState', 'graphEtag', 'lastChangeType'] as const) {
        if (summary[field] !== replayed[field]) fail(`summary ${field} disagrees with the history`, `${String(summary[field])}, replayed ${String(replayed[field])}`);
    }
    if ((summary.deleted === true) !== replayed.deleted) fail('summary deleted disagrees with the history', `${String(summary.deleted)}, replayed ${replayed.deleted}`);
    return !wrong;
}

/**
 * @example
 * const check = await checkTracedCalls(env.table, ledger, { storageFaults: true });
 * check.lost // 0
 */
export async function checkTracedCalls(table: TableClient, ledger: DeliveryLedger, options: RecordCheckOptions = {}): Promise<RecordCheck> {
    const failures = new FailureLog();
    const byCall = new Map<string, TracedNotification[]>();
    for (const notification of ledger.notifications()) {
        const list = byCall.get(notification.callId) ?? [];
        list.push(notification);
        byCall.set(notification.callId, list);
    }
    const result: RecordCheck = { notifications: 0, lost: 0, doubled: 0, wrongCalls: 0, unsettled: ledger.unsettled().length, failures: [] };
    const calls = [...byCall];
    let next = 0;
    const worker = async () => {
        while (next < calls.length) {
            const [callId, sent] = calls[next++]!;
            const { summary, events } = await readCall(table, callId);
            const check = checkCall(callId, sent, summary, events, ledger, options, failures);
            result.notifications += sent.length;
            result.lost += check.lost;
            result.doubled += check.doubled;
            if (check.wrong) result.wrongCalls += 1;
        }
    };
    await Promise.all(Array.from({ length: READ_CONCURRENCY }, worker));
    if (result.unsettled > 0)
        failures.add(
            'unsettled at the end',
            ledger
                .unsettled()
                .slice(0, EXAMPLES_PER_KIND)
                .map((n) => n.id)
                .join(', '),
        );
    result.failures = failures.lines();
    return result;
}

function checkCall(
    callId: string,
    sent: readonly TracedNotification[],
    summary: Row | undefined,
    events: readonly Row[],
    ledger: DeliveryLedger,
    options: RecordCheckOptions,
    failures: FailureLog,
): { lost: number; doubled: number; wrong: boolean } {
    let wrong = !checkPartitionShape(callId, summary, events, failures);
    const fail = (kind: string, detail: string) => {
        wrong = true;
        failures.add(kind, `${callId}: ${detail}`);
    };
    const copies = new Map<string, number>();
    for (const event of events) {
        const id = idOfEtag(event.graphEtag);
        if (id === undefined || !sent.some((n) => n.id === id)) fail('event never sent', `${String(event.rowKey)} graphEtag ${String(event.graphEtag)}`);
        else copies.set(id, (copies.get(id) ?? 0) + 1);
    }

    let lost = 0;
    let doubled = 0;
    let acknowledged = 0;
    let reportedDuplicates = 0;
    let answersLost = 0;
    for (const notification of sent) {
        const records = ledger.recordsOf(notification.id);
        const stored = copies.get(notification.id) ?? 0;
        const final = records.filter((r) => !isRetryable(r.status));
        if (stored === 0 && final.length > 0) {
            lost += 1;
            failures.add('lost', `${notification.id} answered ${final.map((r) => r.status).join(',')}, not in the history`);
        }
        if (stored > 1) {
            doubled += 1;
            failures.add('doubled', `${notification.id} stored ${stored} times`);
        }
        for (const record of records) {
            if (record.status === 202) {
                acknowledged += 1;
                reportedDuplicates += record.duplicates ?? 0;
            } else if (isRetryable(record.status)) {
                answersLost += 1;
            }
        }
    }
    if (summary === undefined) {
        if (sent.some((n) => ledger.recordsOf(n.id).some((r) => r.status === 202))) fail('acknowledged call has no summary', `${sent.length} sent`);
        return { lost, doubled, wrong };
    }

    const allStored = sent.every((n) => copies.has(n.id));
    if (allStored) {
        const top = sent.reduce((best, n) => (stateRank(n.state) > stateRank(best.state) ? n : best));
        const expectedState = sent.some((n) => n.changeType === 'deleted') && stateRank(top.state) < stateRank('terminated') ? 'terminated' : top.state;
        if (summary.callState !== expectedState) fail('callState not what was sent', `${String(summary.callState)}, expected ${expectedState}`);
        const expectDeleted = sent.some((n) => n.changeType === 'deleted');
        if ((summary.deleted === true) !== expectDeleted) fail('deleted not what was sent', `${String(summary.deleted)}, expected ${expectDeleted}`);
    }

    const duplicateCount = Number(summary.duplicateCount);
    const redeliveries = acknowledged - copies.size;
    if (duplicateCount < reportedDuplicates || duplicateCount > reportedDuplicates + answersLost) {
        fail('duplicateCount outside what was answered', `${duplicateCount}, answered ${reportedDuplicates} duplicates, ${answersLost} answers lost`);
    } else if (answersLost === 0 && !options.storageFaults && duplicateCount !== redeliveries) {
        fail('duplicateCount not the redeliveries', `${duplicateCount}, ${acknowledged} deliveries acknowledged for ${copies.size} notifications`);
    }
    return { lost, doubled, wrong };
}
