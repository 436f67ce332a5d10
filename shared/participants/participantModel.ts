// The roster's plain types: one row per participant a call ever had, and what one roster notification says.

import { bool, int, SHORT_TEXT, text, time, type Description } from '../record/callFields';
import type { DerivedRow } from '../record/derivedRows';

export type { ParticipantDetails } from '../settings/config';

/** A participant row (`RowKey` `participant-` + its key), as stored. */
export interface Participant extends DerivedRow {
    /** Graph's participant id (one per leg: someone who rejoins gets a new one); absent when Graph sent none. */
    participantId?: string;
    /** `user`, `phone`, `guest`, `application`, or any other identity Graph names, as sent. */
    identityKind?: string;
    identityId?: string;
    displayName?: string;
    /** The participant's own tenant. */
    tenantId?: string;
    phoneNumber?: string;
    /** When a roster first listed the participant (the app's receive time). */
    joinedAt: Date;
    /** When a roster first showed the participant gone: removed, or missing from a newer full roster. */
    leftAt?: Date;
    /** `removedState.reason` as Graph sent it, `removed` when it gave none, or `notInRoster`. */
    leftReason?: string;
    isMuted?: boolean;
    isInLobby?: boolean;
    /** Graph's `rosterSequenceNumber` of the roster that last changed the participant. */
    rosterSequenceNumber?: number;
    /** Receive time of the notification that last changed the row. */
    updatedAt: Date;
}

/** A participant row's columns, in the order the API shows them. */
export const PARTICIPANT_FIELDS = {
    participantId: text(SHORT_TEXT),
    identityKind: text(SHORT_TEXT),
    identityId: text(SHORT_TEXT),
    displayName: text(SHORT_TEXT),
    tenantId: text(SHORT_TEXT),
    phoneNumber: text(SHORT_TEXT),
    joinedAt: { ...time, fallback: new Date(0) },
    leftAt: time,
    leftReason: text(SHORT_TEXT),
    isMuted: bool,
    isInLobby: bool,
    rosterSequenceNumber: int,
    updatedAt: { ...time, fallback: new Date(0) },
    sequence: { ...int, fallback: 0 },
} as const satisfies Description<Participant>;

/** The identity fields of a participant, as one notification shows them. */
type ParticipantIdentity = Pick<Participant, 'participantId' | 'identityKind' | 'identityId' | 'displayName' | 'tenantId' | 'phoneNumber'>;

/** One participant as a roster notification lists it. */
export interface ParticipantSeen extends ParticipantIdentity {
    /** The row's key: Graph's participant id, or a hash of the identity when Graph sent no usable id. */
    key: string;
    isMuted?: boolean;
    isInLobby?: boolean;
    rosterSequenceNumber?: number;
    /** Set when Graph lists the participant as removed (`removedState`), or the notification deletes it. */
    removedReason?: string;
}

/**
 * What one participants notification says. `full`: everyone in the call now (an array of participants);
 * `delta`: only those that changed (`#microsoft.graph.deltaParticipants`, or one participant); `removed`:
 * those listed have left (a `deleted` notification).
 */
export interface RosterChange {
    shape: 'full' | 'delta' | 'removed';
    participants: ParticipantSeen[];
    /** A delta roster's `sequenceNumber`: the order Graph sent the deltas in. */
    sequenceNumber?: number;
}
