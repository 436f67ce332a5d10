// Text the command line prints for people: a call's summary as labelled lines, a history as an aligned
// timeline, a list of calls as a table. Pure functions of the call record's types.

import { requesterInWords } from '../shared/access/requester';
import type { ParticipantList } from '../shared/participants/participantQueries';
import type { CallEvent, CallSummary } from '../shared/record/callModel';
import { isCallEnded } from '../shared/record/callState';

const NONE = '-';

/**
 * @example
 * formatSummary(summary) // 'Call c1\n  state            terminated (deleted)\n  ...'
 */
export function formatSummary(summary: CallSummary): string {
    const lines: Array<[string, string | undefined]> = [
        ['state', summary.callState === undefined ? undefined : summary.callState + (summary.deleted ? ' (deleted)' : '')],
        ['termination', summary.terminationReason],
        ['result', resultOf(summary)],
        ['last change', summary.lastChangeType],
        ['graph etag', summary.graphEtag],
        ['events', `${summary.eventCount}${summary.duplicateCount > 0 ? ` (${summary.duplicateCount} redeliveries not stored again)` : ''}`],
        ['first event', summary.firstEventAt?.toISOString()],
        ['last event', summary.lastEventAt?.toISOString()],
        [
            'hang-up requested',
            summary.hangupRequestedAt === undefined
                ? undefined
                : `${summary.hangupRequestedAt.toISOString()}${summary.hangupStatus === undefined ? '' : ` (Graph answered ${summary.hangupStatus})`}`,
        ],
        ['closed by', summary.closedBy],
        [
            'reconciled',
            summary.reconciledAt === undefined
                ? undefined
                : `${summary.reconciledAt.toISOString()}${summary.reconcileStatus === undefined ? '' : ` (Graph answered ${summary.reconcileStatus})`}`,
        ],
        ['kept alive', keptAliveOf(summary)],
        ['participants', participantsOf(summary)],
        ['call record', callRecordOf(summary)],
        ['graph times', graphTimesOf(summary)],
        ['quality', summary.quality === undefined ? undefined : `${summary.quality}${summary.qualityReason === undefined ? '' : `: ${summary.qualityReason}`}`],
        ['worst stream', worstOf(summary)],
        ['chain id', summary.callChainId],
        ['tenant', summary.tenantId],
        ['relay', relayOf(summary)],
    ];
    const shown = lines.filter((line): line is [string, string] => line[1] !== undefined);
    const width = Math.max(...shown.map(([label]) => label.length));
    return `${[`Call ${summary.callId}`, ...shown.map(([label, value]) => `  ${label.padEnd(width)}  ${printable(value)}`)].join('\n')}\n`;
}

/** `delivered through 5, 2 pending, 1 failed`: the relay to the bot in one line, when it ever ran for the call. */
function relayOf(summary: CallSummary): string | undefined {
    if (summary.relayedThrough === undefined) return undefined;
    const failed = (summary.relayFailed ?? 0) > 0 ? `, ${summary.relayFailed} failed` : '';
    return `delivered through ${summary.relayedThrough}, ${summary.relayPending ?? 0} pending${failed}`;
}

/**
 * The relay of one call to the bot: where it stands (labelled lines), then one line per notification with its
 * delivery: the request it went in (its webhook-id), attempts, the bot's last status, when it was delivered or why not.
 *
 * @example
 * formatRelayStatus(summary, events) // 'Relay of call c1\n  delivered through  3\n  ...\n  SEQ  REQUEST  ...'
 */
