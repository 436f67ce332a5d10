// Rosters shuffled: participants notifications of many calls, made as the simulator makes them (roster.ts: the
// shapes of Graph's docs, every participant numbered with the roster version that last changed it), each delivered
// several times, in any order, alternating between the two instances, with storage answering late. Each call starts
// with a whole roster (one call's is bigger than a transaction: 100 entities) and then changes by deltas: people
// join, leave, are muted and unmuted. Graph's first roster of a call comes first; after it, every delta and every
// redelivery (of the first roster too) arrives in any order.
//
// Expected, per call: no notification lost or stored twice; the roster rows exactly the simulator's final roster
// (who is in the call, who left, who is muted) with participantCount to match; and the rows exactly what replaying
// the stored history in sequence order through the roster rules gives (the roster never disagrees with the history).
// Why a whole roster is not shuffled with the rest: a late whole roster that lists everyone it knew with unchanged
// numbers looks exactly like a newer one (docs/participants.md, "Order"), so no rule can place it.

import { benchCallIds } from '../../../bench/notificationBodies';
import type { RosterChangeInput } from '../../../dev/simulator/roster';
import { RosterScript } from '../../../bench/rosterBodies';
import { listParticipants, type ParticipantList } from '../../../shared/participants/participantQueries';
import type { Participant } from '../../../shared/participants/participantModel';
import { rosterRows } from '../../../shared/participants/rosterRules';
import { columnsOf, eventFromEntity, type StoredEntity } from '../../../shared/record/tableEntities';
import { RowSet } from '../../../shared/record/derivedRows';
import type { CallSummary } from '../../../shared/record/callModel';
import { DeliveryLedger, GraphSender, isRetryable } from '../graphSender';
import { randomForScenario, type Random } from '../prng';
import { checkPartitionShape, FailureLog, readCall } from '../recordCheck';
import { scenarioResult, type Scenario } from '../scenario';
import type { TracedNotification } from '../tracedNotifications';

const SETTLE_DEADLINE_MS = 60_000;
/** The hosts' PARTICIPANT_DETAILS (the app's default): rows keep names. */
const DETAILS = 'full';

/** One call's roster notifications and the roster Graph has at the end. */
interface RosterCall {
    callId: string;
    /** In roster version order: the first is the whole roster, the others deltas. */
    notifications: TracedNotification[];
    /** Participant id -> in the call at the end, and muted. */
    final: Map<string, { present: boolean; muted: boolean }>;
}

