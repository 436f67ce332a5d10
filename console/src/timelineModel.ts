// The timeline of one call as geometry, before anything is drawn: where each event's mark goes, which
// state the call was in between events (by the app's own state rules), where it ended, and which gaps to
// label. Pure, so the drawing (timelineSvg.ts) stays thin and this is tested without a browser.
//
// The horizontal axis is the order of events with spacing that grows with the time between them
// (logarithmically): a burst of notifications within milliseconds stays readable next to a 40-minute
// silence, and every gap of a second or more is labelled with its length.

import { emptySummary, EVENT_KIND, type CallSummary, type NewCallEvent } from '../../shared/record/callModel';
import { applyEvent, stateRank } from '../../shared/record/callState';
import type { CallEventView, ClosedBy } from './apiTypes';

type MarkShape = 'call' | 'roster' | 'subResource' | 'hangup' | 'reconciliation' | 'other';

export interface TimelineMark {
    sequence: number;
    kind: string;
    shape: MarkShape;
    x: number;
    at: number;
    /** Time since the previous event (0 for the first, and for one received earlier than the previous). */
    gapMs: number;
    /** Graph's HTTP status for hang-ups and reconciliations. */
    httpStatus?: number;
    /** Hang-ups and reconciliations: whether Graph's answer was a success (2xx; 404 when the reconciler closed a call). */
    ok?: boolean;
    /** The notification's own state, when it carried one. */
    callState?: string;
    /** Roster notifications: how many participants it first listed (joined) and first showed gone (left). */
    joined?: number;
    left?: number;
}

/** The call's recorded state from `x1` to `x2`. */
interface TimelineStep {
    state: string;
    lane: number;
    x1: number;
    x2: number;
}

export interface TimelineGap {
    x1: number;
    x2: number;
    ms: number;
}

export interface TimelineModel {
    width: number;
    /** States the call was in, lowest rank first: one lane each. */
    lanes: string[];
    steps: TimelineStep[];
    marks: TimelineMark[];
    /** Every gap between events (and, for an active call, from the last event to now). */
    gaps: TimelineGap[];
    /** Clock labels along the axis. */
    ticks: Array<{ x: number; at: number }>;
    /** The event after which the call was ended, and who ended it. */
    ended?: { x: number; at: number; sequence: number; by: ClosedBy };
    /** Active calls: the line runs on to "now" (x of now). */
    liveUntil?: { x: number; at: number };
}

export interface TimelineOptions {
    /** Epoch ms; the live tail of an active call runs to it. */
    now: number;
    /** Left margin. */
    startX?: number;
    /** Space between two events received at the same moment. */
    minStep?: number;
    /** The width available: a short call is stretched to fill it (a long one scrolls). */
    fitWidth?: number;
    /**
     * The call's participants: a join or leave is drawn at the notification received at that very moment (a
     * participant's joinedAt and leftAt are the receive times of the notifications that said so).
     */
    roster?: ReadonlyArray<{ joinedAt?: string; leftAt?: string }>;
}

/** A gap this long is always labelled when its label fits; a shorter one only when it has room to spare. */
const LABELLED_GAP_MS = 1000;
const LABEL_FITS_PX = 30;
const LABEL_ROOMY_PX = 56;
const GAP_SCALE_PX = 22;
const GAP_UNIT_MS = 100;
const TICK_SPACING_PX = 150;
const END_MARGIN_PX = 40;
/** How far the last state runs on after the event that ended the call. */
const ENDED_TAIL_PX = 30;

/**
 * @example
 * const model = timelineModel(events, { now: Date.now() });
 * model.marks.length === events.length // one mark per event
 */