export function formatRelayStatus(summary: CallSummary, events: readonly CallEvent[]): string {
    if (summary.relayedThrough === undefined) {
        return `Relay of call ${summary.callId}: nothing was relayed for this call (the relay was off while it was recorded, or it has no notification).\n`;
    }
    const pending = summary.relayPending ?? 0;
    const attempt =
        summary.relayBatchEnd === undefined
            ? undefined
            : `${summary.relayAttempts ?? 0} attempts of ${summary.relayedThrough + 1}-${summary.relayBatchEnd} so far${summary.relayNextAttemptAt === undefined ? '' : `, next at ${summary.relayNextAttemptAt.toISOString()}`}`;
    const lines: Array<[string, string | undefined]> = [
        ['delivered through', `${summary.relayedThrough} (of ${summary.eventCount} events)`],
        ['pending', String(pending)],
        ['failed', (summary.relayFailed ?? 0) > 0 ? `${summary.relayFailed} (dead-lettered; calls relay replay ${summary.callId} sends them again)` : '0'],
        ['attempting', attempt],
        [
            'last attempt',
            summary.relayLastAttemptAt === undefined
                ? undefined
                : `${summary.relayLastAttemptAt.toISOString()}, ${summary.relayLastStatus === 0 ? 'no answer' : `HTTP ${summary.relayLastStatus ?? '?'}`}${summary.relayLastError === undefined ? '' : `: ${summary.relayLastError}`}`,
        ],
        ['replayed', summary.relayReplayAt === undefined ? undefined : `${summary.relayReplayAt.toISOString()}, from ${summary.relayReplayFrom ?? 1}`],
    ];
    const shown = lines.filter((line): line is [string, string] => line[1] !== undefined);
    const width = Math.max(...shown.map(([label]) => label.length));
    const head = [`Relay of call ${summary.callId}`, ...shown.map(([label, value]) => `  ${label.padEnd(width)}  ${printable(value)}`)].join('\n');
    const notifications = events.filter((event) => event.kind === 'notification');
    if (notifications.length === 0) return `${head}\n`;
    const rows = notifications.map((event) => [
        String(event.sequence),
        event.relayBatch === undefined ? NONE : `${event.callId}/${event.relayBatch}`,
        deliveryOf(event, summary),
        event.relayAttempts === undefined ? NONE : String(event.relayAttempts),
        event.relayStatus === undefined ? NONE : event.relayStatus === 0 ? 'none' : String(event.relayStatus),
        event.relayedAt?.toISOString() ?? event.relayError ?? NONE,
    ]);
    return `${head}\n\n${table(['SEQ', 'WEBHOOK-ID', 'DELIVERY', 'ATTEMPTS', 'STATUS', 'DELIVERED (UTC) / LAST ERROR'], rows, [0, 3])}`;
}

function deliveryOf(event: CallEvent, summary: CallSummary): string {
    if (event.sequence > (summary.relayedThrough ?? 0)) return 'pending';
    return event.relayOutcome ?? 'not relayed';
}

/**
 * The roster: one line per participant, in the order they joined.
 *
 * @example
 * formatParticipants(list) // 'Call c1: 2 in the call now, 3 at most\nPARTICIPANT  KIND  ...'
 */
export function formatParticipants(list: ParticipantList): string {
    const heading = `Call ${list.callId}: ${participantsOf(list.summary) ?? 'no roster notification yet'}\n`;
    if (list.participants.length === 0) return heading;
    const rows = list.participants.map((participant) => [
        participant.displayName ?? participant.phoneNumber ?? participant.identityId ?? participant.key,
        participant.identityKind ?? NONE,
        participant.joinedAt.toISOString(),
        participant.leftAt?.toISOString() ?? NONE,
        [
            participant.inCall ? 'in call' : participant.leftAt === undefined ? 'to the end' : 'gone',
            participant.isMuted === true ? 'muted' : undefined,
            participant.isInLobby === true ? 'in lobby' : undefined,
        ]
            .filter((part) => part !== undefined)
            .join(', '),
        participant.leftReason ?? NONE,
    ]);
    return heading + table(['PARTICIPANT', 'KIND', 'JOINED (UTC)', 'LEFT (UTC)', 'NOW', 'LEFT BECAUSE'], rows, []);
}

function keptAliveOf(summary: CallSummary): string | undefined {
    if (summary.keptAliveAt === undefined && summary.keepAliveStatus === undefined) return undefined;
    const status = summary.keepAliveStatus === undefined || summary.keepAliveStatus === 200 ? '' : ` (the last one: Graph answered ${summary.keepAliveStatus})`;
    return `${summary.keptAliveAt?.toISOString() ?? 'never'}${status}`;
}

/**
 * Each participant's quality verdict from Graph's call record, poor first; empty when the call has none.
 *
 * @example
 * formatParticipantQuality(summary) // '\nQUALITY BY PARTICIPANT ...\npoor  Ada  user  audio from Ada lost 12% of packets (poor above 10%)\n'
 */
export function formatParticipantQuality(summary: CallSummary): string {
    const list = participantQualityOf(summary);
    if (list.length === 0) return '';
    const rows = list.map((entry) => [entry.quality, entry.name ?? entry.id, entry.kind ?? NONE, `${entry.poorStreams}/${entry.streams}`, entry.reason ?? NONE]);
    return `\nQuality by participant (Graph's call record, Call Quality Dashboard thresholds):\n${table(['QUALITY', 'PARTICIPANT', 'KIND', 'POOR STREAMS', 'WHY'], rows, [3])}`;
}

interface ParticipantQualityEntry {
    id: string;
    kind?: string;
    name?: string;
    quality: string;
    reason?: string;
    streams: number;
    poorStreams: number;
}

function participantQualityOf(summary: CallSummary): ParticipantQualityEntry[] {
    if (summary.participantQuality === undefined) return [];
    try {
        const parsed: unknown = JSON.parse(summary.participantQuality);
        return Array.isArray(parsed) ? (parsed.filter((entry) => typeof entry === 'object' && entry !== null && typeof entry.id === 'string') as ParticipantQualityEntry[]) : [];
    } catch {
        return [];
    }
}

