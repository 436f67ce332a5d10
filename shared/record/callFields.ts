// The one description of what a call's summary row and history rows hold: for every field, the column
// type it has in the table, the longest string the table is given, and how the JSON answers show it.
// The entity mapping both ways (tableEntities.ts), the JSON (callJson.ts) and the cutting of oversized
// values (valueLimits.ts) are derived from it; the compiler checks it against the types in callModel.ts,
// so a field added there and not here (or here with another type) does not build.

import type { CallEvent, CallSummary } from './callModel';

type Column = 'string' | 'int' | 'double' | 'boolean' | 'datetime' | 'names';

export interface FieldSpec {
    column: Column;
    /**
     * Strings (and `names`, stored comma-separated): the most UTF-16 units stored; a longer value is cut to
     * it and the field is named in `truncatedFields`. A string property holds 32K units and an entity 1 MiB,
     * so the limits of one row together stay far below both (see valueLimits.test.ts).
     */
    limit?: number;
    /** `value`: as stored (times as ISO 8601, integers as numbers); `parsed`: the stored JSON text parsed back. */
    json: 'value' | 'parsed';
    /** The value of a required field when its column is missing (a row not written by this app). */
    fallback?: unknown;
    /** A boolean field set beside `truncatedFields` when this one is cut (the documented `resourceDataTruncated`). */
    truncatedFlag?: string;
}

/** Names, ids, states, etags: nothing Graph sends for these comes near it. */
export const SHORT_TEXT = 1_024;
/** Paths below a call (`/operations/{id}`). */
const PATH_TEXT = 4_096;
/** Free text that can matter in an incident: Graph's `resultInfo.message`, the raw `resourceData`. */
export const LONG_TEXT = 30_000;

type ColumnFor<V> = V extends number
    ? 'int' | 'double'
    : V extends boolean
      ? 'boolean'
      : V extends Date
        ? 'datetime'
        : V extends readonly string[]
          ? 'names'
          : V extends string
            ? 'string'
            : never;

/** One spec per field of T, whose column fits the field's type; required fields say what a missing column means. */
export type Description<T> = {
    [K in keyof T]-?: FieldSpec & { column: ColumnFor<NonNullable<T[K]>> } & (undefined extends T[K] ? { fallback?: undefined } : { fallback: T[K] });
};

export const text = (limit: number) => ({ column: 'string', limit, json: 'value' }) as const;
export const int = { column: 'int', json: 'value' } as const;
const double = { column: 'double', json: 'value' } as const;
export const bool = { column: 'boolean', json: 'value' } as const;
export const time = { column: 'datetime', json: 'value' } as const;
const names = { column: 'names', limit: SHORT_TEXT, json: 'value' } as const;

/** The summary row (`RowKey` `state`); `callId` is its `PartitionKey`. In the order the JSON shows them. */
export const SUMMARY_FIELDS = {
    callState: text(SHORT_TEXT),
    terminationReason: text(SHORT_TEXT),
    resultCode: int,
    resultSubcode: int,
    resultMessage: text(LONG_TEXT),
    graphEtag: text(SHORT_TEXT),
    lastChangeType: text(SHORT_TEXT),
    deleted: { column: 'boolean', json: 'value', fallback: false },
    eventCount: { ...int, fallback: 0 },
    duplicateCount: { ...int, fallback: 0 },
    firstEventAt: time,
    lastEventAt: time,
    hangupRequestedAt: time,
    hangupStatus: int,
    tenantId: text(SHORT_TEXT),
    closedBy: text(SHORT_TEXT),
    reconciledAt: time,
    reconcileStatus: int,
    keptAliveAt: time,
    keepAliveStatus: int,
    callChainId: text(SHORT_TEXT),
    participantCount: int,
    maxParticipants: int,
    rosterUpdatedAt: time,
    callRecordStatus: text(SHORT_TEXT),
    callRecordId: text(SHORT_TEXT),
    callRecordVersion: int,
    callRecordCheckedAt: time,
    callRecordAttempts: int,
    callRecordError: text(LONG_TEXT),
    callRecordBlob: text(SHORT_TEXT),
    callType: text(SHORT_TEXT),
    modalities: names,
    graphStartedAt: time,
    graphEndedAt: time,
    durationSeconds: double,
    organizerId: text(SHORT_TEXT),
    organizerName: text(SHORT_TEXT),
    callRecordParticipantCount: int,
    sessionCount: int,
    streamCount: int,
    poorStreamCount: int,
    quality: text(SHORT_TEXT),
    qualityReason: text(LONG_TEXT),
    worstPacketLossRate: double,
    worstJitterMs: double,
    worstRoundTripMs: double,
    worstAudioDegradation: double,
    participantQuality: { column: 'string', limit: LONG_TEXT, json: 'parsed' },
    relayedThrough: int,
    relayPending: int,
    relayFailed: int,
    relayBatchEnd: int,
    relayAttempts: int,
    relayNextAttemptAt: time,
    relayLastAttemptAt: time,
    relayLastStatus: int,
    relayLastError: text(SHORT_TEXT),
    relayOwner: text(SHORT_TEXT),
    relayReplayAt: time,
    relayReplayFrom: int,
    truncatedFields: names,
} as const satisfies Description<Omit<CallSummary, 'callId'>>;