export function timelineModel(events: readonly CallEventView[], options: TimelineOptions): TimelineModel {
    const startX = options.startX ?? 12;
    const minStep = options.minStep ?? 6;
    const marks: TimelineMark[] = [];
    const gaps: TimelineGap[] = [];
    const ticks: Array<{ x: number; at: number }> = [];
    const steps: TimelineStep[] = [];
    let summary: CallSummary = emptySummary('');
    let ended: TimelineModel['ended'];
    let x = startX;
    let previousAt: number | undefined;
    let lastTickX = -Infinity;
    let open: { state: string; x1: number } | undefined;
    const rosterAt = rosterTimes(options.roster ?? []);

    for (const event of events) {
        const at = Date.parse(event.receivedAt);
        const gapMs = previousAt === undefined || Number.isNaN(at) ? 0 : Math.max(0, at - previousAt);
        if (marks.length > 0) {
            const x1 = x;
            x += minStep + gapWidth(gapMs);
            if (gapMs > 0) gaps.push({ x1, x2: x, ms: gapMs });
        }
        if (!Number.isNaN(at)) previousAt = at;
        marks.push(withRoster(markOf(event, x, at, gapMs), rosterAt));
        if (x - lastTickX >= TICK_SPACING_PX && !Number.isNaN(at)) {
            ticks.push({ x, at });
            lastTickX = x;
        }

        summary = applyEvent(summary, asModelEvent(event, at));
        if (summary.callState !== undefined && summary.callState !== open?.state) {
            if (open !== undefined) steps.push({ state: open.state, lane: 0, x1: open.x1, x2: x });
            open = { state: summary.callState, x1: x };
        }
        if (ended === undefined && (summary.callState === 'terminated' || summary.deleted)) {
            ended = { x, at, sequence: event.sequence, by: event.kind === 'reconciliation' ? (event.checkedBy === 'keepAlive' ? 'keepAlive' : 'reconciler') : 'graph' };
        }
    }

    let liveUntil: TimelineModel['liveUntil'];
    let endX = x;
    if (ended === undefined && previousAt !== undefined && marks.length > 0) {
        endX = x + minStep + gapWidth(Math.max(0, options.now - previousAt));
        liveUntil = { x: endX, at: options.now };
        if (options.now > previousAt) gaps.push({ x1: x, x2: endX, ms: options.now - previousAt });
    }
    if (ended !== undefined) endX = x + ENDED_TAIL_PX;
    if (open !== undefined) steps.push({ state: open.state, lane: 0, x1: open.x1, x2: Math.max(endX, open.x1 + minStep) });

    const lanes = [...new Set(steps.map((step) => step.state))].sort((a, b) => stateRank(a) - stateRank(b) || a.localeCompare(b));
    for (const step of steps) step.lane = lanes.indexOf(step.state);
    const model: TimelineModel = {
        width: Math.max(endX, x) + END_MARGIN_PX,
        lanes,
        steps,
        marks,
        gaps,
        ticks,
        ...(ended === undefined ? {} : { ended }),
        ...(liveUntil === undefined ? {} : { liveUntil }),
    };
    return options.fitWidth !== undefined && model.width < options.fitWidth ? stretched(model, options.fitWidth, startX) : model;
}

/**
 * The same timeline spread over `width`: the events (and an active call's run to now) take the room, the
 * margins and the short line after the end keep their size.
 */
function stretched(model: TimelineModel, width: number, startX: number): TimelineModel {
    const spanEnd = Math.max(startX + 1, model.liveUntil?.x ?? 0, ...model.marks.map((mark) => mark.x));
    const fixedAfter = model.width - spanEnd;
    const factor = (width - fixedAfter - startX) / (spanEnd - startX);
    const at = (x: number) => (x <= spanEnd ? startX + (x - startX) * factor : x + (width - model.width));
    return {
        ...model,
        width,
        steps: model.steps.map((step) => ({ ...step, x1: at(step.x1), x2: at(step.x2) })),
        marks: model.marks.map((mark) => ({ ...mark, x: at(mark.x) })),
        gaps: model.gaps.map((gap) => ({ ...gap, x1: at(gap.x1), x2: at(gap.x2) })),
        ticks: model.ticks.map((tick) => ({ ...tick, x: at(tick.x) })),
        ...(model.ended === undefined ? {} : { ended: { ...model.ended, x: at(model.ended.x) } }),
        ...(model.liveUntil === undefined ? {} : { liveUntil: { ...model.liveUntil, x: at(model.liveUntil.x) } }),
    };
}

