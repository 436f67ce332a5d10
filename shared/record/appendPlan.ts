// Decides what one write to a call's partition does: which events are new and get which sequence, which
// are redeliveries, what the summary becomes, and how the redelivery markers change. Pure, no I/O.
//
// Redelivery markers: the key of every notification stored within the window (the first 128 bits of its
// dedupe key) is kept, with its receive time, in a marker row `dedupe-<prefix>`, the prefix being the
// key's first hex digit: 16 rows per call. A row takes at most `rowCapacity` keys inside the window. A
// full row splits: it gets `splitAt`, keeps the keys it has until they leave the window, and takes no new
// ones; new keys of its prefix go one hex digit deeper (`dedupe-a` -> `dedupe-a0` ... `dedupe-af`), and
// a full row there splits the same way. So
// - no key inside the window is ever dropped;
// - a write replaces one row per stored event, of at most `rowCapacity` keys, whatever the history;
// - a partition grows by one row per event, plus at most 16 rows per split, which happens only when a
//   prefix gets more than `rowCapacity` new keys within one window (the `_unrouted` partition under a
//   flood of unattributable notifications, for example);
// - at 32 digits (the whole key) a row can only ever hold its one key, so no row needs a deeper split.
// Splits are kept: a prefix that split once keeps going one digit deeper, which costs the same per write.

import { EVENT_KIND, type CallSummary, type NewCallEvent } from './callModel';
import { applyEvent, callRecordChangesSummary, countDuplicate, isCallEnded, reconciliationChangesState, recordCallRecordCheck, recordReconciliation } from './callState';
import type { DerivedRow, DerivedRowKind, RowSet } from './derivedRows';
import type { MarkerRowContent } from './tableEntities';

/** What the writer knows of one marker row. */
export interface KnownMarkerRow extends MarkerRowContent {
    /** The row exists in the table (so it is replaced, not created). */
    exists: boolean;
}

/** Known marker rows by prefix; a prefix missing here is taken for a row that does not exist. */
export type KnownMarkers = ReadonlyMap<string, KnownMarkerRow>;

/**
 * `unchanged`: a reconciliation that changed nothing, or came after the call had ended; not stored (the
 * summary records the check while the call has not ended).
 */
export type PlannedOutcome = { outcome: 'stored'; sequence: number } | { outcome: 'duplicate' } | { outcome: 'unchanged' };

interface MarkerWrite {
    prefix: string;
    row: MarkerRowContent;
    exists: boolean;
}

export interface AppendPlan {
    summary: CallSummary;
    stored: Array<{ sequence: number; event: NewCallEvent }>;
    markers: MarkerWrite[];
    /** Derived rows (the roster) the stored events changed, as they become. */
    rows: Array<{ key: string; row: DerivedRow }>;
    /** One per input event, in input order. */
    outcomes: PlannedOutcome[];
}

/** Derived rows (derivedRows.ts) and what each event, in input order, changes in them. */
export interface DerivedPlanInput {
    kind: DerivedRowKind;
    rows: RowSet<DerivedRow>;
    changes: ReadonlyArray<unknown>;
}

export interface PlanOptions {
    /** `DEDUPE_WINDOW_SECONDS`; 0 turns redelivery checks off. */
    windowSeconds: number;
    /** Keys inside the window one marker row takes before it splits. */
    rowCapacity: number;
    /** What else the summary says once the call has ended, set in the transaction that ends it. */
    whenEnded?: (summary: CallSummary) => CallSummary;
}

/** Keys per marker row: 41 characters each (key and time), so a full row stays under a string property's 32K. */
export const DEFAULT_MARKER_ROW_CAPACITY = 700;
export const MAX_MARKER_ROW_CAPACITY = 780;

/** How a dedupe key is kept in a marker row: its first 128 bits, plenty to tell notifications apart. */
export function markerKeyOf(dedupeKey: string): string {
    return dedupeKey.slice(0, 32).toLowerCase();
}

/** The marker key of an event, or undefined when redelivery checks do not apply to it. */
export function eventMarkerKey(event: NewCallEvent, windowSeconds: number): string | undefined {
    return windowSeconds > 0 && event.dedupeKey ? markerKeyOf(event.dedupeKey) : undefined;
}

interface WorkingRow {
    entries: Map<string, number>;
    splitAt?: number;
    exists: boolean;
    changed: boolean;
}

/**
 * @param summary the call's summary as last read (or an empty one for a new call)
 * @param events events to append, in arrival order
 * @param markers what is known of the marker rows on the paths of these events' keys (the optimistic
 *   first try may know none: a row that exists then makes the write conflict, and it is planned again)
 *
 * @example
 * const plan = planAppend(emptySummary('c1'), [event, event], new Map(), { windowSeconds: 600, rowCapacity: 700 });
 * plan.outcomes // [{ outcome: 'stored', sequence: 1 }, { outcome: 'duplicate' }]
 */
