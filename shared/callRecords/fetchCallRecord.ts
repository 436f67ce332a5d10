// One scheduled fetch of Graph's call record (SPEC "After the call"): `GET /communications/callRecords/{callChainId}
// ?$expand=sessions($expand=segments)` and its `participants_v2`, every `@odata.nextLink` followed (Graph pages
// sessions by 60 and participants by 130). What Graph answers decides what follows:
// - 200: the whole record goes to Blob Storage, the summary gets its facts and quality verdict through a
//   `callRecord` event (a lower version never replaces a higher one), and `recordAvailable` goes on the call-events
//   queue; one more fetch follows at the next step of the schedule, since Graph's record of a call can grow a newer
//   version as the rest of the call's reports come in (that refresh keeps a newer version and schedules nothing);
// - 404: not there yet (Graph needs 15 to 150 minutes): `pending`, and the next try on the schedule; after the last
//   one, `notFound`;
// - 401/403: `forbidden`, naming the permission (CallRecords.Read.All); no more tries;
// - 429: the same try again after Graph's Retry-After; anything else (5xx, no answer): the next try on the schedule.
// Every outcome is written through the CallStore, under the summary's ETag like every write of the call.

import { EVENT_KIND, type CallSummary, type NewCallEvent } from '../record/callModel';
import { SUMMARY_FIELDS, type CallRecordFacts } from '../record/callFields';
import type { AppendResult, CallStore } from '../record/callStore';
import { encodeColumns } from '../record/tableEntities';
import { maskPhoneNumber } from '../participants/rosterNotifications';
import type { GraphAnswer, GraphCallsClient, GraphJsonOutcome } from '../graph/graphCalls';
import { isObject } from '../isObject';
import type { ParticipantDetails } from '../settings/config';
import type { CallRecordBlobs } from './callRecordBlobs';
import { callRecordFacts, type GatheredCallRecord } from './callRecordFacts';
import { nextAttempt, type FetchMessage, type FetchSchedule } from './fetchSchedule';
import type { CallRecordFetchQueue } from './fetchQueue';
import { METRICS } from '../telemetry/catalogue';
import { record } from '../telemetry/telemetry';

export interface FetchDependencies {
    store: Pick<CallStore, 'appendCallEvents' | 'getCallSummary'>;
    graph: Pick<GraphCallsClient, 'getJson'>;
    blobs: Pick<CallRecordBlobs, 'put' | 'deleteOthers'>;
    queue: Pick<CallRecordFetchQueue, 'schedule'>;
    /** Where `recordAvailable` goes (the call-events queue); absent when call events are off. */
    events?: { publishRecordAvailable(summary: CallSummary): Promise<void> };
    schedule: FetchSchedule;
    details: ParticipantDetails;
    log: { log(...args: unknown[]): void; warn(...args: unknown[]): void; error(...args: unknown[]): void };
    now?: () => Date;
}

/** What one fetch did, for the log line. */
export type FetchOutcome =
    | { kind: 'fetched'; version: number; stored: boolean; blob: string; quality?: string }
    /** `cause`: Graph has none yet (404), throttled (429: the same try again), or failed (5xx, no answer). */
    | { kind: 'pending'; cause: 'not_yet' | 'throttled' | 'failed'; nextAttempt: number; nextAt: Date; reason: string }
    | { kind: 'notFound'; reason: string }
    | { kind: 'forbidden'; reason: string }
    | { kind: 'skipped'; reason: string };

/** Throttled by Graph without a Retry-After: try again after this long. */
const DEFAULT_RETRY_AFTER_SECONDS = 60;
/** A page size Graph documents for callRecords: 60 sessions or 130 participants a page, so no record needs more pages. */
const MAX_PAGES = 2000;

/**
 * @example
 * const outcome = await fetchCallRecord({ callId: 'c1', attempt: 1, endedAt }, deps); // { kind: 'fetched', version: 1, ... }
 */
export async function fetchCallRecord(message: FetchMessage, deps: FetchDependencies): Promise<FetchOutcome> {
    const outcome = await fetchOnce(message, deps);
    record(METRICS.callRecordFetches, { result: outcome.kind === 'pending' ? outcome.cause : FETCH_RESULTS[outcome.kind] });
    return outcome;
}

/** What the fetches metric says of each outcome (a pending one says its cause). */
const FETCH_RESULTS = { fetched: 'found', notFound: 'not_found', forbidden: 'forbidden', skipped: 'skipped' } as const;

