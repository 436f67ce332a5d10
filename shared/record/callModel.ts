// The call record's plain types: what a call's summary and history events hold, independent of storage.

import type { RequestAudit } from '../access/requester';

/** Kinds of history event. */
export const EVENT_KIND = {
    notification: 'notification',
    hangupRequest: 'hangupRequest',
    rejected: 'rejected',
    reconciliation: 'reconciliation',
    /** Graph's call record after the call: fetched (a new version), or given up on (notFound, forbidden). */
    callRecord: 'callRecord',
    /** Someone asked for a call's notifications to be delivered to the bot again: who, why, from where. */
    relayReplay: 'relayReplay',
} as const;
type EventKind = (typeof EVENT_KIND)[keyof typeof EVENT_KIND];

/** Who asks Graph about a call on a timer: the reconciler (`GET`) or keepAlive (`POST .../keepAlive`). */
export type GraphCheck = 'reconciler' | 'keepAlive';

/** The partition that keeps notifications no call can be found for. */
export const UNROUTED_PARTITION = '_unrouted';

/** What part of a call a notification is about; only `call` changes the call's state. */
export type CallResourceKind = 'call' | 'participants' | 'operation' | 'other';

/** Where every notification of a call is stored, whatever path Graph used (`resourceUrl` of an event). */
export function callResourceUrl(callId: string): string {
    return `/communications/calls/${callId}`;
}

/**
 * What a path below a call is about.
 *
 * @example
 * resourceKindOf('') // 'call'
 * resourceKindOf('operations/op-1') // 'operation'
 */
export function resourceKindOf(subPath: string): CallResourceKind {
    if (subPath === '') return 'call';
    const first = subPath.split('/')[0]?.toLowerCase();
    if (first === 'participants') return 'participants';
    if (first === 'operations') return 'operation';
    return 'other';
}

/**
 * One history event before it has a sequence number. A request someone made of the app (a hang-up) carries who
 * asked and why (`requestedByKind`, `requestedById`, `requestedByName`, `requestReason`).
 */
export interface NewCallEvent extends Partial<RequestAudit> {
    kind: EventKind;
    receivedAt: Date;
    changeType?: string;
    callState?: string;
    resourceUrl?: string;
    resourceKind?: CallResourceKind;
    graphEtag?: string;
    terminationReason?: string;
    resultCode?: number;
    resultSubcode?: number;
    resultMessage?: string;
    /**
     * Graph's `callChainId` for the call: `resourceData.callChainId` of a notification, or of the call resource Graph
     * answered a GET with (the reconciler's, or the one before a hang-up). Not stored on the event: the summary keeps it.
     */
    callChainId?: string;
    /** SHA-256 of the canonical notification; events without one are never treated as redeliveries. */
    dedupeKey?: string;
    chainId?: string;
    messageId?: string;
    scenarioId?: string;
    tenantId?: string;
    /** Raw JSON of the notification's `resourceData` (or of the whole notification for a rejected one). */
    resourceData?: string;
    /**
     * The rest of the notification as Graph sent it, raw JSON with `resourceData` set to null where it was (the
     * column above holds it): what the relay rebuilds the notification from, keys and values as received.
     */
    notification?: string;
    /** Why a notification could not be attributed to a call (`rejected` events only). */
    rejectReason?: string;
    /** `reconciliation` events: who asked Graph, the reconciler (GET) or keepAlive (POST keepAlive). */
    checkedBy?: GraphCheck;
    /** `hangupRequest` and `reconciliation` events. */
    httpStatus?: number;
    graphRequestId?: string;
    clientRequestId?: string;
    /** `resourceData` was cut to fit the table (also named in `truncatedFields`). */
    resourceDataTruncated?: boolean;
    /** The fields whose values were cut to fit the table (see callFields.ts for each field's limit). */
    truncatedFields?: string[];
}

/** A stored history event. */
export interface CallEvent extends NewCallEvent, EventDelivery {
    callId: string;
    sequence: number;
}

/** How the relay delivered a notification to the bot (shared/relay), on its history row. */
export interface EventDelivery {
    /** The sequence of the first notification of the request it went in: the request's `webhook-id` is `{callId}/{relayBatch}`. */
    relayBatch?: number;
    /** Attempts of that request so far. */
    relayAttempts?: number;
    /** The bot's status on the last attempt; 0 when no answer came. */
    relayStatus?: number;
    /** When the bot accepted it (2xx). */
    relayedAt?: Date;
    /** `delivered`, or `failed` once dead-lettered; unset while pending. */
    relayOutcome?: string;
    /** The last failure, with a short excerpt of the bot's answer. */
    relayError?: string;
}