function callRecordOf(summary: CallSummary): string | undefined {
    if (summary.callRecordStatus === undefined) return undefined;
    if (summary.callRecordStatus !== 'fetched') return `${summary.callRecordStatus}${summary.callRecordError === undefined ? '' : ` (${summary.callRecordError})`}`;
    const counts = `${summary.callRecordParticipantCount ?? 0} participants, ${summary.sessionCount ?? 0} sessions, ${summary.streamCount ?? 0} streams`;
    return `version ${summary.callRecordVersion ?? '?'}, ${summary.callType ?? 'unknown type'}, ${(summary.modalities ?? []).join(' + ') || 'no modality'}; ${counts}; ${summary.callRecordBlob ?? ''}`;
}

function graphTimesOf(summary: CallSummary): string | undefined {
    if (summary.graphStartedAt === undefined && summary.graphEndedAt === undefined) return undefined;
    const duration = summary.durationSeconds === undefined ? '' : ` (${summary.durationSeconds} s)`;
    return `${summary.graphStartedAt?.toISOString() ?? '?'} to ${summary.graphEndedAt?.toISOString() ?? '?'}${duration}`;
}

function worstOf(summary: CallSummary): string | undefined {
    const parts = [
        summary.worstPacketLossRate === undefined ? undefined : `packet loss ${(summary.worstPacketLossRate * 100).toFixed(1)}%`,
        summary.worstJitterMs === undefined ? undefined : `jitter ${Math.round(summary.worstJitterMs)} ms`,
        summary.worstRoundTripMs === undefined ? undefined : `round trip ${Math.round(summary.worstRoundTripMs)} ms`,
        summary.worstAudioDegradation === undefined ? undefined : `audio degradation ${summary.worstAudioDegradation.toFixed(2)} MOS`,
    ].filter((part) => part !== undefined);
    return parts.length === 0
        ? undefined
        : `${parts.join(', ')}${summary.poorStreamCount === undefined ? '' : `; ${summary.poorStreamCount} of ${summary.streamCount ?? '?'} streams poor`}`;
}

function participantsOf(summary: CallSummary): string | undefined {
    if (summary.participantCount === undefined) return undefined;
    const now = isCallEnded(summary) ? 'at the end' : 'in the call now';
    return `${summary.participantCount} ${now}, ${summary.maxParticipants ?? summary.participantCount} at most`;
}

/**
 * One line per event: sequence, receive time, kind, resource, change type, state, etag, reason or result.
 *
 * @example
 * formatTimeline(events) // '  SEQ  RECEIVED (UTC)  KIND  RESOURCE  CHANGE  STATE  ETAG  REASON / RESULT\n    1  2026-...'
 */
export function formatTimeline(events: readonly CallEvent[]): string {
    const rows = events.map((event) => [
        String(event.sequence),
        event.receivedAt.toISOString(),
        event.kind,
        resourceOf(event),
        event.changeType ?? NONE,
        event.callState ?? NONE,
        event.graphEtag ?? NONE,
        reasonOf(event),
    ]);
    return table(['SEQ', 'RECEIVED (UTC)', 'KIND', 'RESOURCE', 'CHANGE', 'STATE', 'ETAG', 'REASON / RESULT'], rows, [0]);
}

/**
 * @example
 * formatCallList(calls) // 'CALL ID  STATE  LAST EVENT (UTC)  EVENTS  REASON / RESULT\nc1  terminated  ...'
 */
export function formatCallList(calls: readonly CallSummary[]): string {
    // Listed newest first by start, so the start comes first.
    const rows = calls.map((call) => [
        call.callId,
        stateOf(call),
        call.firstEventAt?.toISOString() ?? NONE,
        call.lastEventAt?.toISOString() ?? NONE,
        String(call.eventCount),
        summaryReasonOf(call),
    ]);
    return table(['CALL ID', 'STATE', 'STARTED (UTC)', 'LAST EVENT (UTC)', 'EVENTS', 'REASON / RESULT'], rows, [4]);
}

/** Columns of `calls events`, fixed in advance: lines are printed one by one as events arrive. */
const CALL_ENDED_COLUMNS = [
    ['TIME (UTC)', 24],
    ['CALL ID', 36],
    ['STATE', 20],
    ['CLOSED BY', 10],
    ['REASON / RESULT', 0],
] as const;

/** The heading of `calls events`' lines. */
export function formatCallEndedHeading(): string {
    return fixedColumns(CALL_ENDED_COLUMNS.map(([heading]) => heading));
}

/**
 * One call-ended event: when the app saw the end, the call, how it ended and who closed it.
 *
 * @example
 * formatCallEnded('2026-12-01T09:00:01.123Z', summary) // '2026-12-01T09:00:01.123Z  c1  terminated (deleted)  graph  result 200/7000 ...\n'
 */
