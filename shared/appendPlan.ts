// Decides what one write to a call's partition does: which events are new and get which sequence, which
// are redeliveries, what the summary becomes, and which redelivery markers to write. Pure, no I/O.

import type { CallSummary, NewCallEvent } from './callModel';
import { applyEvent, countDuplicate } from './callState';

/** A redelivery marker that already exists in the table. */
export interface KnownMarker {
    receivedAt: Date;
}

export type EventOutcome = { outcome: 'stored'; sequence: number } | { outcome: 'duplicate' };

export interface MarkerWrite {
    dedupeKey: string;
    sequence: number;
    receivedAt: Date;
    /** The marker row exists (from an earlier, now expired delivery) and is replaced rather than created. */
    replace: boolean;
}

export interface AppendPlan {
    summary: CallSummary;
    stored: Array<{ sequence: number; event: NewCallEvent }>;
    markers: MarkerWrite[];
    /** One per input event, in input order. */
    outcomes: EventOutcome[];
}

/**
 * @param summary the call's summary as last read (or an empty one for a new call)
 * @param events events to append, in arrival order
 * @param markers redelivery markers known to exist, by dedupe key (empty on the optimistic first try)
 * @param windowSeconds `DEDUPE_WINDOW_SECONDS`; 0 turns redelivery checks off
 *
 * @example
 * const plan = planAppend(emptySummary('c1'), [event, event], new Map(), 600);
 * plan.outcomes // [{ outcome: 'stored', sequence: 1 }, { outcome: 'duplicate' }]
 */
export function planAppend(
    summary: CallSummary,
    events: readonly NewCallEvent[],
    markers: ReadonlyMap<string, KnownMarker>,
    windowSeconds: number,
): AppendPlan {
    const windowMs = windowSeconds * 1000;
    const latest = new Map(markers);
    const writes = new Map<string, MarkerWrite>();
    const plan: AppendPlan = { summary, stored: [], markers: [], outcomes: [] };

    for (const event of events) {
        const key = windowMs > 0 ? event.dedupeKey : undefined;
        const previous = key === undefined ? undefined : latest.get(key);
        // A marker newer than this arrival (clocks of two instances) counts as inside the window too.
        if (previous !== undefined && event.receivedAt.getTime() - previous.receivedAt.getTime() <= windowMs) {
            plan.summary = countDuplicate(plan.summary);
            plan.outcomes.push({ outcome: 'duplicate' });
            continue;
        }
        const sequence = plan.summary.eventCount + 1;
        plan.summary = applyEvent(plan.summary, event);
        plan.stored.push({ sequence, event });
        plan.outcomes.push({ outcome: 'stored', sequence });
        if (key !== undefined) {
            latest.set(key, { receivedAt: event.receivedAt });
            writes.set(key, { dedupeKey: key, sequence, receivedAt: event.receivedAt, replace: markers.has(key) });
        }
    }
    plan.markers = [...writes.values()];
    return plan;
}
