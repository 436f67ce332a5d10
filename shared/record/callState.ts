// The state rules: how each stored event changes a call's summary. Pure functions, no I/O.

import { CALL_RECORD_FIELDS, SUMMARY_FIELDS, type CallRecordFacts } from './callFields';
import { decodeColumns } from './tableEntities';
import { callResourceUrl, emptySummary, EVENT_KIND, isCallChainId, resourceKindOf, type CallEvent, type CallSummary, type NewCallEvent } from './callModel';

/** Graph's call states in their camelCase spelling, with their rank (SPEC.md, State rules). */
const STATE_RANK = {
    incoming: 0,
    establishing: 1,
    ringing: 1,
    established: 2,
    hold: 2,
    transferring: 2,
    transferAccepted: 2,
    redirecting: 2,
    terminating: 3,
    terminated: 4,
} as const satisfies Record<string, number>;

/** Rank of any state Graph may add in future: a live call in progress. */
const UNKNOWN_STATE_RANK = 2;
const TERMINATED = 'terminated';

const CANONICAL_STATE = new Map(Object.keys(STATE_RANK).map((state) => [state.toLowerCase(), state]));

/**
 * Graph's spelling of a state whatever case it arrived in; an unknown state keeps its letters with a
 * lower-case first one, as Graph spells enum members.
 *
 * @example
 * normalizeCallState('Terminated') // 'terminated'
 * normalizeCallState('TRANSFERACCEPTED') // 'transferAccepted'
 */
export function normalizeCallState(raw: string): string {
    const trimmed = raw.trim();
    return CANONICAL_STATE.get(trimmed.toLowerCase()) ?? trimmed.charAt(0).toLowerCase() + trimmed.slice(1);
}

export function stateRank(state: string): number {
    return (STATE_RANK as Record<string, number>)[state] ?? UNKNOWN_STATE_RANK;
}

export const KNOWN_CALL_STATES: readonly string[] = Object.keys(STATE_RANK);

/**
 * The summary after one more stored event. Notifications about the call itself move its state forward
 * (never back: a lower rank is ignored, equal or higher wins); sub-resources and other kinds only count.
 */
export function applyEvent(summary: CallSummary, event: NewCallEvent): CallSummary {
    return withTruncation(summary, event, nextSummary(summary, event));
}

/**
 * The summary a call's history gives: the state rules over every stored event, in sequence order. For a
 * summary row that is gone (deleted by hand); redeliveries are not in the history, so `duplicateCount`
 * starts again from 0.
 *
 * @example
 * summaryFromHistory('c1', events).eventCount // the highest sequence
 */
export function summaryFromHistory(callId: string, events: readonly CallEvent[]): CallSummary {
    let summary = emptySummary(callId);
    const prefix = callResourceUrl(callId);
    for (const event of events) {
        // Only the call's own notifications move its state; which ones those are follows from the stored path.
        const url = event.resourceUrl ?? '';
        const resourceKind = url === prefix ? 'call' : resourceKindOf(url.startsWith(`${prefix}/`) ? url.slice(prefix.length + 1) : url);
        summary = { ...applyEvent(summary, { ...event, resourceKind }), eventCount: Math.max(summary.eventCount + 1, event.sequence) };
    }
    return summary;
}

