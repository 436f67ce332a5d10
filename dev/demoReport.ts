// How the demo prints a call: its summary and its timeline as the query API returns them. Typed by the API's
// JSON (the public contract), not by the app's internal model, because the demo is just another client.

import type { CallEventJson, CallSummaryJson } from '../shared/callJson';

/** `GET /api/calls/{callId}`, as the API defines it. */
export type CallSummaryView = CallSummaryJson;

/** One event of `GET /api/calls/{callId}/history`, as the API defines it. */
export type CallEventView = CallEventJson;

const NONE = '-';

/**
 * @example
 * formatCallSummary(summary) // '  state        terminated (deleted)\n  result       200/7000 The conversation has ended by bot.\n...'
 */
export function formatCallSummary(summary: CallSummaryView): string {
    const rows: Array<[string, string | undefined]> = [
        ['call id', summary.callId],
        ['state', summary.callState === undefined ? undefined : `${summary.callState}${summary.deleted ? ' (deleted)' : ''}`],
        ['termination', summary.terminationReason],
        ['result', resultOf(summary)],
        ['last change', summary.lastChangeType],
        ['events', `${summary.eventCount} stored, ${summary.duplicateCount} redeliveries recognised and not stored again`],
        ['hang-up', summary.hangupRequestedAt === undefined ? undefined : `requested ${summary.hangupRequestedAt}, Graph answered ${summary.hangupStatus ?? 'nothing'}`],
        ['first event', summary.firstEventAt],
        ['last event', summary.lastEventAt],
        ['tenant', summary.tenantId],
    ];
    const shown = rows.filter((row): row is [string, string] => row[1] !== undefined);
    const width = Math.max(...shown.map(([label]) => label.length));
    return shown.map(([label, value]) => `  ${label.padEnd(width)}  ${printable(value)}`).join('\n') + '\n';
}

/**
 * One line per event, in sequence order.
 *
 * @example
 * formatCallTimeline(events) // '  SEQ  RECEIVED (UTC)  KIND  CHANGE  STATE  DETAIL\n    1  2026-...  notification  updated  establishing  etag W/"1"'
 */
export function formatCallTimeline(events: readonly CallEventView[]): string {
    const headings = ['SEQ', 'RECEIVED (UTC)', 'KIND', 'CHANGE', 'STATE', 'DETAIL'];
    const rows = events.map((event) => [
        String(event.sequence),
        event.receivedAt,
        event.kind,
        event.changeType ?? NONE,
        event.callState ?? NONE,
        detailOf(event),
    ]);
    const cells = [headings, ...rows].map((row) => row.map(printable));
    const widths = headings.map((_, column) => Math.max(...cells.map((row) => row[column]?.length ?? 0)));
    return (
        cells
            .map((row) =>
                row
                    .map((cell, column) => (column === row.length - 1 ? cell : column === 0 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
                    .join('  '),
            )
            .map((line) => `  ${line}`.trimEnd())
            .join('\n') + '\n'
    );
}

function detailOf(event: CallEventView): string {
    if (event.kind === 'hangupRequest') {
        // The app writes its own account of Graph's answer into resultMessage.
        const answer = event.resultMessage ?? (event.httpStatus === undefined ? 'no answer' : `Graph answered ${event.httpStatus}`);
        return joined([`DELETE sent to Graph: ${answer}`, labelled('request-id', event.graphRequestId)]);
    }
    const parts = [
        event.terminationReason,
        labelled('result', resultOf(event)),
        labelled('etag', event.graphEtag),
        event.resourceUrl !== undefined && !/\/calls\/[^/]+$/.test(event.resourceUrl) ? event.resourceUrl : undefined,
        event.rejectReason,
    ];
    return joined(parts);
}

/** The defined parts, without their closing full stops, one after another. */
function joined(parts: Array<string | undefined>): string {
    const shown = parts.filter((part): part is string => part !== undefined).map((part) => part.replace(/\.$/, ''));
    return shown.length === 0 ? NONE : shown.join('; ');
}

function resultOf(fields: Pick<CallSummaryView, 'resultCode' | 'resultSubcode' | 'resultMessage'>): string | undefined {
    if (fields.resultCode === undefined && fields.resultSubcode === undefined && fields.resultMessage === undefined) return undefined;
    const code = `${fields.resultCode ?? '?'}/${fields.resultSubcode ?? '?'}`;
    return fields.resultMessage === undefined ? code : `${code} ${fields.resultMessage}`;
}

function labelled(label: string, value: string | undefined): string | undefined {
    return value === undefined ? undefined : `${label} ${value}`;
}

/** Text that came from Graph is shown, never obeyed: control characters are spelled out. */
function printable(text: string): string {
    return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
