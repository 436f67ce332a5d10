// Reading a call's roster (GET /api/calls/{callId}/participants, `calls participants`): its summary (a
// point read) and its participant rows (one range query of its partition), as one consistent picture.

import type { TableClient } from '@azure/data-tables';
import { requireCallId } from '../callId';
import { defined } from '../defined';
import { NotFoundError } from '../errors';
import { fieldsFromJson, fieldsJson } from '../record/callFields';
import type { CallSummary } from '../record/callModel';
import { isCallEnded } from '../record/callState';
import { readSummaryRow, type SummaryRow } from '../record/callStore';
import { readDerivedRows } from '../record/derivedRows';
import { PARTICIPANT_FIELDS, type Participant, type ParticipantDetails } from './participantModel';
import { maskPhoneNumber } from './rosterNotifications';
import { rosterRows } from './rosterRules';

/** A participant as the API shows it: its row, its key, and whether it is in the call now. */
interface ListedParticipant extends Participant {
    key: string;
    /** Listed by Graph and not gone, in a call that has not ended. */
    inCall: boolean;
}

export interface ParticipantList {
    callId: string;
    summary: CallSummary;
    /** Everyone the call had, in the order they joined. */
    participants: ListedParticipant[];
}

/** Attempts at a picture that no write changed while it was read. */
const READ_ATTEMPTS = 3;

/**
 * The call's roster: everyone it had, those who left with `leftAt`. The summary is read before and after the
 * rows; when a write came between, the rows are read again, so the picture is one the table had (unless the
 * call keeps changing through every attempt, when the last one is answered). A 404 for an unknown call.
 *
 * @example
 * const { participants } = await listParticipants(table, 'call-1', 'full');
 */
export async function listParticipants(table: TableClient, callId: string, details: ParticipantDetails): Promise<ParticipantList> {
    requireCallId(callId);
    const kind = rosterRows(details);
    let before = await readSummary(table, callId);
    for (let attempt = 1; ; attempt++) {
        const rows = await readDerivedRows(table, callId, kind, 'all', before.stagedCommit);
        const after = await readSummary(table, callId);
        if (after.etag === before.etag || attempt >= READ_ATTEMPTS) {
            const ended = isCallEnded(after.summary);
            const participants = [...rows.values]
                .map(([key, row]): ListedParticipant => ({ ...shown(row, details), key, inCall: !ended && row.leftAt === undefined }))
                .sort((a, b) => a.joinedAt.getTime() - b.joinedAt.getTime() || a.key.localeCompare(b.key));
            return { callId, summary: after.summary, participants };
        }
        before = after;
    }
}

/** With `PARTICIPANT_DETAILS=ids`, also rows written before it was set show ids only. */
function shown(row: Participant, details: ParticipantDetails): Participant {
    if (details === 'full') return row;
    const { displayName: _name, ...rest } = row;
    return {
        ...rest,
        ...(row.phoneNumber === undefined ? {} : { phoneNumber: maskPhoneNumber(row.phoneNumber) }),
        ...(row.identityKind === 'phone' && row.identityId !== undefined ? { identityId: maskPhoneNumber(row.identityId) } : {}),
    };
}

/** A listed participant as JSON: times as ISO 8601. */
export type ParticipantJson = { [K in keyof ListedParticipant]: Exclude<ListedParticipant[K], undefined> extends Date ? string : ListedParticipant[K] };

export interface ParticipantListJson {
    callId: string;
    participantCount?: number;
    maxParticipants?: number;
    participants: ParticipantJson[];
}

/**
 * @example
 * participantListJson(list) // { callId: 'c1', participantCount: 2, maxParticipants: 3, participants: [{ key: '...', inCall: true, ... }] }
 */
export function participantListJson(list: ParticipantList): ParticipantListJson {
    return {
        callId: list.callId,
        ...defined({ participantCount: list.summary.participantCount, maxParticipants: list.summary.maxParticipants }),
        participants: list.participants.map(
            (participant) => ({ key: participant.key, inCall: participant.inCall, ...fieldsJson(PARTICIPANT_FIELDS, participant) }) as ParticipantJson,
        ),
    };
}

/**
 * The other way: a roster as the API answered it, back in the record's types, with the call's summary (for clients
 * of the API that print with the command line's printer, such as the demo).
 */
export function participantListFromJson(json: ParticipantListJson, summary: CallSummary): ParticipantList {
    return {
        callId: json.callId,
        summary,
        participants: json.participants.map((participant) => ({ ...participant, ...fieldsFromJson(PARTICIPANT_FIELDS, participant) }) as unknown as ListedParticipant),
    };
}

async function readSummary(table: TableClient, callId: string): Promise<SummaryRow> {
    const row = await readSummaryRow(table, callId);
    if (row === undefined) throw new NotFoundError(`Nothing is recorded for call ${callId}: no notification or hang-up for it was stored.`);
    return row;
}
