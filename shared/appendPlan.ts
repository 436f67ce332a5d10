// Decides what one write to a call's partition does: which events are new and get which sequence, which
// are redeliveries, what the summary becomes, and how the redelivery markers change. Pure, no I/O.
//
// Redelivery markers live in at most 16 rows per call, one per first hex digit of the dedupe key
// (`dedupe-0` ... `dedupe-f`). Each holds the keys stored within the window with their receive times, so
// a call's partition grows by one row per event, not two, and a write touches a marker row whose size
// depends on the recent traffic of the call, never on the length of its history.

import type { CallSummary, NewCallEvent } from './callModel';
import { applyEvent, countDuplicate } from './callState';

/** The keys of one marker row: marker key (see `markerKeyOf`) -> receive time (ms). */
export type MarkerEntries = ReadonlyMap<string, number>;

/** What the writer knows of one marker row. */
export interface KnownMarkers {
    entries: MarkerEntries;
    /** The row exists in the table (so it is replaced, not created). */
    exists: boolean;
}

export type EventOutcome = { outcome: 'stored'; sequence: number } | { outcome: 'duplicate' };

export interface MarkerWrite {
    bucket: string;
    entries: MarkerEntries;
    exists: boolean;
}

export interface AppendPlan {
    summary: CallSummary;
    stored: Array<{ sequence: number; event: NewCallEvent }>;
    markers: MarkerWrite[];
    /** One per input event, in input order. */
    outcomes: EventOutcome[];
}

/** Marker rows per call: one per first hex digit of the key. */
export const MARKER_BUCKETS = [...'0123456789abcdef'];
/** Keys kept per marker row; with 41 characters each this stays under the 32K-character property limit. */
export const MAX_MARKERS_PER_BUCKET = 700;

/** How a dedupe key is kept in a marker row: its first 128 bits, plenty to tell notifications apart. */
export function markerKeyOf(dedupeKey: string): string {
    return dedupeKey.slice(0, 32).toLowerCase();
}

/** The marker row a marker key belongs to. */
export function markerBucket(markerKey: string): string {
    return markerKey.charAt(0);
}

/**
 * @param summary the call's summary as last read (or an empty one for a new call)
 * @param events events to append, in arrival order
 * @param markers what is known of the call's marker rows, by bucket; a bucket not in the map is assumed
 *   not to exist (the optimistic first try: if it does, the write conflicts and is planned again)
 * @param windowSeconds `DEDUPE_WINDOW_SECONDS`; 0 turns redelivery checks off
 *
 * @example
 * const plan = planAppend(emptySummary('c1'), [event, event], new Map(), 600);
 * plan.outcomes // [{ outcome: 'stored', sequence: 1 }, { outcome: 'duplicate' }]
 */
export function planAppend(
    summary: CallSummary,
    events: readonly NewCallEvent[],
    markers: ReadonlyMap<string, KnownMarkers>,
    windowSeconds: number,
): AppendPlan {
    const windowMs = windowSeconds * 1000;
    const touched = new Map<string, { entries: Map<string, number>; exists: boolean }>();
    const plan: AppendPlan = { summary, stored: [], markers: [], outcomes: [] };

    for (const event of events) {
        const key = windowMs > 0 && event.dedupeKey ? markerKeyOf(event.dedupeKey) : undefined;
        const bucket = key === undefined ? undefined : touchBucket(touched, markers, markerBucket(key));
        const previous = key === undefined ? undefined : bucket?.entries.get(key);
        // A marker newer than this arrival (clocks of two instances) counts as inside the window too.
        if (previous !== undefined && event.receivedAt.getTime() - previous <= windowMs) {
            plan.summary = countDuplicate(plan.summary);
            plan.outcomes.push({ outcome: 'duplicate' });
            continue;
        }
        const sequence = plan.summary.eventCount + 1;
        plan.summary = applyEvent(plan.summary, event);
        plan.stored.push({ sequence, event });
        plan.outcomes.push({ outcome: 'stored', sequence });
        if (key !== undefined && bucket !== undefined) {
            bucket.entries.delete(key);
            bucket.entries.set(key, event.receivedAt.getTime());
        }
    }

    const newest = Math.max(0, ...events.map((event) => event.receivedAt.getTime()));
    plan.markers = [...touched].map(([bucket, { entries, exists }]) => ({ bucket, entries: prune(entries, newest - windowMs), exists }));
    return plan;
}

function touchBucket(
    touched: Map<string, { entries: Map<string, number>; exists: boolean }>,
    known: ReadonlyMap<string, KnownMarkers>,
    bucket: string,
): { entries: Map<string, number> } {
    let state = touched.get(bucket);
    if (state === undefined) {
        const before = known.get(bucket);
        state = { entries: new Map(before?.entries ?? []), exists: before?.exists ?? false };
        touched.set(bucket, state);
    }
    return state;
}

/** Drops keys older than the window, then the oldest beyond the row's capacity. */
function prune(entries: Map<string, number>, oldestKept: number): Map<string, number> {
    const kept = [...entries].filter(([, at]) => at >= oldestKept).sort((a, b) => a[1] - b[1]);
    return new Map(kept.slice(Math.max(0, kept.length - MAX_MARKERS_PER_BUCKET)));
}
