// Who is in a simulated call, and the participants notifications Graph sends when that changes: the whole roster
// (an array of participants) or only what changed (`#microsoft.graph.deltaParticipants` with its sequenceNumber).
// Every change is a new roster version; each participant carries the version that last changed it
// (`rosterSequenceNumber`), as Graph numbers them. Full rosters sent are kept, so an old one can be sent again late.

import { randomUUID } from 'node:crypto';
import type { SimulatorContext } from './context';
import { SimulatorInputError } from './errors';
import { isObject } from './http';
import { callResourceUrl, type CommsNotification } from './notifications';
import { parseStreamQuality } from './callRecords';
import type { SimulatedCall, SimulatedRoster, StreamQuality } from './state';

type IdentityKind = 'user' | 'phone' | 'guest' | 'application';

/** Someone joining: a participant id and an identity (Graph's id for the leg is a GUID unless given). */
interface RosterPerson {
    id?: string;
    kind?: IdentityKind;
    /** The identity's id: an Entra object id, an app id, or (phone) the number. */
    identityId?: string;
    name?: string;
    muted?: boolean;
    inLobby?: boolean;
    /** How the streams they send sound in the call record after the call (default: good). */
    quality?: StreamQuality;
}

/** One change of the roster, and how Graph tells it: the whole roster (default) or a delta. */
export interface RosterChangeInput {
    join?: RosterPerson[];
    /** Participant ids that leave (removedState reason `left`), or `{id, reason}`. */
    leave?: Array<string | { id: string; reason?: string }>;
    mute?: string[];
    unmute?: string[];
    as?: 'full' | 'delta';
}

type SimulatedParticipant = SimulatedRoster['participants'] extends Map<string, infer P> ? P : never;

export function newRoster(): SimulatedRoster {
    return { version: 0, participants: new Map(), sent: new Map() };
}

/**
 * Applies a change to the call's roster (the bot joins first, with the call's own participant id) and returns the
 * notification Graph sends for it.
 *
 * @example
 * const notification = changeRoster(call, { join: [{ name: 'Ada' }], as: 'delta' });
 */
export function changeRoster(ctx: SimulatorContext, call: SimulatedCall, input: RosterChangeInput): CommsNotification {
    const roster = call.roster;
    roster.version += 1;
    const version = roster.version;
    const changed: Array<Record<string, unknown>> = [];
    if (roster.participants.size === 0) {
        const bot = participantResource(
            String(call.resource.myParticipantId),
            { kind: 'application', identityId: ctx.settings.botAppId, name: 'Calling bot (simulated)' },
            version,
        );
        roster.participants.set(String(bot.id), { resource: bot, present: true });
        changed.push(bot);
    }
    for (const person of input.join ?? []) {
        const id = person.id ?? randomUUID();
        if (roster.participants.has(id)) throw new SimulatorInputError(`Participant ${id} is already in call ${call.id}'s roster (a rejoin gets a new participant id).`);
        const resource = participantResource(id, person, version);
        roster.participants.set(id, { resource, present: true });
        if (person.quality !== undefined) call.quality.set(id, person.quality);
        changed.push(resource);
    }
    for (const leaving of input.leave ?? []) {
        const { id, reason } = typeof leaving === 'string' ? { id: leaving, reason: 'left' } : leaving;
        const participant = present(roster, call, id);
        participant.present = false;
        participant.resource = {
            ...participant.resource,
            rosterSequenceNumber: version,
            removedState: { '@odata.type': '#microsoft.graph.removedState', reason: reason ?? 'left' },
        };
        changed.push(participant.resource);
    }
    for (const [ids, muted] of [
        [input.mute ?? [], true],
        [input.unmute ?? [], false],
    ] as const) {
        for (const id of ids) {
            const participant = present(roster, call, id);
            participant.resource = { ...participant.resource, isMuted: muted, rosterSequenceNumber: version };
            changed.push(participant.resource);
        }
    }
    const everyone = [...roster.participants.values()].filter((participant) => participant.present).map((participant) => participant.resource);
    roster.sent.set(version, everyone);
    const resourceUrl = `${callResourceUrl(call.id)}/participants`;
    if (input.as === 'delta') {
        return {
            '@odata.type': '#microsoft.graph.commsNotification',
            changeType: 'updated',
            resourceUrl,
            resourceData: { '@odata.type': '#microsoft.graph.deltaParticipants', sequenceNumber: version, participants: changed },
        };
    }
    return { '@odata.type': '#microsoft.graph.commsNotification', changeType: 'updated', resourceUrl, resourceData: everyone };
}

/** The full roster Graph sent at `version`, as a notification again: a late, stale one. */
export function staleRoster(call: SimulatedCall, version: number): CommsNotification {
    const everyone = call.roster.sent.get(version);
    if (everyone === undefined)
        throw new SimulatorInputError(`Call ${call.id} sent no full roster at version ${version} (sent: ${[...call.roster.sent.keys()].join(', ') || 'none'}).`);
    return { '@odata.type': '#microsoft.graph.commsNotification', changeType: 'updated', resourceUrl: `${callResourceUrl(call.id)}/participants`, resourceData: everyone };
}

