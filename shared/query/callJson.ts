// The JSON the read API answers with (and the command line prints with --json): the camelCase fields of
// the table layout as callFields.ts describes them, times as ISO 8601, integers as numbers
// (tableEntities turns Int64 bigints into numbers on the way in), `resourceData` as the JSON it was.

import { EVENT_FIELDS, fieldsFromJson, fieldsJson, SUMMARY_FIELDS } from '../record/callFields';
import type { CallEvent, CallSummary } from '../record/callModel';
import type { CallListPage } from './callList';
import type { HistoryPage } from './callQueries';
import { defined } from '../defined';

/** The model's fields, with times as ISO 8601 strings. */
type WithIsoTimes<T> = { [K in keyof T]: Exclude<T[K], undefined> extends Date ? string : T[K] };

export type CallSummaryJson = WithIsoTimes<CallSummary>;

export type CallEventJson = Omit<WithIsoTimes<CallEvent>, 'callId' | 'resourceKind' | 'resourceData'> & {
    /** The stored JSON parsed back; the raw (cut) text when `resourceDataTruncated` and it no longer parses. */
    resourceData?: unknown;
};

export interface HistoryPageJson {
    callId: string;
    events: CallEventJson[];
    continuationToken?: string;
}

export interface CallListPageJson {
    calls: CallSummaryJson[];
    continuationToken?: string;
}

export function historyPageJson(page: HistoryPage): HistoryPageJson {
    return { callId: page.callId, events: page.events.map(callEventJson), ...defined({ continuationToken: page.continuationToken }) };
}

export function callListPageJson(page: CallListPage): CallListPageJson {
    return { calls: page.calls.map(callSummaryJson), ...defined({ continuationToken: page.continuationToken }) };
}

/**
 * @example
 * callSummaryJson(summary) // { callId: 'c1', callState: 'terminated', deleted: true, eventCount: 4, ..., lastEventAt: '2026-11-29T10:00:04.000Z' }
 */
export function callSummaryJson(summary: CallSummary): CallSummaryJson {
    return { callId: summary.callId, ...fieldsJson(SUMMARY_FIELDS, summary) } as CallSummaryJson;
}

/**
 * @example
 * callEventJson(event) // { sequence: 3, kind: 'notification', receivedAt: '2026-...Z', ..., resourceData: { state: 'terminated' } }
 */
export function callEventJson(event: CallEvent): CallEventJson {
    return fieldsJson(EVENT_FIELDS, event) as CallEventJson;
}

/**
 * The other way: a summary as the API answered it, back in the record's types (for clients of the API
 * that print with the command line's printer, such as the demo).
 */
export function callSummaryFromJson(json: CallSummaryJson): CallSummary {
    return { ...(json as object), ...fieldsFromJson(SUMMARY_FIELDS, json) } as unknown as CallSummary;
}

/** An event as the API answered it, back in the record's types; `resourceData` becomes text again. */
export function callEventFromJson(callId: string, json: CallEventJson): CallEvent {
    return { ...(json as object), callId, ...fieldsFromJson(EVENT_FIELDS, json) } as unknown as CallEvent;
}
