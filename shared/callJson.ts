// The JSON the read API answers with (and the command line prints with --json): the camelCase fields of
// the table layout, times as ISO 8601, integers as numbers (tableEntities turns Int64 bigints into
// numbers on the way in), `resourceData` as the JSON it was.

import type { CallEvent, CallSummary } from './callModel';
import type { CallListPage, HistoryPage } from './callQueries';
import { defined } from './defined';

/** The model's fields, with times as ISO 8601 strings. */
type WithIsoTimes<T> = { [K in keyof T]: Exclude<T[K], undefined> extends Date ? string : T[K] };

export type CallSummaryJson = WithIsoTimes<CallSummary>;

export type CallEventJson = Omit<WithIsoTimes<CallEvent>, 'callId' | 'resourceKind' | 'resourceData' | 'resourceDataTruncated'> & {
    /** The stored JSON parsed back; the raw (cut) text when `resourceDataTruncated` and it no longer parses. */
    resourceData?: unknown;
    resourceDataTruncated?: true;
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
    return {
        callId: summary.callId,
        ...defined({
            callState: summary.callState,
            terminationReason: summary.terminationReason,
            resultCode: summary.resultCode,
            resultSubcode: summary.resultSubcode,
            resultMessage: summary.resultMessage,
            graphEtag: summary.graphEtag,
            lastChangeType: summary.lastChangeType,
        }),
        deleted: summary.deleted,
        eventCount: summary.eventCount,
        duplicateCount: summary.duplicateCount,
        ...defined({
            firstEventAt: iso(summary.firstEventAt),
            lastEventAt: iso(summary.lastEventAt),
            hangupRequestedAt: iso(summary.hangupRequestedAt),
            hangupStatus: summary.hangupStatus,
            tenantId: summary.tenantId,
        }),
    };
}

/**
 * @example
 * callEventJson(event) // { sequence: 3, kind: 'notification', receivedAt: '2026-...Z', ..., resourceData: { state: 'terminated' } }
 */
export function callEventJson(event: CallEvent): CallEventJson {
    return {
        sequence: event.sequence,
        kind: event.kind,
        receivedAt: iso(event.receivedAt) ?? '',
        ...defined({
            changeType: event.changeType,
            callState: event.callState,
            resourceUrl: event.resourceUrl,
            graphEtag: event.graphEtag,
            terminationReason: event.terminationReason,
            resultCode: event.resultCode,
            resultSubcode: event.resultSubcode,
            resultMessage: event.resultMessage,
            dedupeKey: event.dedupeKey,
            chainId: event.chainId,
            messageId: event.messageId,
            scenarioId: event.scenarioId,
            tenantId: event.tenantId,
        }),
        ...resourceDataJson(event.resourceData, event.resourceDataTruncated === true),
        ...defined({
            rejectReason: event.rejectReason,
            httpStatus: event.httpStatus,
            graphRequestId: event.graphRequestId,
            clientRequestId: event.clientRequestId,
        }),
    };
}

/**
 * The stored text parsed back into JSON. A cut text rarely parses, so it is kept as it is, flagged; a text
 * that is not JSON although it was not cut (not written by this app) is kept as it is too.
 */
function resourceDataJson(text: string | undefined, truncated: boolean): Pick<CallEventJson, 'resourceData' | 'resourceDataTruncated'> {
    if (text === undefined) return truncated ? { resourceDataTruncated: true } : {};
    let resourceData: unknown = text;
    try {
        resourceData = JSON.parse(text) as unknown;
    } catch {
        // keep the raw text
    }
    return truncated ? { resourceData, resourceDataTruncated: true } : { resourceData };
}

function iso(date: Date | undefined): string | undefined {
    return date === undefined || Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