/** How many participants joined and left at each instant (epoch ms). */
function rosterTimes(roster: ReadonlyArray<{ joinedAt?: string; leftAt?: string }>): Map<number, { joined: number; left: number }> {
    const times = new Map<number, { joined: number; left: number }>();
    const count = (iso: string | undefined, what: 'joined' | 'left') => {
        const at = iso === undefined ? Number.NaN : Date.parse(iso);
        if (Number.isNaN(at)) return;
        const entry = times.get(at) ?? { joined: 0, left: 0 };
        entry[what] += 1;
        times.set(at, entry);
    };
    for (const participant of roster) {
        count(participant.joinedAt, 'joined');
        count(participant.leftAt, 'left');
    }
    return times;
}

/** A roster notification's mark with the joins and leaves it brought (each counted at one notification only). */
function withRoster(mark: TimelineMark, rosterAt: Map<number, { joined: number; left: number }>): TimelineMark {
    if (mark.shape !== 'roster') return mark;
    const changes = rosterAt.get(mark.at);
    if (changes === undefined) return mark;
    rosterAt.delete(mark.at);
    return { ...mark, ...(changes.joined > 0 ? { joined: changes.joined } : {}), ...(changes.left > 0 ? { left: changes.left } : {}) };
}

/** Whether a gap's length is written under it. */
export function isLabelled(gap: TimelineGap): boolean {
    const room = gap.x2 - gap.x1;
    return room >= LABEL_ROOMY_PX || (gap.ms >= LABELLED_GAP_MS && room >= LABEL_FITS_PX);
}

/** Horizontal space for a gap: 0 for none, ~22 px for 1 s, ~44 px for 10 s, ~100 px for an hour. */
export function gapWidth(ms: number): number {
    return ms <= 0 ? 0 : GAP_SCALE_PX * Math.log10(1 + ms / GAP_UNIT_MS);
}

/** Whether a resource URL names the call itself (not its participants or an operation). */
export function isCallResource(resourceUrl: string | undefined): boolean {
    return resourceUrl !== undefined && /\/calls\/[^/]+\/?$/i.test(resourceUrl);
}

/** Whether a resource URL names the call's participants (a roster notification). */
function isRosterResource(resourceUrl: string | undefined): boolean {
    return resourceUrl !== undefined && /\/calls\/[^/]+\/participants(?:\/|$)/i.test(resourceUrl);
}

function markOf(event: CallEventView, x: number, at: number, gapMs: number): TimelineMark {
    const base = { sequence: event.sequence, kind: event.kind, x, at, gapMs, ...(event.callState === undefined ? {} : { callState: event.callState }) };
    const status = event.httpStatus;
    switch (event.kind) {
        case EVENT_KIND.notification:
            return { ...base, shape: isCallResource(event.resourceUrl) ? 'call' : isRosterResource(event.resourceUrl) ? 'roster' : 'subResource' };
        case EVENT_KIND.hangupRequest:
            return { ...base, shape: 'hangup', ...(status === undefined ? { ok: false } : { httpStatus: status, ok: status >= 200 && status < 300 }) };
        case 'reconciliation':
            // The reconciler's 404 is a success: Graph confirmed that the call is gone, so it was closed.
            return { ...base, shape: 'reconciliation', ...(status === undefined ? {} : { httpStatus: status, ok: status === 404 || (status >= 200 && status < 300) }) };
        default:
            return { ...base, shape: 'other' };
    }
}

/**
 * The event as the state rules read it. A reconciliation moves the state "like a notification" on the
 * call itself (SPEC.md, Call lifecycle); kinds the rules do not know only count.
 */
function asModelEvent(event: CallEventView, at: number): NewCallEvent {
    const receivedAt = new Date(Number.isNaN(at) ? 0 : at);
    const common = {
        receivedAt,
        ...(event.callState === undefined ? {} : { callState: event.callState }),
        ...(event.changeType === undefined ? {} : { changeType: event.changeType }),
    };
    if (event.kind === 'reconciliation') return { ...common, kind: EVENT_KIND.notification, resourceKind: 'call' };
    if (event.kind === EVENT_KIND.notification) {
        return { ...common, kind: EVENT_KIND.notification, resourceKind: isCallResource(event.resourceUrl) ? 'call' : 'other' };
    }
    if (event.kind === EVENT_KIND.hangupRequest) {
        return { receivedAt, kind: EVENT_KIND.hangupRequest, ...(event.httpStatus === undefined ? {} : { httpStatus: event.httpStatus }) };
    }
    return { receivedAt, kind: EVENT_KIND.rejected };
}