export function planAppend(summary: CallSummary, events: readonly NewCallEvent[], markers: KnownMarkers, options: PlanOptions, derived?: DerivedPlanInput): AppendPlan {
    const windowMs = options.windowSeconds * 1000;
    // Rows keep what is inside the window of the newest event they are written with.
    const oldestKept = Math.max(0, ...events.map((event) => event.receivedAt.getTime())) - windowMs;
    const rows = new Map<string, WorkingRow>();
    const row = (prefix: string): WorkingRow => {
        let working = rows.get(prefix);
        if (working === undefined) {
            const known = markers.get(prefix);
            working = {
                entries: new Map(known?.entries ?? []),
                exists: known?.exists ?? false,
                changed: false,
                ...(known?.splitAt === undefined ? {} : { splitAt: known.splitAt }),
            };
            rows.set(prefix, working);
        }
        return working;
    };

    const plan: AppendPlan = { summary, stored: [], markers: [], rows: [], outcomes: [] };
    for (const [index, event] of events.entries()) {
        const key = eventMarkerKey(event, options.windowSeconds);
        const at = event.receivedAt.getTime();
        if (key !== undefined && isRedelivery(row, key, at, windowMs)) {
            plan.summary = countDuplicate(plan.summary);
            plan.outcomes.push({ outcome: 'duplicate' });
            continue;
        }
        if (event.kind === EVENT_KIND.reconciliation && !reconciliationChangesState(plan.summary, event)) {
            plan.summary = recordReconciliation(plan.summary, event);
            plan.outcomes.push({ outcome: 'unchanged' });
            continue;
        }
        if (event.kind === EVENT_KIND.callRecord && !callRecordChangesSummary(plan.summary, event)) {
            plan.summary = recordCallRecordCheck(plan.summary, event);
            plan.outcomes.push({ outcome: 'unchanged' });
            continue;
        }
        const sequence = plan.summary.eventCount + 1;
        const wasEnded = isCallEnded(plan.summary);
        plan.summary = applyEvent(plan.summary, event);
        if (!wasEnded && isCallEnded(plan.summary) && options.whenEnded !== undefined) plan.summary = options.whenEnded(plan.summary);
        const change = derived?.changes[index];
        if (derived !== undefined && change !== undefined) {
            plan.summary = derived.kind.apply({ summary: plan.summary, sequence, event, change, rows: derived.rows });
        }
        plan.stored.push({ sequence, event });
        plan.outcomes.push({ outcome: 'stored', sequence });
        if (key !== undefined) record(row, key, at, oldestKept, options.rowCapacity);
    }

    for (const [prefix, { entries, splitAt, exists, changed }] of rows) {
        if (!changed) continue;
        const kept = new Map([...entries].filter(([, time]) => time >= oldestKept));
        plan.markers.push({ prefix, row: splitAt === undefined ? { entries: kept } : { entries: kept, splitAt }, exists });
    }
    if (derived !== undefined) plan.rows = derived.rows.changes(derived.kind.fields);
    return plan;
}

/**
 * The prefixes a key's marker may be in, as far as the known rows tell: the first digit's row, and one
 * digit deeper for every row on the way that split. The store reads these rows level by level.
 */
export function markerPath(key: string, markers: KnownMarkers): string[] {
    const path: string[] = [];
    for (let depth = 1; depth <= key.length; depth++) {
        const prefix = key.slice(0, depth);
        path.push(prefix);
        if (markers.get(prefix)?.splitAt === undefined) break;
    }
    return path;
}

/** A marker of the key inside the window on its path; a marker newer than this arrival (clocks of two instances) counts too. */
function isRedelivery(row: (prefix: string) => WorkingRow, key: string, at: number, windowMs: number): boolean {
    for (let depth = 1; depth <= key.length; depth++) {
        const working = row(key.slice(0, depth));
        const previous = working.entries.get(key);
        if (previous !== undefined && at - previous <= windowMs) return true;
        if (working.splitAt === undefined) return false;
    }
    return false;
}

/** Adds the key to the first row on its path that did not split, splitting that row when it is full. */
function record(row: (prefix: string) => WorkingRow, key: string, at: number, oldestKept: number, capacity: number): void {
    for (let depth = 1; depth <= key.length; depth++) {
        const working = row(key.slice(0, depth));
        if (working.splitAt !== undefined && depth < key.length) continue;
        working.entries.delete(key);
        let inWindow = 0;
        for (const time of working.entries.values()) if (time >= oldestKept) inWindow++;
        working.changed = true;
        if (inWindow < capacity || depth === key.length) {
            working.entries.set(key, at);
            return;
        }
        working.splitAt = at;
    }
}