export function formatCallEnded(time: string, summary: CallSummary, note?: string): string {
    const given = summaryReasonOf(summary);
    // The reconciler closes a call without a result from Graph: what Graph answered it is the reason.
    const checked =
        summary.closedBy === 'reconciler' && summary.reconcileStatus !== undefined
            ? `reconciler: Graph answered ${summary.reconcileStatus}.`
            : summary.closedBy === 'keepAlive' && summary.keepAliveStatus !== undefined
              ? `keepAlive: Graph answered ${summary.keepAliveStatus}.`
              : given;
    const reason = (given === NONE ? checked : given) + (note === undefined ? '' : `  (${note})`);
    return fixedColumns([time, summary.callId, stateOf(summary), summary.closedBy ?? NONE, reason].map(printable));
}

function fixedColumns(cells: readonly string[]): string {
    return `${cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(CALL_ENDED_COLUMNS[column]?.[1] ?? 0))).join('  ')}\n`;
}

function stateOf(call: CallSummary): string {
    return (call.callState ?? NONE) + (call.deleted ? ' (deleted)' : '');
}

function summaryReasonOf(call: CallSummary): string {
    return [call.terminationReason, labelled('result', resultOf(call))].filter((part) => part !== undefined).join('; ') || NONE;
}

/** The part of the resource below the call: `call` itself, `participants`, `operations/{id}`. */
function resourceOf(event: CallEvent): string {
    if (event.resourceUrl === undefined) return NONE;
    const own = `/communications/calls/${event.callId}`;
    if (event.resourceUrl === own) return 'call';
    return event.resourceUrl.startsWith(`${own}/`) ? event.resourceUrl.slice(own.length + 1) : event.resourceUrl;
}

function reasonOf(event: CallEvent): string {
    // The ids are what an operator quotes to Microsoft.
    const ids = event.graphRequestId === undefined ? '' : ` request-id ${event.graphRequestId}`;
    if (event.kind === 'hangupRequest') {
        // A hang-up's message already says what Graph answered; then who asked, and why.
        return `${event.resultMessage ?? `Graph ${event.httpStatus ?? 'no answer'}`}${ids}${askedBy(event)}`;
    }
    if (event.kind === 'relayReplay') {
        // What was scheduled, then who asked, and why.
        return `${event.resultMessage ?? 'replay to the bot'}${askedBy(event)}`;
    }
    if (event.kind === 'reconciliation') {
        // Like a hang-up's line: who asked, what Graph answered, then what that meant.
        return `${event.checkedBy ?? 'reconciler'}: Graph answered ${event.httpStatus ?? '?'}.${event.resultMessage === undefined ? '' : ` ${event.resultMessage}`}${ids}`;
    }
    const parts = [event.terminationReason, labelled('result', resultOf(event)), event.rejectReason].filter((part) => part !== undefined);
    return parts.length === 0 ? NONE : parts.join('; ');
}

/** `by <who>` and the reason they gave, for requests someone made of the app; nothing for events without a requester. */
function askedBy(event: CallEvent): string {
    const who = requesterInWords(event);
    if (who === undefined) return '';
    return ` by ${who}${event.requestReason === undefined ? '' : `: "${event.requestReason}"`}`;
}

function resultOf(fields: Pick<CallSummary, 'resultCode' | 'resultSubcode' | 'resultMessage'>): string | undefined {
    if (fields.resultCode === undefined && fields.resultSubcode === undefined && fields.resultMessage === undefined) return undefined;
    const code = `${fields.resultCode ?? '?'}/${fields.resultSubcode ?? '?'}`;
    return fields.resultMessage === undefined ? code : `${code} ${fields.resultMessage}`;
}

function labelled(label: string, value: string | undefined): string | undefined {
    return value === undefined ? undefined : `${label} ${value}`;
}

/** Columns padded to their widest cell; `rightAligned` for numbers; the last column is never padded. */
function table(headings: string[], rows: string[][], rightAligned: number[]): string {
    const cells = rows.map((row) => row.map(printable));
    const widths = headings.map((heading, column) => Math.max(heading.length, ...cells.map((row) => row[column]?.length ?? 0)));
    const line = (row: string[]) =>
        row
            .map((cell, column) => {
                if (column === row.length - 1) return cell;
                const width = widths[column] ?? 0;
                return rightAligned.includes(column) ? cell.padStart(width) : cell.padEnd(width);
            })
            .join('  ');
    return `${[headings, ...cells].map(line).join('\n')}\n`;
}

/** Text from Graph is shown, never obeyed: control characters (newlines, terminal escapes) are spelled out. */
export function printable(text: string): string {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what this escapes
    return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
