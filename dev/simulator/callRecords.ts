// Graph's call records (`/communications/callRecords/{callChainId}`) of the simulator's ended calls: made when a call
// ends, from its roster, and answered 404 until `callRecordDelayMinutes` of simulated time have passed (Graph needs 15
// to 150 minutes). Sessions come 60 to a page and participants_v2 130 to a page, with `@odata.nextLink`s, as Graph
// pages them; every stream has figures, and a participant's `quality` (a roster join option) makes its streams poor.

import type { SimulatorContext } from './context';
import { SimulatorInputError } from './errors';
import { isObject } from './http';
import type { SimulatedCall, SimulatedCallRecord, StreamQuality } from './state';

/** Graph's documented page sizes for call records. */
const SESSIONS_PAGE = 60;
const PARTICIPANTS_PAGE = 130;
/** Figures of a stream nobody asked to be poor: comfortably inside the Call Quality Dashboard's thresholds. */
const GOOD: Required<StreamQuality> = { packetLossRate: 0.005, jitterMs: 8, roundTripMs: 60, audioDegradation: 0.2 };

/**
 * Makes the record of a call that has just ended, from its roster (the bot and everyone who joined), available after
 * the configured delay. A call nobody joined has the bot and the callee it was created with.
 */
export function recordEndedCall(ctx: SimulatorContext, call: SimulatedCall): void {
    const now = ctx.state.clock.now();
    const people = [...call.roster.participants.values()].map((participant) => participant.resource);
    const participants = people.map((resource) => ({ id: String(resource.id), identity: identityOf(resource) }));
    const bot = participants[0] ?? { id: String(call.resource.myParticipantId), identity: { application: { id: ctx.settings.botAppId, displayName: 'Calling bot (simulated)' } } };
    const others = participants.slice(1);
    const start = new Date(call.startedAt).toISOString();
    const end = new Date(now).toISOString();
    const groupCall = others.length > 1;
    const sessions = others.map((participant, index) =>
        session(`${call.callChainId}-s${index + 1}`, start, end, participant, groupCall ? { name: 'Conferencing' } : bot, call.quality.get(participant.id)),
    );
    ctx.state.callRecords.set(call.callChainId, {
        callId: call.id,
        version: 1,
        availableAt: now + ctx.state.callRecordDelayMinutes * 60_000,
        record: {
            id: call.callChainId,
            version: 1,
            type: groupCall ? 'groupCall' : 'peerToPeer',
            modalities: ['audio'],
            lastModifiedDateTime: end,
            startDateTime: start,
            endDateTime: end,
            joinWebUrl: null,
            organizer_v2: bot,
        },
        sessions,
        participants: [bot, ...others],
    });
}

/**
 * Replaces a call's record with a made-up one of any size (a 250-person meeting with 300 sessions, say), or moves its
 * version on: `{participants?, sessions?, poor?, version?, delayMinutes?}`.
 */
export function shapeCallRecord(ctx: SimulatorContext, callId: string, body: Record<string, unknown>): SimulatedCallRecord {
    const call = ctx.state.calls.get(callId);
    if (call === undefined) throw new SimulatorInputError(`The simulator has no call ${callId}.`);
    const whole = (name: string, max: number): number | undefined => {
        const value = body[name];
        if (value === undefined) return undefined;
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw new SimulatorInputError(`${name} must be a whole number from 0 to ${max}.`);
        return value;
    };
    const unknown = Object.keys(body).filter((key) => !['participants', 'sessions', 'poor', 'version', 'delayMinutes'].includes(key));
    if (unknown.length > 0) throw new SimulatorInputError(`Unknown call record field(s): ${unknown.join(', ')}.`);
    if (!ctx.state.callRecords.has(call.callChainId)) recordEndedCall(ctx, call);
    const existing = ctx.state.callRecords.get(call.callChainId)!;
    const participantCount = whole('participants', 100_000);
    const sessionCount = whole('sessions', 100_000);
    const poor = whole('poor', 100_000) ?? 0;
    const start = String(existing.record.startDateTime);
    const end = String(existing.record.endDateTime);
    if (participantCount !== undefined || sessionCount !== undefined) {
        const count = participantCount ?? existing.participants.length;
        const participants = Array.from({ length: count }, (_, i) => ({
            id: `${call.callChainId.slice(0, 8)}-p${i}`,
            identity: { user: { id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, displayName: `Participant ${i}`, tenantId: ctx.settings.tenantId } },
        }));
        const sessions = Array.from({ length: sessionCount ?? count }, (_, i) => {
            const participant = participants[i % Math.max(1, participants.length)] ?? participants[0];
            const quality = i < poor ? { packetLossRate: 0.12 } : undefined;
            return session(`${call.callChainId}-s${i + 1}`, start, end, participant ?? { id: 'nobody', identity: {} }, { name: 'Conferencing' }, quality);
        });
        existing.participants = participants;
        existing.sessions = sessions;
        existing.record = { ...existing.record, type: 'groupCall' };
    }
    const version = whole('version', 1_000_000);
    if (version !== undefined) {
        existing.version = version;
        existing.record = { ...existing.record, version, lastModifiedDateTime: new Date(ctx.state.clock.now()).toISOString() };
    }
    const delay = whole('delayMinutes', 100_000);
    if (delay !== undefined) existing.availableAt = ctx.state.clock.now() + delay * 60_000;
    return existing;
}

