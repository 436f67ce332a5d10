// What the summary keeps of Graph's call record (`microsoft.graph.callRecords.callRecord` with its sessions,
// segments and participants_v2): its id, version, type, modalities, Graph's start, end and duration, the organizer,
// how many participants and sessions, and the quality verdict for the call and each participant by the Call
// Quality Dashboard's thresholds (streamQuality.ts). Pure, no I/O. Graph's fields may be null or missing (a short
// call reports few metrics) and durations are ISO 8601; every value is read as optional.

import { defined } from '../defined';
import { isObject } from '../isObject';
import { identityKindOf, maskPhoneNumber } from '../participants/rosterNotifications';
import type { CallRecordFacts } from '../record/callFields';
import type { ParticipantDetails } from '../settings/config';
import { classifyStream, durationMs, mediaKindOf, type StreamFigures, type StreamVerdict } from './streamQuality';

type Json = Record<string, unknown>;

/** Graph's call record with every page gathered: the record, all of its sessions and all of its participants. */
export interface GatheredCallRecord {
    record: Json;
    sessions: Json[];
    participants: Json[];
}

/** One participant's verdict, as the summary's `participantQuality` lists it. */
export interface ParticipantQuality {
    id: string;
    kind?: string;
    name?: string;
    quality: 'good' | 'poor' | 'unknown';
    reason?: string;
    /** Streams the participant sent, and how many of them were poor. */
    streams: number;
    poorStreams: number;
}

interface Who {
    /** The participant's own id (participants_v2's `id`), else its identity's. */
    id?: string;
    /** What a session endpoint is matched by: the identity's id (Graph's own examples repeat participant ids). */
    ids: string[];
    kind?: string;
    /** How reasons name them: a name (PARTICIPANT_DETAILS=full), a masked number, or an id. */
    label: string;
    name?: string;
}

/**
 * @example
 * callRecordFacts(gathered, 'full') // { callRecordId: '...', callRecordVersion: 1, callType: 'peerToPeer', quality: 'poor', qualityReason: 'audio from ...', ... }
 */
export function callRecordFacts(gathered: GatheredCallRecord, details: ParticipantDetails): CallRecordFacts {
    const { record, sessions, participants } = gathered;
    const start = dateOf(record.startDateTime);
    const end = dateOf(record.endDateTime);
    const organizer = isObject(record.organizer_v2) ? whoOf(record.organizer_v2, details) : isObject(record.organizer) ? whoOf({ identity: record.organizer }, details) : undefined;
    const streams = sessions.flatMap((session) => sessionStreams(session, details));
    const verdicts = streams.map(({ figures }) => ({ figures, verdict: classifyStream(figures) }));
    const poor = verdicts.filter(({ verdict }) => verdict.quality === 'poor').sort((a, b) => b.verdict.severity - a.verdict.severity);
    const classified = verdicts.filter(({ verdict }) => verdict.quality !== 'unclassified');
    const worst = (pick: (figures: StreamFigures) => number | undefined) => max(streams.map(({ figures }) => pick(figures)));
    return defined({
        callRecordStatus: 'fetched' as const,
        callRecordId: text(record.id),
        callRecordVersion: integer(record.version),
        callType: text(record.type),
        modalities: Array.isArray(record.modalities) ? record.modalities.filter((modality): modality is string => typeof modality === 'string') : undefined,
        graphStartedAt: start,
        graphEndedAt: end,
        durationSeconds: start !== undefined && end !== undefined ? Math.round((end.getTime() - start.getTime()) / 10) / 100 : undefined,
        organizerId: organizer?.id,
        organizerName: organizer?.name,
        callRecordParticipantCount: participants.length,
        sessionCount: sessions.length,
        streamCount: streams.length,
        poorStreamCount: poor.length,
        quality: poor.length > 0 ? ('poor' as const) : classified.length > 0 ? ('good' as const) : ('unknown' as const),
        qualityReason: poor[0]?.verdict.reasons[0] ?? (classified.length > 0 ? undefined : 'no stream reported the figures the Call Quality Dashboard classifies by'),
        worstPacketLossRate: worst((figures) => figures.packetLossRate),
        worstJitterMs: worst((figures) => figures.jitterMs),
        worstRoundTripMs: worst((figures) => figures.roundTripMs),
        worstAudioDegradation: worst((figures) => figures.audioDegradation),
        participantQuality: listWithin(participantVerdicts(participants, streams, verdicts, details), PARTICIPANT_QUALITY_CHARS),
    });
}

/**
 * Room for the participants' verdicts: they travel on the `callRecord` event (whose `resourceData` holds 30,000
 * characters) with the rest of the facts, and a cut JSON would be no JSON. The poor come first, so those that do
 * not fit are the good and the unknown; the whole record in Blob Storage has everyone.
 */
const PARTICIPANT_QUALITY_CHARS = 20_000;

/** The JSON of as many leading entries as fit in `limit` characters. */
function listWithin(entries: readonly ParticipantQuality[], limit: number): string {
    let size = 2;
    const kept: ParticipantQuality[] = [];
    for (const entry of entries) {
        size += JSON.stringify(entry).length + 1;
        if (size > limit) break;
        kept.push(entry);
    }
    return JSON.stringify(kept);
}