export const rosterShuffle: Scenario = {
    id: 'roster',
    name: 'rosters shuffled',
    async run(context) {
        const size = context.sizes.roster;
        const random = randomForScenario(context.seed, this.name);
        const started = Date.now();
        const calls = benchCallIds('roster', size.calls).map((callId, i) => rosterCall(callId, i === 0 ? size.bigRoster : random.int(2, 6), size.changes, random));
        const copies = (notifications: readonly TracedNotification[]) => notifications.flatMap((n) => Array.from({ length: size.deliveriesEach }, () => n));
        // Graph's first roster of each call first (its copies racing each other on both instances), then the rest.
        const first = random.shuffle(copies(calls.map((call) => call.notifications[0]!))).map((notification, i) => ({ notification, instance: i % 2 }));
        const rest = random
            .shuffle([...copies(calls.flatMap((call) => call.notifications.slice(1))), ...calls.map((call) => call.notifications[0]!)])
            .map((notification, i) => ({ notification, instance: i % 2 }));

        const ledger = new DeliveryLedger();
        const sender = new GraphSender(context.env, size.concurrency);
        try {
            const token = await context.env.token();
            context.env.proxy.setLatency(size.storageLatencyMs);
            try {
                await sender.deliverAll(ledger, first, { concurrency: size.concurrency, token });
                await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
                await sender.deliverAll(ledger, rest, { concurrency: size.concurrency, token });
                await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            } finally {
                context.env.proxy.setLatency(0);
            }
        } finally {
            sender.close();
        }

        const failures = new FailureLog();
        let lost = 0;
        let doubled = 0;
        let wrongCalls = 0;
        let replayed = 0;
        for (const call of calls) {
            const check = await checkRosterCall(context.env.table, call, ledger, failures);
            lost += check.lost;
            doubled += check.doubled;
            if (check.wrong) wrongCalls += 1;
            if (check.replayed) replayed += 1;
        }
        const refused = ledger.refusedAsUnauthorized();
        for (const notification of refused) failures.add('401 for a validly signed notification', notification.id);
        const unsettled = ledger.unsettled();
        if (unsettled.length > 0)
            failures.add(
                'unsettled at the end',
                unsettled
                    .slice(0, 5)
                    .map((n) => n.id)
                    .join(', '),
            );
        const notifications = calls.reduce((sum, call) => sum + call.notifications.length, 0);
        return scenarioResult(this.name, context, ledger.tally, started, {
            notifications,
            lost,
            doubled,
            wrongCalls,
            forbiddenAnswers: refused.length,
            failures: failures.lines(),
            notes: [
                `${size.calls} calls, each a whole roster then ${size.changes} deltas (one call's first roster: ${size.bigRoster} people, more than a transaction holds); ` +
                    `${size.deliveriesEach} deliveries of each, shuffled over both instances, ${size.concurrency} in flight, storage latency 0-${size.storageLatencyMs} ms`,
                `rows held against the history replayed for ${replayed} of ${calls.length} calls (the others' history keeps a roster too big for one column cut short)`,
            ],
        });
    },
};

/** A call's roster notifications as the simulator makes them: a whole roster of `people` (and the bot), then `changes` deltas. */
function rosterCall(callId: string, people: number, changes: number, random: Random): RosterCall {
    const script = new RosterScript(callId);
    const muted = new Set<string>();
    const notifications: TracedNotification[] = [];
    const add = (change: RosterChangeInput) => {
        const { version, body } = script.change(change);
        notifications.push({ id: `${callId}/roster-${version}`, callId, changeType: 'updated', state: '', body });
    };
    add({ join: script.people(people), as: 'full' });
    for (let i = 0; i < changes; i++) {
        const here = script.present();
        const roll = here.length === 0 ? 0 : random.int(0, 3);
        if (roll === 0) add({ join: script.people(random.int(1, 2)), as: 'delta' });
        else if (roll === 1) add({ leave: [random.pick(here)], as: 'delta' });
        else {
            const who = random.pick(here);
            const mute = !muted.has(who);
            if (mute) muted.add(who);
            else muted.delete(who);
            add({ [mute ? 'mute' : 'unmute']: [who], as: 'delta' });
        }
    }
    return { callId, notifications, final: script.final() };
}

/** The roster version a stored participants event carries: a delta's sequenceNumber, 1 for the whole roster. */
function versionOf(resourceData: string | undefined, truncated: boolean): number | undefined {
    if (resourceData === undefined) return undefined;
    if (truncated || resourceData.startsWith('[')) return 1;
    try {
        const parsed = JSON.parse(resourceData) as { sequenceNumber?: unknown };
        return typeof parsed.sequenceNumber === 'number' ? parsed.sequenceNumber : undefined;
    } catch {
        return undefined;
    }
}

