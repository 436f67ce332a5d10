// How the demo prints a call: with the command line's printer (cli/timeline.ts), so a call reads the same in the
// demo as in `npm run calls`. The demo is just another client of the query API, so it reads the API's JSON (the
// public contract) and turns it back into the record's types for the printer.

import { formatSummary, formatTimeline } from '../cli/timeline';
import { callEventFromJson, callSummaryFromJson, type CallEventJson, type CallSummaryJson } from '../shared/callJson';

/**
 * `GET /api/calls/{callId}`, printed as `npm run calls -- show` prints it.
 *
 * @example
 * formatCallSummary(summary) // 'Call c1\n  state        terminated (deleted)\n  result       200/7000 The conversation has ended by bot.\n...'
 */
export function formatCallSummary(summary: CallSummaryJson): string {
    return formatSummary(callSummaryFromJson(summary));
}

/**
 * The events of `GET /api/calls/{callId}/history`, printed as `npm run calls -- history` prints them.
 *
 * @example
 * formatCallTimeline(callId, events) // 'SEQ  RECEIVED (UTC)  KIND  RESOURCE  CHANGE  STATE  ETAG  REASON / RESULT\n  1  2026-...'
 */
export function formatCallTimeline(callId: string, events: readonly CallEventJson[]): string {
    return formatTimeline(events.map((event) => callEventFromJson(callId, event)));
}