/** Each participant's verdict by the streams they sent, the poor ones first, then the most streams. */
function participantVerdicts(participants: Json[], streams: SentStream[], verdicts: Array<{ verdict: StreamVerdict }>, details: ParticipantDetails): ParticipantQuality[] {
    const list = participants.map((participant): ParticipantQuality => {
        const who = whoOf(participant, details);
        const own = streams.flatMap((stream, i) => (stream.sender.ids.some((id) => who.ids.includes(id)) ? [verdicts[i]?.verdict] : [])).filter((v) => v !== undefined);
        const poor = own.filter((verdict) => verdict.quality === 'poor').sort((a, b) => b.severity - a.severity);
        const classified = own.filter((verdict) => verdict.quality !== 'unclassified');
        return defined({
            id: who.id ?? '',
            kind: who.kind,
            name: who.name,
            quality: poor.length > 0 ? ('poor' as const) : classified.length > 0 ? ('good' as const) : ('unknown' as const),
            reason: poor[0]?.reasons[0],
            streams: own.length,
            poorStreams: poor.length,
        }) as ParticipantQuality;
    });
    const rank = { poor: 0, good: 1, unknown: 2 } as const;
    return list.sort((a, b) => rank[a.quality] - rank[b.quality] || b.poorStreams - a.poorStreams || b.streams - a.streams);
}

interface SentStream {
    sender: Who;
    figures: StreamFigures;
}

/** Every stream of a session's segments, with who sent it (`callerToCallee`: the caller). */
function sessionStreams(session: Json, details: ParticipantDetails): SentStream[] {
    const segments = Array.isArray(session.segments) ? session.segments.filter(isObject) : [];
    return segments.flatMap((segment) => {
        const caller = endpointWho(segment.caller ?? session.caller, details);
        const callee = endpointWho(segment.callee ?? session.callee, details);
        const media = Array.isArray(segment.media) ? segment.media.filter(isObject) : [];
        return media.flatMap((medium) =>
            (Array.isArray(medium.streams) ? medium.streams.filter(isObject) : []).map((stream): SentStream => {
                const sender = stream.streamDirection === 'calleeToCaller' ? callee : caller;
                return { sender, figures: figuresOf(stream, mediaKindOf(medium.label), sender.label) };
            }),
        );
    });
}

function figuresOf(stream: Json, media: StreamFigures['media'], from: string): StreamFigures {
    return defined({
        media,
        from,
        packetLossRate: number(stream.averagePacketLossRate),
        jitterMs: durationMs(stream.averageJitter),
        roundTripMs: durationMs(stream.averageRoundTripTime),
        audioDegradation: number(stream.averageAudioDegradation),
        concealedRatio: number(stream.averageRatioOfConcealedSamples),
        frameLossPercent: number(stream.averageVideoFrameLossPercentage),
        frameRate: number(stream.averageVideoFrameRate) ?? number(stream.averageReceivedFrameRate),
        postFecPacketLossRate: number(stream.postForwardErrorCorrectionPacketLossRate),
    }) as StreamFigures;
}

/** A session's endpoint: a participant's (its identity set, or the older associatedIdentity), or a service. */
function endpointWho(endpoint: unknown, details: ParticipantDetails): Who {
    if (!isObject(endpoint)) return { ids: [], label: 'an unknown endpoint' };
    if (isObject(endpoint.identity) || isObject(endpoint.associatedIdentity)) return whoOf(endpoint, details);
    return { ids: [], kind: 'service', label: typeof endpoint.name === 'string' ? `the service ${endpoint.name}` : 'a service endpoint' };
}

/** Whoever a participant, organizer or endpoint names: every id it carries, its kind, and how to say who it is. */
function whoOf(holder: Json, details: ParticipantDetails): Who {
    const identitySet = isObject(holder.identity) ? holder.identity : {};
    const kind = identityKindOf(identitySet);
    const identity = kind === undefined ? (isObject(holder.associatedIdentity) ? holder.associatedIdentity : {}) : (identitySet[kind] as Json);
    const identityId = text(identity.id);
    const ownId = text(holder.id);
    const phone = kind === 'phone' ? identityId : undefined;
    const name = details === 'full' ? text(identity.displayName) : undefined;
    const shownId = phone === undefined ? (identityId ?? ownId) : details === 'full' ? phone : maskPhoneNumber(phone);
    const id = ownId ?? identityId;
    return {
        ...(id === undefined ? {} : { id: phone !== undefined && details === 'ids' && id === phone ? maskPhoneNumber(id) : id }),
        ids: identityId !== undefined ? [identityId] : ownId !== undefined ? [ownId] : [],
        ...(kind === undefined ? {} : { kind }),
        label: name ?? shownId ?? 'someone unnamed',
        ...(name === undefined ? {} : { name }),
    };
}

function max(values: ReadonlyArray<number | undefined>): number | undefined {
    const known = values.filter((value): value is number => value !== undefined && Number.isFinite(value));
    return known.length === 0 ? undefined : Math.max(...known);
}

function text(value: unknown): string | undefined {
    return typeof value === 'string' && value.trim() !== '' ? value.slice(0, 1024) : undefined;
}

function number(value: unknown): number | undefined {
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function integer(value: unknown): number | undefined {
    const parsed = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    return typeof parsed === 'number' && Number.isSafeInteger(parsed) ? parsed : undefined;
}

function dateOf(value: unknown): Date | undefined {
    if (typeof value !== 'string') return undefined;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
}
