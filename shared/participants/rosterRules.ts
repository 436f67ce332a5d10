// How a roster notification changes a call's participant rows and its summary. Pure, no I/O; the record
// writes the rows it changes in the notification's own transaction (record/derivedRows.ts).
//
// Notifications of one call may be committed in another order than they arrived (two instances, Graph's
// redeliveries), so nothing here depends on the order of commits, only on what Graph says and when the app
// received it:
// - Per participant, the newer information wins: the higher `rosterSequenceNumber` where Graph sends one
//   (Graph numbers each participant by the roster version that last changed it; a delta's participants carry
//   the delta's `sequenceNumber` when they have none of their own), else the later arrival. Older information
//   changes nothing but `joinedAt`, which is the earliest arrival that listed the participant.
// - A full roster that arrived before the newest one applied (`rosterUpdatedAt`) is stale: it marks nobody
//   as gone, and only adds what it alone saw.
// - Someone missing from a full roster has left (`leftAt`, `notInRoster`), unless the roster provably predates
//   their last change: it lists someone else with an older number than the row has, and theirs is at least
//   that. Without such evidence, the later arrival decides. `removedState` or a `deleted` notification says
//   outright who left.
// - Graph gives every leg its own participant id (someone who rejoins gets a new one), so a participant id
//   that has left never comes back: a late, older roster cannot resurrect it. Only a higher
//   `rosterSequenceNumber` can; a participant known only by identity (Graph sent no id) may rejoin.

import type { CallSummary, NewCallEvent } from '../record/callModel';
import type { DerivedRowKind, RowSet } from '../record/derivedRows';
import { PARTICIPANT_FIELDS, type Participant, type ParticipantDetails, type ParticipantSeen, type RosterChange } from './participantModel';
import { rosterChangeOf } from './rosterNotifications';

/** The RowKey prefix of participant rows. */
const PARTICIPANT_ROW_PREFIX = 'participant-';

/**
 * The roster as rows the record writes with the notifications that change them.
 *
 * @example
 * new CallStore(table, { dedupeWindowSeconds: 600, derivedRows: rosterRows('full') });
 */
export function rosterRows(details: ParticipantDetails): DerivedRowKind<RosterChange, Participant> {
    return {
        prefix: PARTICIPANT_ROW_PREFIX,
        fields: PARTICIPANT_FIELDS,
        changeOf: (event) => rosterChangeOf(event, details),
        rowsNeeded: (changes) => (changes.some((change) => change.shape === 'full') ? 'all' : changes.flatMap((change) => change.participants.map(({ key }) => key))),
        apply: ({ summary, sequence, event, change, rows }) => applyRosterChange(summary, sequence, event, change, rows),
    };
}

/**
 * The summary after one roster change; the participant rows it changes are set in `rows` (which holds every
 * row for a full roster, the listed ones otherwise).
 *
 * @example
 * applyRosterChange(summary, 7, event, { shape: 'full', participants }, rows) // { ...summary, participantCount: 3, maxParticipants: 3 }
 */
export function applyRosterChange(summary: CallSummary, sequence: number, event: Pick<NewCallEvent, 'receivedAt'>, change: RosterChange, rows: RowSet<Participant>): CallSummary {
    const at = event.receivedAt;
    let count = summary.participantCount ?? 0;
    const put = (key: string, before: Participant | undefined, after: Participant) => {
        if (before !== undefined && sameParticipant(before, after)) return;
        rows.set(key, { ...after, updatedAt: before === undefined ? at : later(before.updatedAt, at), sequence });
        count += (isPresent(after) ? 1 : 0) - (before !== undefined && isPresent(before) ? 1 : 0);
    };
    let next = summary;
    if (change.shape === 'full') {
        const stale = summary.rosterUpdatedAt !== undefined && at < summary.rosterUpdatedAt;
        // Read before anything is applied: what the roster says about its own age against the rows.
        const knowsAbsence = absenceJudge(change.participants, rows, at);
        for (const seen of change.participants) {
            const row = rows.get(seen.key);
            const newer = row?.rosterSequenceNumber !== undefined && seen.rosterSequenceNumber !== undefined && seen.rosterSequenceNumber > row.rosterSequenceNumber;
            // A stale roster's news counts only where Graph's numbers prove it newer: arrival says it is not.
            if (stale && !newer) seenInOlderRoster(seen, at, summary.rosterUpdatedAt ?? at, rows, put);
            else seenNow(seen, seen.rosterSequenceNumber, at, summary, rows, put);
        }
        if (!stale) {
            const listed = new Set(change.participants.map(({ key }) => key));
            for (const { key, row } of rows.entries().filter(({ key }) => !listed.has(key))) {
                if (!knowsAbsence(row)) continue;
                put(key, row, row.leftAt === undefined ? { ...row, leftAt: at, leftReason: 'notInRoster' } : { ...row, leftAt: earlier(row.leftAt, at) });
            }
            next = { ...next, rosterUpdatedAt: at };
        }
        count = rows.entries().filter(({ row }) => isPresent(row)).length;
    } else {
        for (const seen of change.participants) {
            const removed = change.shape === 'removed' ? { ...seen, removedReason: seen.removedReason ?? 'removed' } : seen;
            seenNow(removed, seen.rosterSequenceNumber ?? change.sequenceNumber, at, summary, rows, put);
        }
    }
    return { ...next, participantCount: count, maxParticipants: Math.max(summary.maxParticipants ?? 0, count) };
}

type Put = (key: string, before: Participant | undefined, after: Participant) => void;

/**
 * A participant as a roster that is not stale lists it. One never seen before, listed by news older than the
 * newest full roster applied, was gone by that roster (which did not list them).
 */