function nextSummary(summary: CallSummary, event: NewCallEvent): CallSummary {
    const next: CallSummary = {
        ...summary,
        eventCount: summary.eventCount + 1,
        firstEventAt: summary.firstEventAt ?? event.receivedAt,
        lastEventAt: later(summary.lastEventAt, event.receivedAt),
    };
    if (event.kind === EVENT_KIND.hangupRequest) {
        next.hangupRequestedAt = event.receivedAt;
        // An attempt that got no answer has no status: the previous attempt's must not stand beside it.
        next.hangupStatus = event.httpStatus;
        return withGraphChainId(next, event);
    }
    if (event.kind === EVENT_KIND.reconciliation) {
        return withReconciliation(next, event);
    }
    if (event.kind === EVENT_KIND.callRecord) {
        return withCallRecord(next, event);
    }
    if (event.kind !== EVENT_KIND.notification) {
        return next;
    }
    if (event.tenantId !== undefined) next.tenantId = event.tenantId;
    // The chain id Graph puts in the call's own resource wins; the correlation header is the fallback.
    const chainId = event.callChainId ?? (summary.callChainId === undefined ? event.chainId : undefined);
    if (isCallChainId(chainId)) next.callChainId = chainId;
    if (event.resourceKind !== 'call') {
        return next;
    }
    if (event.changeType !== undefined) next.lastChangeType = event.changeType;

    const regresses = event.callState !== undefined && summary.callState !== undefined && stateRank(event.callState) < stateRank(summary.callState);
    if (!regresses) {
        if (event.callState !== undefined) {
            next.callState = event.callState;
            next.graphEtag = event.graphEtag;
        }
        // Why a call ended travels with the state that ends it; a late, lower state must not overwrite it.
        if (event.terminationReason !== undefined) next.terminationReason = event.terminationReason;
        if (event.resultCode !== undefined || event.resultSubcode !== undefined || event.resultMessage !== undefined) {
            next.resultCode = event.resultCode;
            next.resultSubcode = event.resultSubcode;
            next.resultMessage = event.resultMessage;
        }
    }
    if (event.changeType === 'deleted') {
        next.deleted = true;
        if (next.callState === undefined || stateRank(next.callState) < stateRank(TERMINATED)) {
            next.callState = TERMINATED;
            next.graphEtag = event.graphEtag;
        }
    }
    if (!isCallEnded(summary) && isCallEnded(next)) next.closedBy = 'graph';
    return next;
}

/**
 * What a check with Graph (the reconciler's GET, or a keepAlive) does to a summary: it is recorded
 * (`reconciledAt` and `reconcileStatus`, or for a keepAlive `keepAliveStatus` and, when Graph answered 200,
 * `keptAliveAt`), and Graph's state goes through the same rank rule as a notification's. A call that this
 * ends (Graph no longer knows it) was closed by whoever asked.
 */
function withReconciliation(next: CallSummary, event: NewCallEvent): CallSummary {
    const checked = withCheck(next, event);
    if (isCallEnded(next) || event.callState === undefined) return checked;
    if (next.callState !== undefined && stateRank(event.callState) < stateRank(next.callState)) return checked;
    return { ...checked, callState: event.callState, ...(event.callState === TERMINATED ? { closedBy: event.checkedBy ?? 'reconciler' } : {}) };
}

/** The summary with a check recorded: by the reconciler or by keepAlive. */
function withCheck(summary: CallSummary, event: NewCallEvent): CallSummary {
    if (event.checkedBy === 'keepAlive') {
        return {
            ...summary,
            ...(event.httpStatus === 200 ? { keptAliveAt: event.receivedAt } : {}),
            ...(event.httpStatus === undefined ? {} : { keepAliveStatus: event.httpStatus }),
        };
    }
    return withGraphChainId({ ...summary, reconciledAt: event.receivedAt, ...(event.httpStatus === undefined ? {} : { reconcileStatus: event.httpStatus }) }, event);
}

/**
 * The `callChainId` of the call resource Graph answered the app with (the reconciler's GET, or the GET before a
 * hang-up), so a call whose notifications never carried one still has its call record asked for after the call.
 */
function withGraphChainId(summary: CallSummary, event: NewCallEvent): CallSummary {
    return isCallChainId(event.callChainId) ? { ...summary, callChainId: event.callChainId } : summary;
}

/**
 * Whether a reconciliation is worth a history event: only when it changes the call's state. Otherwise
 * only the summary records the check (a `reconciliation` event is a change, not a heartbeat).
 */
export function reconciliationChangesState(summary: CallSummary, event: NewCallEvent): boolean {
    return !isCallEnded(summary) && applyEvent(summary, event).callState !== summary.callState;
}

/**
 * What a `callRecord` event (callRecords/) does to a summary: a fetched record replaces every call record field,
 * but only with a higher version than the summary has (a lower one never replaces a higher); `pending`,
 * `notFound` and `forbidden` say where fetching stands, and never replace a fetched record.
 */
