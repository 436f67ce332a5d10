// How the demo prints a call: with the command line's printer (cli/timeline.ts), so a call reads the same in the
// demo as in `npm run calls`. The demo is just another client of the query API, so it reads the API's JSON (the
// public contract) and turns it back into the record's types for the printer.

import { formatSummary, formatTimeline } from '../../cli/timeline';
import { callEventFromJson, callSummaryFromJson, type CallEventJson, type CallSummaryJson } from '../../shared/query/callJson';

/**
 * A call as the demo shows it: `GET /api/calls/{callId}` printed as `npm run calls -- show` prints it, then the
 * events of `GET /api/calls/{callId}/history` as `npm run calls -- history` prints them, each under its request.
 *
 * @example
 * callReport('http://localhost:7071/api/calls/c1', summary, events)
 * // 'Summary: GET http://...\nCall c1\n  state  terminated (deleted)\n...\nTimeline: GET http://.../history\nSEQ  RECEIVED (UTC) ...'
 */
export function callReport(callUrl: string, summary: CallSummaryJson, events: readonly CallEventJson[]): string {
    const timeline = formatTimeline(events.map((event) => callEventFromJson(summary.callId, event)));
    return `Summary: GET ${callUrl}\n${formatSummary(callSummaryFromJson(summary))}\nTimeline: GET ${callUrl}/history\n${timeline}`;
}