/** The participants of the call now, as Graph's `participant` resources. */
export function presentParticipants(call: SimulatedCall): Array<Record<string, unknown>> {
    return [...call.roster.participants.values()].filter((participant) => participant.present).map((participant) => participant.resource);
}

function present(roster: SimulatedRoster, call: SimulatedCall, id: string): SimulatedParticipant {
    const participant = roster.participants.get(id);
    if (participant === undefined || !participant.present) throw new SimulatorInputError(`Participant ${id} is not in call ${call.id} now.`);
    return participant;
}

function participantResource(id: string, person: RosterPerson, version: number): Record<string, unknown> {
    const kind = person.kind ?? 'user';
    const identityId = person.identityId ?? (kind === 'phone' ? '+14255550100' : randomUUID());
    return {
        '@odata.type': '#microsoft.graph.participant',
        id,
        info: {
            '@odata.type': '#microsoft.graph.participantInfo',
            identity: {
                '@odata.type': '#microsoft.graph.identitySet',
                [kind]: {
                    '@odata.type': '#microsoft.graph.identity',
                    id: identityId,
                    displayName: person.name ?? (kind === 'phone' ? identityId : null),
                    ...(kind === 'phone' ? {} : { tenantId: '11111111-1111-4111-8111-111111111111' }),
                },
            },
            endpointType: 'default',
            participantId: id,
        },
        mediaStreams: [{ '@odata.type': '#microsoft.graph.mediaStream', mediaType: 'audio', sourceId: String(version), direction: 'sendReceive', serverMuted: false }],
        isMuted: person.muted ?? false,
        isInLobby: person.inLobby ?? false,
        rosterSequenceNumber: version,
    };
}

/** Reads a roster change from the control API's JSON; a typo fails loudly instead of doing nothing. */
export function parseRosterChange(body: Record<string, unknown>): RosterChangeInput & { resendVersion?: number } {
    const known = new Set(['join', 'leave', 'mute', 'unmute', 'as', 'resendVersion']);
    const unknown = Object.keys(body).filter((key) => !known.has(key));
    if (unknown.length > 0) throw new SimulatorInputError(`Unknown roster field(s): ${unknown.join(', ')}. Known: ${[...known].join(', ')}.`);
    const list = (name: string): unknown[] => {
        const value = body[name];
        if (value === undefined) return [];
        if (!Array.isArray(value)) throw new SimulatorInputError(`${name} must be an array.`);
        return value;
    };
    const ids = (name: string) =>
        list(name).map((id) => {
            if (typeof id !== 'string' || id === '') throw new SimulatorInputError(`${name} must list participant ids.`);
            return id;
        });
    const join = list('join').map((person, index): RosterPerson => {
        if (!isObject(person)) throw new SimulatorInputError(`join[${index}] must be an object.`);
        const kind = person.kind;
        if (kind !== undefined && kind !== 'user' && kind !== 'phone' && kind !== 'guest' && kind !== 'application') {
            throw new SimulatorInputError(`join[${index}].kind must be user, phone, guest or application.`);
        }
        for (const name of ['id', 'identityId', 'name'] as const) {
            if (person[name] !== undefined && typeof person[name] !== 'string') throw new SimulatorInputError(`join[${index}].${name} must be a string.`);
        }
        return {
            ...(typeof person.id === 'string' ? { id: person.id } : {}),
            ...(kind === undefined ? {} : { kind }),
            ...(typeof person.identityId === 'string' ? { identityId: person.identityId } : {}),
            ...(typeof person.name === 'string' ? { name: person.name } : {}),
            ...(person.muted === true ? { muted: true } : {}),
            ...(person.inLobby === true ? { inLobby: true } : {}),
            ...(person.quality === undefined ? {} : { quality: parseStreamQuality(person.quality, `join[${index}].quality`) ?? {} }),
        };
    });
    const leave = list('leave').map((entry, index) => {
        if (typeof entry === 'string') return entry;
        if (isObject(entry) && typeof entry.id === 'string') return { id: entry.id, ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}) };
        throw new SimulatorInputError(`leave[${index}] must be a participant id or {id, reason}.`);
    });
    if (body.as !== undefined && body.as !== 'full' && body.as !== 'delta') throw new SimulatorInputError('as must be "full" or "delta".');
    const resendVersion = body.resendVersion;
    if (resendVersion !== undefined && (typeof resendVersion !== 'number' || !Number.isInteger(resendVersion) || resendVersion < 1)) {
        throw new SimulatorInputError('resendVersion must be a roster version (1, 2, ...).');
    }
    return {
        join,
        leave,
        mute: ids('mute'),
        unmute: ids('unmute'),
        ...(body.as === undefined ? {} : { as: body.as }),
        ...(resendVersion === undefined ? {} : { resendVersion }),
    };
}