function seenNow(seen: ParticipantSeen, rosterSequence: number | undefined, at: Date, summary: CallSummary, rows: RowSet<Participant>, put: Put): void {
    const row = rows.get(seen.key);
    const removed = seen.removedReason !== undefined;
    const fields = identityOf(seen, rosterSequence);
    if (row === undefined) {
        if (!removed && summary.rosterUpdatedAt !== undefined && at < summary.rosterUpdatedAt) {
            put(seen.key, undefined, { ...fields, joinedAt: at, leftAt: later(summary.rosterUpdatedAt ?? at, at), leftReason: 'notInRoster', updatedAt: at, sequence: 0 });
            return;
        }
        put(seen.key, undefined, { ...fields, joinedAt: at, ...(removed ? { leftAt: at, leftReason: seen.removedReason } : {}), updatedAt: at, sequence: 0 });
        return;
    }
    if (isNewerThan(row, rosterSequence, at)) {
        // Older news of this participant: it only tells that they were there earlier than known.
        if (!removed && at < row.joinedAt) put(seen.key, row, { ...row, joinedAt: at });
        return;
    }
    const departed = row.leftAt !== undefined;
    if (removed) {
        put(seen.key, row, { ...row, ...fields, leftAt: row.leftAt === undefined ? at : earlier(row.leftAt, at), leftReason: departed ? row.leftReason : seen.removedReason });
        return;
    }
    const mayRejoin = row.participantId === undefined || (rosterSequence !== undefined && row.rosterSequenceNumber !== undefined && rosterSequence > row.rosterSequenceNumber);
    if (departed && !mayRejoin) {
        if (at < row.joinedAt) put(seen.key, row, { ...row, joinedAt: at });
        return;
    }
    const { leftAt: _leftAt, leftReason: _leftReason, ...staying } = row;
    put(seen.key, row, { ...staying, ...fields, joinedAt: earlier(row.joinedAt, at) });
}

/**
 * A participant as a full roster older than the one in force lists it: known ones only gain an earlier
 * `joinedAt`; one never seen before was there then and gone by the newer roster.
 */
function seenInOlderRoster(seen: ParticipantSeen, at: Date, newerRosterAt: Date, rows: RowSet<Participant>, put: Put): void {
    const row = rows.get(seen.key);
    if (row !== undefined) {
        if (seen.removedReason === undefined && at < row.joinedAt) put(seen.key, row, { ...row, joinedAt: at });
        return;
    }
    const fields = identityOf(seen, seen.rosterSequenceNumber);
    put(seen.key, undefined, {
        ...fields,
        joinedAt: at,
        leftAt: seen.removedReason === undefined ? newerRosterAt : at,
        leftReason: seen.removedReason ?? 'notInRoster',
        updatedAt: at,
        sequence: 0,
    });
}

/**
 * Whether a full roster received at `at` tells that a participant it does not list has left. Graph's numbers
 * bound the roster's version: at least the highest number it lists, and below the row's number of anyone it
 * lists with an older one. A row numbered at or above that upper bound changed after the roster was made; one
 * numbered at or below the lower bound did not. Between the two (or without numbers) the later arrival decides.
 */
function absenceJudge(listed: readonly ParticipantSeen[], rows: RowSet<Participant>, at: Date): (row: Participant) => boolean {
    const lowest = highest(listed.map((seen) => seen.rosterSequenceNumber));
    const olderThanRows = listed.flatMap((seen) => {
        const known = rows.get(seen.key)?.rosterSequenceNumber;
        return seen.rosterSequenceNumber !== undefined && known !== undefined && seen.rosterSequenceNumber < known ? [known] : [];
    });
    const upper = olderThanRows.length === 0 ? undefined : Math.min(...olderThanRows);
    return (row) => {
        const number = row.rosterSequenceNumber;
        if (number !== undefined && upper !== undefined && number >= upper) return false;
        if (number !== undefined && lowest !== undefined && number <= lowest) return true;
        return row.updatedAt <= at;
    };
}

/** The row holds newer information than a roster of this sequence number received at `at`. */
function isNewerThan(row: Participant, rosterSequence: number | undefined, at: Date): boolean {
    if (rosterSequence !== undefined && row.rosterSequenceNumber !== undefined) return row.rosterSequenceNumber > rosterSequence;
    return row.updatedAt > at;
}

/** The fields a listing sets; what it leaves out (a later roster without a display name) stays as known. */
function identityOf(seen: ParticipantSeen, rosterSequence: number | undefined): Omit<Participant, 'joinedAt' | 'updatedAt' | 'sequence'> {
    const { key: _key, removedReason: _removed, rosterSequenceNumber: _own, ...fields } = seen;
    return { ...fields, ...(rosterSequence === undefined ? {} : { rosterSequenceNumber: rosterSequence }) };
}

function isPresent(row: Participant): boolean {
    return row.leftAt === undefined;
}

/** Equal in every stored column but the bookkeeping ones (`updatedAt`, `sequence`). */
function sameParticipant(a: Participant, b: Participant): boolean {
    return Object.keys(PARTICIPANT_FIELDS).every((name) => {
        if (name === 'updatedAt' || name === 'sequence') return true;
        const x = (a as unknown as Record<string, unknown>)[name];
        const y = (b as unknown as Record<string, unknown>)[name];
        return x instanceof Date && y instanceof Date ? x.getTime() === y.getTime() : x === y;
    });
}

function highest(values: ReadonlyArray<number | undefined>): number | undefined {
    const known = values.filter((value): value is number => value !== undefined);
    return known.length === 0 ? undefined : Math.max(...known);
}

function later(a: Date, b: Date): Date {
    return a.getTime() >= b.getTime() ? a : b;
}

function earlier(a: Date, b: Date): Date {
    return a.getTime() <= b.getTime() ? a : b;
}
