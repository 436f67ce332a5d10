// Reads what a participants notification says about the roster, from the notification as Graph sent it
// (before any value is cut to fit the table). Pure, no I/O. The shapes Graph documents:
// - `resourceUrl` `/communications/calls/{id}/participants`, `resourceData` an array of `participant`: the whole
//   roster (`created`/`updated`), or those who left (`deleted`);
// - `resourceData` a `#microsoft.graph.deltaParticipants` (`sequenceNumber`, `participants`): what changed;
// - `resourceUrl` `.../participants/{participantId}` with one `participant`: that one changed (or left, `deleted`).
// Graph's own invite examples also send the roster array on `.../operations/participants`, so an array of
// `#microsoft.graph.participant` objects is read as a roster whatever path it came on.

import { createHash } from 'node:crypto';
import { defined } from '../defined';
import { isObject } from '../isObject';
import { EVENT_KIND, resourceKindOf, type NewCallEvent } from '../record/callModel';
import { SHORT_TEXT } from '../record/callFields';
import type { ParticipantDetails, ParticipantSeen, RosterChange } from './participantModel';

const PARTICIPANT_TYPE = '#microsoft.graph.participant';
const DELTA_TYPE = '#microsoft.graph.deltaParticipants';
/** The identity kinds in the order one is chosen when an identity set names several. */
const PREFERRED_KINDS = ['user', 'guest', 'phone', 'application', 'applicationInstance', 'device'];
/** A participant id usable as it is in a RowKey: Graph's are GUIDs. */
const PLAIN_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The roster change a stored notification carries, or undefined when it carries none.
 *
 * @example
 * rosterChangeOf(event, 'full') // { shape: 'full', participants: [{ key: '...', identityKind: 'user', ... }] }
 */
export function rosterChangeOf(event: NewCallEvent, details: ParticipantDetails): RosterChange | undefined {
    if (event.kind !== EVENT_KIND.notification || event.resourceData === undefined || event.resourceUrl === undefined) return undefined;
    let data: unknown;
    try {
        data = JSON.parse(event.resourceData);
    } catch {
        return undefined;
    }
    const subPath = event.resourceUrl.replace(/^\/communications\/calls\/[^/]+\/?/, '');
    const onParticipants = (event.resourceKind ?? resourceKindOf(subPath)) === 'participants';
    const deleted = event.changeType === 'deleted';
    const seen = (items: unknown[]) => items.filter(isObject).map((item) => participantSeen(item, details));
    if (Array.isArray(data)) {
        const deltas = data.filter((item) => isObject(item) && typeOf(item) === DELTA_TYPE.toLowerCase());
        if (deltas.length > 0) return deltaOf(deltas, details);
        const roster = data.every((item) => isObject(item) && (onParticipants || typeOf(item) === PARTICIPANT_TYPE.toLowerCase()));
        if (!roster || (!onParticipants && data.length === 0)) return undefined;
        return { shape: deleted ? 'removed' : 'full', participants: seen(data) };
    }
    if (!isObject(data)) return undefined;
    if (typeOf(data) === DELTA_TYPE.toLowerCase()) return deltaOf([data], details);
    if (onParticipants && (typeOf(data) === PARTICIPANT_TYPE.toLowerCase() || isObject(data.info))) {
        return { shape: deleted ? 'removed' : 'delta', participants: seen([data]) };
    }
    return undefined;
}

/** One or more delta rosters: each participant carries its own sequence number, or its delta's. */
function deltaOf(deltas: unknown[], details: ParticipantDetails): RosterChange {
    const participants: ParticipantSeen[] = [];
    let sequenceNumber: number | undefined;
    for (const delta of deltas.filter(isObject)) {
        const deltaSequence = integerOf(delta.sequenceNumber);
        if (deltaSequence !== undefined) sequenceNumber = Math.max(sequenceNumber ?? deltaSequence, deltaSequence);
        for (const item of Array.isArray(delta.participants) ? delta.participants.filter(isObject) : []) {
            const participant = participantSeen(item, details);
            participants.push(
                participant.rosterSequenceNumber === undefined && deltaSequence !== undefined ? { ...participant, rosterSequenceNumber: deltaSequence } : participant,
            );
        }
    }
    return { shape: 'delta', participants, ...(sequenceNumber === undefined ? {} : { sequenceNumber }) };
}

