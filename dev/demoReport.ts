// How the demo prints a call: with the command line's printer (cli/timeline.ts), so a call reads the same in the
// demo as in `npm run calls`. The demo is just another client of the query API, so it reads the API's JSON (the
// public contract) and turns it back into the record's types for the printer.

import { formatSummary, formatTimeline } from '../cli/timeline';
import type { CallEventJson, CallSummaryJson } from '../shared/callJson';
import type { CallEvent, CallSummary } from '../shared/callModel';

/**
 * `GET /api/calls/{callId}`, printed as `npm run calls -- show` prints it.
 *
 * @example
 * formatCallSummary(summary) // 'Call c1\n  state        terminated (deleted)\n  result       200/7000 The conversation has ended by bot.\n...'
 */
export function formatCallSummary(summary: CallSummaryJson): string {
    return formatSummary(summaryOf(summary));
}

/**
 * The events of `GET /api/calls/{callId}/history`, printed as `npm run calls -- history` prints them.
 *
 * @example
 * formatCallTimeline(callId, events) // 'SEQ  RECEIVED (UTC)  KIND  RESOURCE  CHANGE  STATE  ETAG  REASON / RESULT\n  1  2026-...'
 */
export function formatCallTimeline(callId: string, events: readonly CallEventJson[]): string {
    return formatTimeline(events.map((event) => eventOf(callId, event)));
}

function summaryOf(json: CallSummaryJson): CallSummary {
    return {
        ...json,
        firstEventAt: dateOf(json.firstEventAt),
        lastEventAt: dateOf(json.lastEventAt),
        hangupRequestedAt: dateOf(json.hangupRequestedAt),
    };
}

function eventOf(callId: string, json: CallEventJson): CallEvent {
    const { resourceData, ...fields } = json;
    return {
        ...fields,
        callId,
        receivedAt: new Date(json.receivedAt),
        // The API answers the stored JSON parsed; the record keeps it as text.
        resourceData: resourceData === undefined || typeof resourceData === 'string' ? resourceData : JSON.stringify(resourceData),
    };
}

function dateOf(iso: string | undefined): Date | undefined {
    return iso === undefined ? undefined : new Date(iso);
}
