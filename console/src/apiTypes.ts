// The API's JSON as the console reads it: the app's own JSON types, plus the fields of the call lifecycle
// (SPEC.md "Call lifecycle") that a newer app sends. Every field but the ids and counts may be absent.

import type { ParticipantJson, ParticipantListJson } from '../../shared/participants/participantQueries';
import type { CallEventJson, CallSummaryJson } from '../../shared/query/callJson';

export type ParticipantView = ParticipantJson;

/** One participant's verdict in a summary's `participantQuality` (from Graph's call record). */
export interface ParticipantQualityView {
    id: string;
    kind?: string;
    name?: string;
    quality: 'good' | 'poor' | 'unknown';
    reason?: string;
    streams: number;
    poorStreams: number;
}
export type ParticipantListView = ParticipantListJson;

export type ClosedBy = 'graph' | 'reconciler' | 'keepAlive';

export interface CallSummaryView extends CallSummaryJson {
    closedBy?: ClosedBy;
    reconciledAt?: string;
    reconcileStatus?: number;
}

/** `reconciliation` events come with the reconciler; any other kind a newer app sends is shown as it is. */
type EventKindView = CallEventJson['kind'] | 'reconciliation';

export interface CallEventView extends Omit<CallEventJson, 'kind'> {
    kind: EventKindView | (string & {});
}

export interface CallListPageView {
    calls: CallSummaryView[];
    continuationToken?: string;
}

export interface HistoryPageView {
    callId: string;
    events: CallEventView[];
    continuationToken?: string;
}

/** A call is ended when Graph (or the reconciler) terminated it or Graph deleted it; active otherwise. */
export function isEnded(summary: Pick<CallSummaryView, 'callState' | 'deleted'>): boolean {
    return summary.callState === 'terminated' || summary.deleted === true;
}