/** One `participant` resource: its id, its identity (by the kind Graph names), its state. */
function participantSeen(item: Record<string, unknown>, details: ParticipantDetails): ParticipantSeen {
    const info = isObject(item.info) ? item.info : {};
    const identitySet = isObject(info.identity) ? info.identity : {};
    const identityKind = identityKindOf(identitySet);
    const identity = identityKind === undefined ? {} : (identitySet[identityKind] as Record<string, unknown>);
    const participantId = textOf(item.id) ?? textOf(info.participantId);
    const identityId = textOf(identity.id);
    const phoneNumber = identityKind === 'phone' ? identityId : undefined;
    const removed = item.removedState;
    const seen: ParticipantSeen = {
        key: keyOf(participantId, identityKind, identityId, info),
        ...defined({
            participantId,
            identityKind,
            identityId: details === 'ids' && identityKind === 'phone' && identityId !== undefined ? maskPhoneNumber(identityId) : identityId,
            displayName: details === 'ids' ? undefined : textOf(identity.displayName),
            tenantId: textOf(identity.tenantId),
            phoneNumber: phoneNumber === undefined ? undefined : details === 'ids' ? maskPhoneNumber(phoneNumber) : phoneNumber,
            isMuted: typeof item.isMuted === 'boolean' ? item.isMuted : undefined,
            isInLobby: typeof item.isInLobby === 'boolean' ? item.isInLobby : undefined,
            rosterSequenceNumber: integerOf(item.rosterSequenceNumber),
            removedReason: isObject(removed) ? (textOf(removed.reason) ?? 'removed') : undefined,
        }),
    };
    return seen;
}

/**
 * The identity an identity set names: the preferred kinds first, then any other Graph may add, as sent.
 *
 * @example
 * identityKindOf({ user: null, phone: { id: '+14255550123' } }) // 'phone'
 */
export function identityKindOf(identitySet: Record<string, unknown>): string | undefined {
    const named = Object.keys(identitySet).filter((kind) => !kind.startsWith('@') && isObject(identitySet[kind]));
    return PREFERRED_KINDS.find((kind) => named.includes(kind)) ?? named[0];
}

/**
 * Graph's participant id when it can be a RowKey as it is; otherwise (Graph's own examples send `"id": null`)
 * `~` and a hash of the identity (never the phone number itself, so masked details stay masked in the key).
 */
function keyOf(participantId: string | undefined, identityKind: string | undefined, identityId: string | undefined, info: Record<string, unknown>): string {
    if (participantId !== undefined && PLAIN_KEY.test(participantId)) return participantId;
    const basis = participantId ?? (identityId === undefined ? JSON.stringify(info) : `${identityKind ?? ''}:${identityId}`);
    return `~${createHash('sha256').update(basis).digest('hex').slice(0, 32)}`;
}

/**
 * A phone number with all but its first two and last two digits hidden: `+14255550123` -> `+14*******23`.
 *
 * @example
 * maskPhoneNumber('+1 425 555 0123') // '+14*******23'
 */
export function maskPhoneNumber(number: string): string {
    const digits = number.replace(/\D/g, '');
    if (digits.length <= 4) return '*'.repeat(digits.length);
    return `${number.trim().startsWith('+') ? '+' : ''}${digits.slice(0, 2)}${'*'.repeat(digits.length - 4)}${digits.slice(-2)}`;
}

function typeOf(item: Record<string, unknown>): string | undefined {
    return typeof item['@odata.type'] === 'string' ? item['@odata.type'].toLowerCase() : undefined;
}

/** A non-blank string, cut to what the table keeps for it. */
function textOf(value: unknown): string | undefined {
    return typeof value === 'string' && value.trim() !== '' ? value.slice(0, SHORT_TEXT) : undefined;
}

/** Int64 values arrive as numbers or, from some serialisers, as digit strings. */
function integerOf(value: unknown): number | undefined {
    const number = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}