async function checkRosterCall(
    table: Parameters<typeof listParticipants>[0],
    call: RosterCall,
    ledger: DeliveryLedger,
    failures: FailureLog,
): Promise<{ lost: number; doubled: number; wrong: boolean; replayed: boolean }> {
    let wrong = false;
    const fail = (kind: string, detail: string) => {
        wrong = true;
        failures.add(kind, `${call.callId}: ${detail}`);
    };
    const { summary, events } = await readCall(table, call.callId);
    if (!checkPartitionShape(call.callId, summary, events, failures)) wrong = true;

    // Every notification Graph will not send again is stored exactly once.
    const stored = new Map<number, number>();
    for (const row of events) {
        const version = versionOf(typeof row.resourceData === 'string' ? row.resourceData : undefined, row.resourceDataTruncated === true);
        if (version === undefined) fail('event never sent', String(row.rowKey));
        else stored.set(version, (stored.get(version) ?? 0) + 1);
    }
    let lost = 0;
    let doubled = 0;
    call.notifications.forEach((notification, i) => {
        const copies = stored.get(i + 1) ?? 0;
        const settled = ledger.recordsOf(notification.id).some((record) => !isRetryable(record.status));
        if (copies === 0 && settled) {
            lost += 1;
            failures.add('lost', notification.id);
        }
        if (copies > 1) {
            doubled += 1;
            failures.add('doubled', `${notification.id} stored ${copies} times`);
        }
    });

    // The roster is the simulator's final roster.
    let list: ParticipantList;
    try {
        list = await listParticipants(table, call.callId, DETAILS);
    } catch (err) {
        fail('roster unreadable', (err as Error).message);
        return { lost, doubled, wrong, replayed: false };
    }
    const rows = new Map(list.participants.map((participant) => [participant.participantId ?? participant.key, participant]));
    for (const [id, truth] of call.final) {
        const row = rows.get(id);
        if (row === undefined) fail('participant missing', id);
        else if ((row.leftAt === undefined) !== truth.present) fail(truth.present ? 'in the call, recorded as gone' : 'gone, recorded as in the call', id);
        else if (truth.present && (row.isMuted === true) !== truth.muted) fail('isMuted not the final one', `${id}: ${String(row.isMuted)}, Graph ${truth.muted}`);
    }
    for (const id of rows.keys()) if (!call.final.has(id)) fail('participant never sent', id);
    const present = [...call.final.values()].filter((p) => p.present).length;
    if (list.summary.participantCount !== present) fail('participantCount not the final roster', `${String(list.summary.participantCount)}, Graph ${present}`);

    // The rows are what the stored history gives, replayed in sequence order (when it is stored whole).
    const replayable = !events.some((row) => row.resourceDataTruncated === true);
    if (replayable) {
        const replayed = replay(events);
        const shown = (participant: Participant) => JSON.stringify(columnsOf(rosterRows(DETAILS).fields, participant));
        const listed = new Map(list.participants.map((participant) => [participant.key, participant]));
        for (const [key, row] of replayed.rows) {
            const stored = listed.get(key);
            if (stored === undefined || shown(stored) !== shown(row))
                fail('row disagrees with the history replayed', `${key}: ${stored === undefined ? 'absent' : shown(stored)}, replayed ${shown(row)}`);
        }
        if (listed.size !== replayed.rows.size) fail('rows disagree with the history replayed', `${listed.size} rows, replayed ${replayed.rows.size}`);
        if (list.summary.participantCount !== replayed.summary.participantCount || list.summary.maxParticipants !== replayed.summary.maxParticipants) {
            fail('summary counts disagree with the history replayed', `${String(list.summary.participantCount)}/${String(list.summary.maxParticipants)}`);
        }
    }
    return { lost, doubled, wrong, replayed: replayable };
}

/** The roster rows and counts the stored history gives through the roster rules, event by event in sequence order. */
function replay(events: ReadonlyArray<Record<string, unknown>>): { rows: Map<string, Participant>; summary: CallSummary } {
    const kind = rosterRows(DETAILS);
    let rows = new Map<string, Participant>();
    let summary = {} as CallSummary;
    for (const row of events) {
        const event = eventFromEntity(row as unknown as StoredEntity);
        const change = kind.changeOf(event);
        if (change === undefined) continue;
        const set = new RowSet<Participant>(rows, true);
        summary = kind.apply({ summary, sequence: event.sequence, event, change, rows: set });
        rows = new Map([...rows, ...set.entries().map(({ key, row: changed }): [string, Participant] => [key, changed])]);
    }
    return { rows, summary };
}
