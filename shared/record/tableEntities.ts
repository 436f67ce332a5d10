// The table layout (a public interface, see docs/table-layout.md): row keys, and the mapping between the
// call record's plain types and table entities both ways, derived from the field description in
// callFields.ts.

import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import { EVENT_FIELDS, SUMMARY_FIELDS, type FieldList, type FieldSpec } from './callFields';
import type { CallEvent, CallSummary, EventDelivery, NewCallEvent } from './callModel';

export const SUMMARY_ROW_KEY = 'state';
export const EVENT_ROW_PREFIX = 'event-';
/** Upper bound of the history rows: '.' is the character after '-', so the range holds exactly the `event-` rows. */
export const EVENT_ROW_END = 'event.';
/** Redelivery marker rows, `dedupe-` + a hex prefix of the dedupe key (see appendPlan.ts); never `event-`. */
export const DEDUPE_ROW_PREFIX = 'dedupe-';
/** A marker key (32 hex characters) followed by its receive time in ms, base 36 (8 characters until 2059). */
const MARKER_KEY_LENGTH = 32;
const SEQUENCE_DIGITS = 10;

export type Entity = TableEntity<Record<string, unknown>>;
export type StoredEntity = TableEntityResult<Record<string, unknown>>;
type Int = number | { type: 'Int64'; value: string };

/** `event-0000000042`: zero-padded, so a range scan of the partition returns the history in order. */
export function eventRowKey(sequence: number): string {
    return EVENT_ROW_PREFIX + String(sequence).padStart(SEQUENCE_DIGITS, '0');
}

export function markerRowKey(prefix: string): string {
    return DEDUPE_ROW_PREFIX + prefix;
}

export function summaryToEntity(summary: CallSummary): Entity {
    return { partitionKey: summary.callId, rowKey: SUMMARY_ROW_KEY, ...columnsOf(SUMMARY_FIELDS, summary) };
}

export function summaryFromEntity(entity: StoredEntity): CallSummary {
    return { callId: entity.partitionKey ?? '', ...(fieldsOf(SUMMARY_FIELDS, entity) as Omit<CallSummary, 'callId'>) };
}

export function eventToEntity(callId: string, sequence: number, event: NewCallEvent): Entity {
    return { partitionKey: callId, rowKey: eventRowKey(sequence), ...columnsOf(EVENT_FIELDS, { ...event, sequence }) };
}

/** Only the delivery fields of a history row, to merge into it (the row's other columns stay as they are). */
export function eventDeliveryToEntity(callId: string, sequence: number, delivery: EventDelivery): Entity {
    return { partitionKey: callId, rowKey: eventRowKey(sequence), ...columnsOf(EVENT_FIELDS, delivery) };
}

export function eventFromEntity(entity: StoredEntity): CallEvent {
    return { callId: entity.partitionKey ?? '', ...(fieldsOf(EVENT_FIELDS, entity) as Omit<CallEvent, 'callId'>) };
}

/** A marker row as stored: its keys with their receive times (ms), and when it split, if it did. */
export interface MarkerRowContent {
    entries: ReadonlyMap<string, number>;
    splitAt?: number;
}

/** `keys` = "<key><time>,<key><time>,..."; `splitAt` only on a row that split (see appendPlan.ts). */
export function markersToEntity(callId: string, prefix: string, row: MarkerRowContent): Entity {
    const keys = [...row.entries].map(([key, at]) => key + at.toString(36)).join(',');
    return { partitionKey: callId, rowKey: markerRowKey(prefix), keys, ...(row.splitAt === undefined ? {} : { splitAt: new Date(row.splitAt) }) };
}

export function markersFromEntity(entity: StoredEntity): MarkerRowContent {
    const entries = new Map<string, number>();
    for (const entry of typeof entity.keys === 'string' && entity.keys !== '' ? entity.keys.split(',') : []) {
        const at = parseInt(entry.slice(MARKER_KEY_LENGTH), 36);
        if (entry.length > MARKER_KEY_LENGTH && Number.isFinite(at)) entries.set(entry.slice(0, MARKER_KEY_LENGTH), at);
    }
    const splitAt = dateOf(entity.splitAt)?.getTime();
    return splitAt === undefined ? { entries } : { entries, splitAt };
}

/** The table columns of a model value: every known field, as its column type wants it. */
export function columnsOf(fields: FieldList, value: object): Record<string, unknown> {
    const columns: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) {
        const field = (value as Record<string, unknown>)[name];
        if (field !== undefined) columns[name] = toColumn(spec, field);
    }
    return columns;
}

/** The model fields of an entity; a column of the wrong type counts as missing. */
export function fieldsOf(fields: FieldList, entity: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(fields)) {
        const value = fromColumn(spec, entity[name]) ?? (spec.fallback instanceof Date ? new Date(spec.fallback) : spec.fallback);
        if (value !== undefined) values[name] = value;
    }
    return values;
}

function toColumn(spec: FieldSpec, value: unknown): unknown {
    switch (spec.column) {
        case 'int':
            return int(value as number);
        case 'double':
            return { type: 'Double', value: String(value) };
        case 'names':
            return (value as string[]).join(',');
        default:
            return value;
    }
}

function fromColumn(spec: FieldSpec, value: unknown): unknown {
    switch (spec.column) {
        case 'string':
            return typeof value === 'string' ? value : undefined;
        case 'int':
        case 'double':
            return numberOf(value);
        case 'boolean':
            return typeof value === 'boolean' ? value : undefined;
        case 'datetime':
            return dateOf(value);
        case 'names':
            return typeof value === 'string' && value !== '' ? value.split(',') : undefined;
    }
}

/** Int32 when it fits, Int64 otherwise, so no code Graph sends is refused by the table. */
function int(value: number): Int {
    return value >= -2147483648 && value <= 2147483647 ? value : { type: 'Int64', value: String(value) };
}

/** Table numbers come back as numbers (Int32, Double) or bigints (Int64); the model wants numbers. */
function numberOf(value: unknown): number | undefined {
    if (typeof value === 'number') return value;
    if (typeof value === 'bigint') return Number(value);
    if (typeof value === 'string' && /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$/.test(value)) return Number(value);
    return undefined;
}

/**
 * Columns as JSON text and back (staged participant rows, a call record's facts on its event): times as ISO 8601,
 * numbers the table would type (Int64, Double) as their digits, lists as the comma-separated text they are stored as.
 *
 * @example
 * decodeColumns(SUMMARY_FIELDS, encodeColumns(SUMMARY_FIELDS, { quality: 'poor' })) // { quality: 'poor', deleted: false, ... }
 */
export function encodeColumns(fields: FieldList, value: object): string {
    const columns = columnsOf(fields, value);
    return JSON.stringify(Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, isTyped(column) ? column.value : column])));
}

export function decodeColumns(fields: FieldList, text: string): Record<string, unknown> | undefined {
    try {
        const parsed: unknown = JSON.parse(text);
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? fieldsOf(fields, parsed as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

function isTyped(value: unknown): value is { type: string; value: string } {
    return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string' && typeof (value as { value?: unknown }).value === 'string';
}

function dateOf(value: unknown): Date | undefined {
    if (value instanceof Date) return value;
    if (typeof value === 'string') {
        const date = new Date(value);
        return Number.isNaN(date.getTime()) ? undefined : date;
    }
    return undefined;
}