async function fetchOnce(message: FetchMessage, deps: FetchDependencies): Promise<FetchOutcome> {
    const now = deps.now ?? (() => new Date());
    const summary = await deps.store.getCallSummary(message.callId);
    if (summary === undefined) return { kind: 'skipped', reason: 'the call is not in the record (purged?)' };
    if (summary.callRecordStatus === 'notFound' || summary.callRecordStatus === 'forbidden' || (summary.callRecordStatus === 'fetched' && message.refresh !== true)) {
        return { kind: 'skipped', reason: `its call record is ${summary.callRecordStatus} already` };
    }
    const attempts = (summary.callRecordAttempts ?? 0) + 1;
    const chainId = summary.callChainId;
    if (chainId === undefined) {
        const reason =
            'No callChainId is known for this call (no notification carried one, and Graph was not asked for it before the call ended), so its call record cannot be asked for.';
        await recordFacts(deps, message.callId, now(), { callRecordStatus: 'notFound', callRecordError: reason, callRecordAttempts: attempts }, undefined);
        return { kind: 'notFound', reason };
    }

    const gathered = await gather(deps.graph, chainId);
    if (gathered.kind === 'record') {
        const facts = callRecordFacts(gathered.record, deps.details);
        const version = facts.callRecordVersion ?? 0;
        const blob = await deps.blobs.put(message.callId, version, JSON.stringify(wholeRecord(gathered.record, deps.details)));
        const appended = await recordFacts(deps, message.callId, now(), { ...facts, callRecordBlob: blob, callRecordAttempts: attempts }, gathered.answer);
        const stored = appended.outcomes[0]?.outcome === 'stored';
        // Only the version the summary keeps stays: a newer one replaces the older, a late older one (another
        // instance fetched a newer one meanwhile) goes again.
        const after = await deps.store.getCallSummary(message.callId);
        await deps.blobs.deleteOthers(message.callId, after?.callRecordVersion ?? version);
        if (stored && after !== undefined) await deps.events?.publishRecordAvailable(after);
        const refresh = message.refresh === true ? undefined : nextAttempt(deps.schedule, message);
        if (refresh !== undefined) await deps.queue.schedule({ ...message, attempt: refresh.attempt, refresh: true }, refresh.at);
        return { kind: 'fetched', version, stored, blob, ...(facts.quality === undefined ? {} : { quality: facts.quality }) };
    }

    const answer = gathered.answer;
    const status = answer?.status;
    if (message.refresh === true) {
        // The record was fetched before: whatever this refresh met, the one kept stands.
        return { kind: 'skipped', reason: `the refresh found no newer record (${gathered.reason})` };
    }
    if (status === 401 || status === 403) {
        const reason =
            `Graph answered ${status}${answer?.errorCode ? ` ${answer.errorCode}` : ''} to GET callRecords/${chainId}${answer?.graphRequestId ? ` (request-id ${answer.graphRequestId})` : ''}: ` +
            "the app's token or its permissions were refused. Grant the app the Graph application permission CallRecords.Read.All, with admin consent.";
        deps.log.error(`CALL RECORDS REFUSED: ${reason}`);
        await recordFacts(deps, message.callId, now(), { callRecordStatus: 'forbidden', callRecordError: reason, callRecordAttempts: attempts }, answer);
        return { kind: 'forbidden', reason };
    }
    if (status === 429) {
        // Throttled: the same try again once Graph says so; it does not count against the schedule.
        const at = new Date(now().getTime() + (answer?.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS) * 1000);
        await deps.queue.schedule(message, at);
        return { kind: 'pending', cause: 'throttled', nextAttempt: message.attempt, nextAt: at, reason: 'Graph throttled the request (429)' };
    }
    const reason =
        status === 404
            ? `Graph has no call record ${chainId} yet (404).`
            : `${gathered.reason}${answer === undefined ? '' : ` (Graph answered ${answer.status}${answer.errorCode ? ` ${answer.errorCode}` : ''})`}.`;
    const next = nextAttempt(deps.schedule, message);
    if (next === undefined) {
        const given = `Graph had no call record ${chainId} within ${deps.schedule.giveUpHours} h of the call's end; the last try: ${reason}`;
        await recordFacts(deps, message.callId, now(), { callRecordStatus: 'notFound', callRecordError: given, callRecordAttempts: attempts }, answer);
        return { kind: 'notFound', reason: given };
    }
    await recordFacts(deps, message.callId, now(), { callRecordStatus: 'pending', callRecordError: reason, callRecordAttempts: attempts }, answer);
    await deps.queue.schedule({ ...message, attempt: next.attempt }, next.at);
    return { kind: 'pending', cause: status === 404 ? 'not_yet' : 'failed', nextAttempt: next.attempt, nextAt: next.at, reason };
}