/** One page of a call record, as Graph answers `GET /communications/callRecords/{id}[/sessions|/participants_v2]`. */
export function callRecordPage(base: string, record: SimulatedCallRecord, part: 'record' | 'sessions' | 'participants', skip: number): Record<string, unknown> {
    const id = String(record.record.id);
    const root = `${base}/v1.0/communications/callRecords/${encodeURIComponent(id)}`;
    if (part === 'record') {
        const page = record.sessions.slice(0, SESSIONS_PAGE);
        return {
            '@odata.context': `${base}/v1.0/$metadata#communications/callRecords(sessions(segments()))/$entity`,
            ...record.record,
            sessions: page,
            ...(record.sessions.length > SESSIONS_PAGE ? { 'sessions@odata.nextLink': `${root}/sessions?$expand=segments&$skiptoken=${SESSIONS_PAGE}` } : {}),
        };
    }
    const [items, size, path] = part === 'sessions' ? [record.sessions, SESSIONS_PAGE, 'sessions?$expand=segments&'] : [record.participants, PARTICIPANTS_PAGE, 'participants_v2?'];
    const next = skip + size;
    return {
        '@odata.context': `${base}/v1.0/$metadata#communications/callRecords('${id}')/${part === 'sessions' ? 'sessions' : 'participants_v2'}`,
        value: items.slice(skip, next),
        ...(items.length > next ? { '@odata.nextLink': `${root}/${path}$skiptoken=${next}` } : {}),
    };
}

/** A roster join's `quality` option, checked. */
export function parseStreamQuality(value: unknown, where: string): StreamQuality | undefined {
    if (value === undefined) return undefined;
    if (!isObject(value)) throw new SimulatorInputError(`${where} must be an object of stream figures.`);
    const known = ['packetLossRate', 'jitterMs', 'roundTripMs', 'audioDegradation'];
    const unknown = Object.keys(value).filter((key) => !known.includes(key));
    if (unknown.length > 0) throw new SimulatorInputError(`${where} has unknown figure(s): ${unknown.join(', ')}. Known: ${known.join(', ')}.`);
    for (const [key, figure] of Object.entries(value)) {
        if (typeof figure !== 'number' || !Number.isFinite(figure) || figure < 0) throw new SimulatorInputError(`${where}.${key} must be a number from 0.`);
    }
    return value as StreamQuality;
}

function session(
    id: string,
    start: string,
    end: string,
    caller: { id: string; identity: Record<string, unknown> },
    callee: { id?: string; identity?: Record<string, unknown>; name?: string },
    quality: StreamQuality | undefined,
): Record<string, unknown> {
    const endpoint = (who: { identity?: Record<string, unknown>; name?: string }) =>
        who.identity === undefined
            ? { '@odata.type': '#microsoft.graph.callRecords.serviceEndpoint', name: who.name ?? 'service' }
            : { '@odata.type': '#microsoft.graph.callRecords.participantEndpoint', identity: who.identity, name: 'simulated-device' };
    const sent = { ...GOOD, ...quality };
    return {
        id,
        modalities: ['audio'],
        startDateTime: start,
        endDateTime: end,
        isTest: false,
        caller: endpoint(caller),
        callee: endpoint(callee),
        segments: [
            {
                id: `${id}-1`,
                startDateTime: start,
                endDateTime: end,
                caller: endpoint(caller),
                callee: endpoint(callee),
                media: [
                    {
                        label: 'main-audio',
                        streams: [stream(`${id}-up`, 'callerToCallee', sent), stream(`${id}-down`, 'calleeToCaller', GOOD)],
                    },
                ],
            },
        ],
    };
}

function stream(streamId: string, direction: string, figures: Required<StreamQuality>): Record<string, unknown> {
    return {
        streamId,
        streamDirection: direction,
        averagePacketLossRate: figures.packetLossRate,
        maxPacketLossRate: figures.packetLossRate * 2,
        averageJitter: seconds(figures.jitterMs),
        maxJitter: seconds(figures.jitterMs * 2),
        averageRoundTripTime: seconds(figures.roundTripMs),
        maxRoundTripTime: seconds(figures.roundTripMs * 1.5),
        averageAudioDegradation: figures.audioDegradation,
        averageRatioOfConcealedSamples: null,
        averageBandwidthEstimate: 1_000_000,
        wasMediaBypassed: false,
    };
}

/** An ISO 8601 duration as Graph writes them: `PT0.012S`. */
function seconds(ms: number): string {
    return `PT${Number((ms / 1000).toFixed(3))}S`;
}

function identityOf(resource: Record<string, unknown>): Record<string, unknown> {
    const info = isObject(resource.info) ? resource.info : {};
    return isObject(info.identity) ? info.identity : {};
}
