// The table layout (a public interface, see README "Table layout"): row keys and the mapping between
// the call record's plain types and table entities, both ways.

import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import type { CallEvent, CallSummary, EventKind, NewCallEvent } from './callModel';
import { defined } from './defined';

export const SUMMARY_ROW_KEY = 'state';
export const EVENT_ROW_PREFIX = 'event-';
/** Redelivery marker rows, `dedupe-0` ... `dedupe-f`; never start with `event-`. */
export const DEDUPE_ROW_PREFIX = 'dedupe-';
/** A marker key (32 hex characters) followed by its receive time in ms, base 36 (8 characters until 2059). */
const MARKER_KEY_LENGTH = 32;
/** `resourceData` longer than this is cut (a table string property holds at most 32K UTF-16 units). */
export const RESOURCE_DATA_LIMIT = 30_000;
const SEQUENCE_DIGITS = 10;

type Entity = TableEntity<Record<string, unknown>>;
type Int = number | { type: 'Int64'; value: string };

/** `event-0000000042`: zero-padded, so a range scan of the partition returns the history in order. */
export function eventRowKey(sequence: number): string {
    return EVENT_ROW_PREFIX + String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

export function markerRowKey(bucket: string): string {
    return DEDUPE_ROW_PREFIX + bucket;
}

export function summaryToEntity(summary: CallSummary): Entity {
    return {
        partitionKey: summary.callId,
        rowKey: SUMMARY_ROW_KEY,
        deleted: summary.deleted,
        eventCount: summary.eventCount,
        duplicateCount: summary.duplicateCount,
        ...defined({
            callState: summary.callState,
            terminationReason: summary.terminationReason,
            resultCode: int(summary.resultCode),
            resultSubcode: int(summary.resultSubcode),
            resultMessage: summary.resultMessage,
            graphEtag: summary.graphEtag,
            lastChangeType: summary.lastChangeType,
            firstEventAt: summary.firstEventAt,
            lastEventAt: summary.lastEventAt,
            hangupRequestedAt: summary.hangupRequestedAt,
            hangupStatus: int(summary.hangupStatus),
            tenantId: summary.tenantId,
        }),
    };
}

export function summaryFromEntity(entity: TableEntityResult<Record<string, unknown>>): CallSummary {
    return {
        callId: entity.partitionKey ?? '',
        deleted: entity.deleted === true,
        eventCount: numberOf(entity.eventCount) ?? 0,
        duplicateCount: numberOf(entity.duplicateCount) ?? 0,
        ...defined({
            callState: stringOf(entity.callState),
            terminationReason: stringOf(entity.terminationReason),
            resultCode: numberOf(entity.resultCode),
            resultSubcode: numberOf(entity.resultSubcode),
            resultMessage: stringOf(entity.resultMessage),
            graphEtag: stringOf(entity.graphEtag),
            lastChangeType: stringOf(entity.lastChangeType),
            firstEventAt: dateOf(entity.firstEventAt),
            lastEventAt: dateOf(entity.lastEventAt),
            hangupRequestedAt: dateOf(entity.hangupRequestedAt),
            hangupStatus: numberOf(entity.hangupStatus),
            tenantId: stringOf(entity.tenantId),
        }),
    };
}

export function eventToEntity(callId: string, sequence: number, event: NewCallEvent): Entity {
    const resourceData = cut(event.resourceData);
    return {
        partitionKey: callId,
        rowKey: eventRowKey(sequence),
        sequence,
        kind: event.kind,
        receivedAt: event.receivedAt,
        ...defined({
            changeType: event.changeType,
            callState: event.callState,
            resourceUrl: event.resourceUrl,
            graphEtag: event.graphEtag,
            terminationReason: event.terminationReason,
            resultCode: int(event.resultCode),
            resultSubcode: int(event.resultSubcode),
            resultMessage: event.resultMessage,
            dedupeKey: event.dedupeKey,
            chainId: event.chainId,
            messageId: event.messageId,
            scenarioId: event.scenarioId,
            tenantId: event.tenantId,
            resourceData: resourceData?.text,
            resourceDataTruncated: resourceData?.truncated ? true : undefined,
            rejectReason: event.rejectReason,
            httpStatus: int(event.httpStatus),
            graphRequestId: event.graphRequestId,
            clientRequestId: event.clientRequestId,
        }),
    };
}

export function eventFromEntity(entity: TableEntityResult<Record<string, unknown>>): CallEvent {
    return {
        callId: entity.partitionKey ?? '',
        sequence: numberOf(entity.sequence) ?? 0,
        kind: (stringOf(entity.kind) ?? 'notification') as EventKind,
        receivedAt: dateOf(entity.receivedAt) ?? new Date(0),
        ...defined({
            changeType: stringOf(entity.changeType),
            callState: stringOf(entity.callState),
            resourceUrl: stringOf(entity.resourceUrl),
            graphEtag: stringOf(entity.graphEtag),
            terminationReason: stringOf(entity.terminationReason),
            resultCode: numberOf(entity.resultCode),
            resultSubcode: numberOf(entity.resultSubcode),
            resultMessage: stringOf(entity.resultMessage),
            dedupeKey: stringOf(entity.dedupeKey),
            chainId: stringOf(entity.chainId),
            messageId: stringOf(entity.messageId),
            scenarioId: stringOf(entity.scenarioId),
            tenantId: stringOf(entity.tenantId),
            resourceData: stringOf(entity.resourceData),
            resourceDataTruncated: entity.resourceDataTruncated === true ? true : undefined,
            rejectReason: stringOf(entity.rejectReason),
            httpStatus: numberOf(entity.httpStatus),
            graphRequestId: stringOf(entity.graphRequestId),
            clientRequestId: stringOf(entity.clientRequestId),
        }),
    };
}

/** A marker row: the recent notifications of one bucket, as `keys` = "<key><time>,<key><time>,...". */
export function markersToEntity(callId: string, bucket: string, entries: ReadonlyMap<string, number>): Entity {
    const keys = [...entries].map(([key, at]) => key + at.toString(36)).join(',');
    return { partitionKey: callId, rowKey: markerRowKey(bucket), keys };
}

export function markersFromEntity(entity: TableEntityResult<Record<string, unknown>>): Map<string, number> {
    const entries = new Map<string, number>();
    for (const entry of stringOf(entity.keys)?.split(',') ?? []) {
        const at = parseInt(entry.slice(MARKER_KEY_LENGTH), 36);
        if (entry.length > MARKER_KEY_LENGTH && Number.isFinite(at)) entries.set(entry.slice(0, MARKER_KEY_LENGTH), at);
    }
    return entries;
}

/** Int32 when it fits, Int64 otherwise, so no code Graph sends is refused by the table. */
function int(value: number | undefined): Int | undefined {
    if (value === undefined) return undefined;
    return value >= -2147483648 && value <= 2147483647 ? value : { type: 'Int64', value: String(value) };
}

function cut(text: string | undefined): { text: string; truncated: boolean } | undefined {
    if (text === undefined) return undefined;
    if (text.length <= RESOURCE_DATA_LIMIT) return { text, truncated: false };
    let end = RESOURCE_DATA_LIMIT;
    // Do not split a surrogate pair.
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    return { text: text.slice(0, end), truncated: true };
}

/** Table integers come back as numbers (Int32) or bigints (Int64); JSON wants numbers. */
export function numberOf(value: unknown): number | undefined {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
    return undefined;
}

function stringOf(value: unknown): string | undefined {
    return typeof value === 'string' ? value : undefined;
}

function dateOf(value: unknown): Date | undefined {
    if (value instanceof Date) return value;
    if (typeof value === 'string') {
        const date = new Date(value);
        return Number.isNaN(date.getTime()) ? undefined : date;
    }
    return undefined;
}