/** The summary fields Graph's call record sets: a newer version of the record replaces all of them. */
export const CALL_RECORD_FIELDS = [
    'callRecordStatus',
    'callRecordId',
    'callRecordVersion',
    'callRecordCheckedAt',
    'callRecordAttempts',
    'callRecordError',
    'callRecordBlob',
    'callType',
    'modalities',
    'graphStartedAt',
    'graphEndedAt',
    'durationSeconds',
    'organizerId',
    'organizerName',
    'callRecordParticipantCount',
    'sessionCount',
    'streamCount',
    'poorStreamCount',
    'quality',
    'qualityReason',
    'worstPacketLossRate',
    'worstJitterMs',
    'worstRoundTripMs',
    'worstAudioDegradation',
    'participantQuality',
] as const satisfies ReadonlyArray<keyof CallSummary>;

/** What a `callRecord` event carries to the summary (in its `resourceData`, as JSON of these columns). */
export type CallRecordFacts = Partial<Pick<CallSummary, (typeof CALL_RECORD_FIELDS)[number]>>;

/**
 * A history row (`RowKey` `event-` + sequence); `callId` is its `PartitionKey`; `resourceKind` is not
 * stored (it follows from `resourceUrl`), nor `callChainId` (the summary keeps it; `chainId` is stored).
 * In the order the JSON shows them.
 */
export const EVENT_FIELDS = {
    sequence: { ...int, fallback: 0 },
    kind: { ...text(SHORT_TEXT), fallback: 'notification' },
    receivedAt: { ...time, fallback: new Date(0) },
    changeType: text(SHORT_TEXT),
    callState: text(SHORT_TEXT),
    resourceUrl: text(PATH_TEXT),
    graphEtag: text(SHORT_TEXT),
    terminationReason: text(SHORT_TEXT),
    resultCode: int,
    resultSubcode: int,
    resultMessage: text(LONG_TEXT),
    dedupeKey: text(SHORT_TEXT),
    chainId: text(SHORT_TEXT),
    messageId: text(SHORT_TEXT),
    scenarioId: text(SHORT_TEXT),
    tenantId: text(SHORT_TEXT),
    resourceData: { column: 'string', limit: LONG_TEXT, json: 'parsed', truncatedFlag: 'resourceDataTruncated' },
    resourceDataTruncated: { column: 'boolean', json: 'value' },
    notification: { column: 'string', limit: LONG_TEXT, json: 'parsed' },
    rejectReason: text(PATH_TEXT),
    checkedBy: text(SHORT_TEXT),
    httpStatus: int,
    graphRequestId: text(SHORT_TEXT),
    clientRequestId: text(SHORT_TEXT),
    relayBatch: int,
    relayAttempts: int,
    relayStatus: int,
    relayedAt: time,
    relayOutcome: text(SHORT_TEXT),
    relayError: text(SHORT_TEXT),
    requestedByKind: text(SHORT_TEXT),
    requestedById: text(SHORT_TEXT),
    requestedByName: text(SHORT_TEXT),
    requestReason: text(SHORT_TEXT),
    truncatedFields: names,
} as const satisfies Description<Omit<CallEvent, 'callId' | 'resourceKind' | 'callChainId'>>;

export type FieldList = Readonly<Record<string, FieldSpec>>;

/** Every known field of the value, in the description's order, as its `json` says. */
export function fieldsJson(fields: FieldList, value: object): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) {
        const field = (value as Record<string, unknown>)[name];
        if (field === undefined) continue;
        if (field instanceof Date) {
            const text = iso(field);
            if (text !== undefined) json[name] = text;
        } else {
            json[name] = spec.json === 'parsed' && typeof field === 'string' ? parsedOrRaw(field) : field;
        }
    }
    return json;
}

/** The reverse of fieldsJson for the fields whose JSON is not their value: times back to Dates, parsed JSON back to text. */
export function fieldsFromJson(fields: FieldList, json: object): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) {
        const field = (json as Record<string, unknown>)[name];
        if (field === undefined) continue;
        if (spec.column === 'datetime' && typeof field === 'string') values[name] = new Date(field);
        else if (spec.json === 'parsed' && typeof field !== 'string') values[name] = JSON.stringify(field);
    }
    return values;
}

/**
 * The stored text parsed back into JSON. A cut text rarely parses, so it is kept as it is (and flagged by
 * `resourceDataTruncated`); a text that is not JSON although it was not cut (not written by this app) is
 * kept as it is too.
 */
function parsedOrRaw(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

function iso(date: Date): string | undefined {
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