/** Writes what a fetch found as a `callRecord` event (stored only when it changes the record: see callState.ts). */
function recordFacts(deps: FetchDependencies, callId: string, at: Date, facts: CallRecordFacts, answer: GraphAnswer | undefined): Promise<AppendResult> {
    const event: NewCallEvent = {
        kind: EVENT_KIND.callRecord,
        receivedAt: at,
        resourceData: encodeColumns(SUMMARY_FIELDS, { ...facts, callRecordCheckedAt: at }),
        resultMessage: describe(facts),
        ...(answer === undefined ? {} : { httpStatus: answer.status }),
        ...(answer?.graphRequestId === undefined ? {} : { graphRequestId: answer.graphRequestId }),
    };
    return deps.store.appendCallEvents(callId, [event]);
}

function describe(facts: CallRecordFacts): string {
    if (facts.callRecordStatus !== 'fetched') return facts.callRecordError ?? `Call record ${facts.callRecordStatus}.`;
    const verdict = facts.quality === undefined ? '' : `, quality ${facts.quality}${facts.qualityReason === undefined ? '' : `: ${facts.qualityReason}`}`;
    return `Graph's call record version ${facts.callRecordVersion ?? '?'}: ${facts.callRecordParticipantCount ?? 0} participants, ${facts.sessionCount ?? 0} sessions${verdict}.`;
}

type Gathered = { kind: 'record'; record: GatheredCallRecord; answer: GraphAnswer } | { kind: 'failed'; answer?: GraphAnswer; reason: string };

/** The record with every page of its sessions and of its participants, or Graph's answer where that failed. */
async function gather(graph: FetchDependencies['graph'], chainId: string): Promise<Gathered> {
    const id = encodeURIComponent(chainId);
    const first = await graph.getJson(`/communications/callRecords/${id}?$expand=sessions($expand=segments)`);
    if (!isAnswered(first) || first.answer.status !== 200 || !isObject(first.body)) return failure(first);
    const record = first.body;
    const sessions = await allPages(graph, record.sessions, record['sessions@odata.nextLink']);
    if (!Array.isArray(sessions)) return sessions;
    const participants = await allPages(graph, [], `/communications/callRecords/${id}/participants_v2`);
    if (!Array.isArray(participants)) return participants;
    return { kind: 'record', record: { record, sessions, participants }, answer: first.answer };
}

/** The items of a collection: the first page given, then every page its nextLink leads to. */
async function allPages(graph: FetchDependencies['graph'], firstItems: unknown, nextLink: unknown): Promise<Array<Record<string, unknown>> | Gathered> {
    const items = Array.isArray(firstItems) ? firstItems.filter(isObject) : [];
    let link = typeof nextLink === 'string' ? nextLink : undefined;
    for (let page = 0; link !== undefined; page++) {
        if (page >= MAX_PAGES) return { kind: 'failed', reason: `more than ${MAX_PAGES} pages` };
        const outcome = await graph.getJson(link);
        if (!isAnswered(outcome) || outcome.answer.status !== 200 || !isObject(outcome.body)) return failure(outcome);
        const body = outcome.body;
        if (Array.isArray(body.value)) items.push(...body.value.filter(isObject));
        link = typeof body['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined;
    }
    return items;
}

function isAnswered(outcome: GraphJsonOutcome): outcome is Extract<GraphJsonOutcome, { kind: 'answered' }> {
    return outcome.kind === 'answered';
}

function failure(outcome: GraphJsonOutcome): Gathered {
    if (outcome.kind === 'answered') {
        const reason = outcome.answer.status === 200 ? 'Graph answered 200 without a JSON object' : `Graph answered ${outcome.answer.status}`;
        return { kind: 'failed', answer: outcome.answer, reason };
    }
    return { kind: 'failed', reason: `Graph could not be reached: ${outcome.reason}`, ...(outcome.lastAnswer === undefined ? {} : { answer: outcome.lastAnswer }) };
}

/**
 * The record as it is kept: every session and participant in it, the paging links gone; with PARTICIPANT_DETAILS=ids,
 * without display names and user principal names, phone numbers masked.
 */
function wholeRecord(gathered: GatheredCallRecord, details: ParticipantDetails): Record<string, unknown> {
    const { 'sessions@odata.nextLink': _sessionsLink, 'participants_v2@odata.nextLink': _participantsLink, ...record } = gathered.record;
    const whole = { ...record, sessions: gathered.sessions, participants_v2: gathered.participants };
    return details === 'ids' ? (withoutPersonalDetails(whole) as Record<string, unknown>) : whole;
}

function withoutPersonalDetails(value: unknown, key = ''): unknown {
    if (Array.isArray(value)) return value.map((item) => withoutPersonalDetails(item));
    if (!isObject(value)) return value;
    const kept: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) {
        if (name === 'displayName' || name === 'userPrincipalName') continue;
        kept[name] = key === 'phone' && name === 'id' && typeof item === 'string' ? maskPhoneNumber(item) : withoutPersonalDetails(item, name);
    }
    return kept;
}