/** What the relay keeps on a call's summary row (shared/relay). */
interface CallRelayState {
    /** Every event up to this sequence is delivered, dead-lettered, or not a notification (not relayed). */
    relayedThrough?: number;
    /** Notifications stored and not yet delivered or dead-lettered. */
    relayPending?: number;
    /** Notifications dead-lettered and not delivered since (by a replay). */
    relayFailed?: number;
    /** The request being attempted holds the notifications after `relayedThrough` up to this sequence; unset until it is fixed. */
    relayBatchEnd?: number;
    /** Attempts of that request so far. */
    relayAttempts?: number;
    /** When its next attempt is due. */
    relayNextAttemptAt?: Date;
    relayLastAttemptAt?: Date;
    /** The bot's status on the last attempt; 0 when no answer came. */
    relayLastStatus?: number;
    relayLastError?: string;
    /** Who carries this call's relay on: a token held by one callback or by one retry message (see shared/relay). */
    relayOwner?: string;
    /** The last replay asked for, and the sequence it was asked from. */
    relayReplayAt?: Date;
    relayReplayFrom?: number;
}

/** The summary row of a call. */
export interface CallSummary extends CallRelayState {
    callId: string;
    callState?: string;
    terminationReason?: string;
    resultCode?: number;
    resultSubcode?: number;
    resultMessage?: string;
    graphEtag?: string;
    lastChangeType?: string;
    deleted: boolean;
    eventCount: number;
    duplicateCount: number;
    firstEventAt?: Date;
    lastEventAt?: Date;
    hangupRequestedAt?: Date;
    hangupStatus?: number;
    tenantId?: string;
    /** The fields whose values are cut: they came cut from the event that set them. */
    truncatedFields?: string[];
    /** Who ended the call: Graph's notification, or the reconciler or keepAlive when Graph no longer knew the call. */
    closedBy?: 'graph' | GraphCheck;
    /** The reconciler's last check with Graph, and Graph's status then. */
    reconciledAt?: Date;
    reconcileStatus?: number;
    /** The last keepAlive Graph answered 200 to (keptAliveAt), and Graph's status to the last one sent. */
    keptAliveAt?: Date;
    keepAliveStatus?: number;
    /** Graph's `callChainId`: the id of the call's record in Graph after the call. */
    callChainId?: string;
    /** In the call now as Graph last listed them (the bot included), and the most there ever were (participants/). */
    participantCount?: number;
    maxParticipants?: number;
    /** When the newest full roster arrived: a full roster that arrived before it is stale. */
    rosterUpdatedAt?: Date;
    /** Graph's call record after the call (callRecords/): where fetching it stands. */
    callRecordStatus?: CallRecordStatus;
    callRecordId?: string;
    callRecordVersion?: number;
    /** The last fetch, how many were made, and why the record is not (yet) there. */
    callRecordCheckedAt?: Date;
    callRecordAttempts?: number;
    callRecordError?: string;
    /** Where the whole record's JSON is: `<container>/<callId>/<version>.json`. */
    callRecordBlob?: string;
    /** From the record: `peerToPeer`, `groupCall`, ...; `audio`, `video`, ...; Graph's start and end, and the time between. */
    callType?: string;
    modalities?: string[];
    graphStartedAt?: Date;
    graphEndedAt?: Date;
    durationSeconds?: number;
    organizerId?: string;
    organizerName?: string;
    callRecordParticipantCount?: number;
    sessionCount?: number;
    streamCount?: number;
    poorStreamCount?: number;
    /** The quality verdict by Microsoft's Call Quality Dashboard thresholds, and why (the worst stream). */
    quality?: 'good' | 'poor' | 'unknown';
    qualityReason?: string;
    /** The worst of any stream's averages: packet loss (0-1), jitter and round trip (ms), audio degradation (MOS). */
    worstPacketLossRate?: number;
    worstJitterMs?: number;
    worstRoundTripMs?: number;
    worstAudioDegradation?: number;
    /** JSON: each participant's verdict (poor first), as the API shows it. */
    participantQuality?: string;
}

/** Where fetching Graph's call record stands. */
type CallRecordStatus = 'pending' | 'fetched' | 'notFound' | 'forbidden';

/** Graph's call chain ids are GUIDs; anything else cannot name a call record, and is not kept on the summary. */
export function isCallChainId(value: unknown): value is string {
    return typeof value === 'string' && /^[A-Za-z0-9-]{1,128}$/.test(value);
}

/** The summary of a call nothing has been stored for yet. */
export function emptySummary(callId: string): CallSummary {
    return { callId, deleted: false, eventCount: 0, duplicateCount: 0 };
}