function withCallRecord(summary: CallSummary, event: NewCallEvent): CallSummary {
    const facts = callRecordFactsOf(event);
    if (facts === undefined) return summary;
    if (facts.callRecordStatus === 'fetched') {
        if (!isNewerRecord(summary, facts)) return summary;
        const cleared: Record<string, unknown> = { ...summary };
        for (const name of CALL_RECORD_FIELDS) delete cleared[name];
        return { ...(cleared as unknown as CallSummary), ...facts };
    }
    return summary.callRecordStatus === 'fetched' ? summary : { ...summary, ...facts };
}

/** Whether a `callRecord` event is worth a history event: a newer record, or the end of trying (notFound, forbidden). */
export function callRecordChangesSummary(summary: CallSummary, event: NewCallEvent): boolean {
    const facts = callRecordFactsOf(event);
    if (facts === undefined) return false;
    if (facts.callRecordStatus === 'fetched') return isNewerRecord(summary, facts);
    return (
        (facts.callRecordStatus === 'notFound' || facts.callRecordStatus === 'forbidden') &&
        summary.callRecordStatus !== 'fetched' &&
        summary.callRecordStatus !== facts.callRecordStatus
    );
}

/** The summary after a fetch that changed nothing worth an event (a 404 "not yet", an older version): recorded, not counted. */
export function recordCallRecordCheck(summary: CallSummary, event: NewCallEvent): CallSummary {
    return withCallRecord(summary, event);
}

function isNewerRecord(summary: CallSummary, facts: CallRecordFacts): boolean {
    return summary.callRecordStatus !== 'fetched' || summary.callRecordVersion === undefined || (facts.callRecordVersion ?? 0) > summary.callRecordVersion;
}

/** The call record fields a `callRecord` event carries, as JSON of their columns in its `resourceData`. */
function callRecordFactsOf(event: Pick<NewCallEvent, 'kind' | 'resourceData'>): CallRecordFacts | undefined {
    if (event.kind !== EVENT_KIND.callRecord || event.resourceData === undefined) return undefined;
    const decoded = decodeColumns(SUMMARY_FIELDS, event.resourceData);
    if (decoded === undefined) return undefined;
    return Object.fromEntries(CALL_RECORD_FIELDS.flatMap((name) => (decoded[name] === undefined ? [] : [[name, decoded[name]]]))) as CallRecordFacts;
}

/** The summary after a reconciliation that changed nothing: the check is recorded, no event is counted. */
export function recordReconciliation(summary: CallSummary, event: NewCallEvent): CallSummary {
    if (isCallEnded(summary)) return summary;
    return withCheck(summary, event);
}

/**
 * A summary value is cut when it equals the cut value of the event that brought it, or is the cut value
 * the summary already had: a cut value has exactly its field's limit, so equality tells them apart.
 */
function withTruncation(before: CallSummary, event: NewCallEvent, next: CallSummary): CallSummary {
    const candidates = new Set([...(before.truncatedFields ?? []), ...(event.truncatedFields ?? [])]);
    if (candidates.size === 0) return next;
    const field = (value: object, name: string) => (value as Record<string, unknown>)[name];
    const cut = [...candidates].filter(
        (name) =>
            field(next, name) !== undefined &&
            ((event.truncatedFields?.includes(name) === true && field(next, name) === field(event, name)) ||
                (before.truncatedFields?.includes(name) === true && field(next, name) === field(before, name))),
    );
    const { truncatedFields: _previous, ...rest } = next;
    return cut.length === 0 ? rest : { ...rest, truncatedFields: cut };
}

/** A call has ended once it is `terminated` or Graph deleted it (SPEC "Call lifecycle"); it never goes back. */
export function isCallEnded(summary: Pick<CallSummary, 'callState' | 'deleted'>): boolean {
    return summary.deleted || summary.callState === TERMINATED;
}

/** The summary after a redelivery was recognised and not stored again. */
export function countDuplicate(summary: CallSummary): CallSummary {
    return { ...summary, duplicateCount: summary.duplicateCount + 1 };
}

function later(a: Date | undefined, b: Date): Date {
    return a !== undefined && a.getTime() > b.getTime() ? a : b;
}
