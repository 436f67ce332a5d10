// Fills a table with calls through the app's own writer (CallStore), as a bot's table looks after days of
// calls: each call's notifications parsed by the app's own parser and received at the call's own times, so
// the rows, the redelivery markers and the call index are exactly what the app writes.

import type { NewCallEvent } from '../shared/record/callModel';
import type { CallStore } from '../shared/record/callStore';
import { inParallel } from '../shared/inParallel';
import { parseNotification } from '../shared/callback/notifications';
import { BENCH_TENANT } from './benchEnvironment';
import { callLifecycle, endingPosition, TYPICAL_CALL, TYPICAL_CALL_OFFSETS_S } from './notificationBodies';

export interface SeededCall {
    callId: string;
    startedAt: Date;
    /** Whether its end has arrived; a call that has not ended has everything before it. */
    ended: boolean;
}

/** Calls stored at once. */
const IN_FLIGHT = 32;

/** The events of a typical call (bench/notificationBodies.ts), as the callback stores them. */
function typicalCallEvents(call: SeededCall): NewCallEvent[] {
    const notifications = callLifecycle(call.callId, TYPICAL_CALL);
    const kept = call.ended ? notifications : notifications.slice(0, endingPosition(TYPICAL_CALL));
    return kept.map((notification, i) => {
        const receivedAt = new Date(call.startedAt.getTime() + (TYPICAL_CALL_OFFSETS_S[i] ?? 0) * 1000);
        return parseNotification(notification, { receivedAt, tenantId: BENCH_TENANT }).event;
    });
}

/**
 * `count` calls that started evenly spaced from `from` to `to`, ids `${tag}-00000` on.
 *
 * @example
 * spreadCalls('old', 200, new Date(Date.now() - 9 * 86_400_000), new Date(Date.now() - 9 * 86_400_000 + 3600_000))
 */
export function spreadCalls(tag: string, count: number, from: Date, to: Date, ended: (startedAt: Date) => boolean = () => true): SeededCall[] {
    const step = count > 1 ? (to.getTime() - from.getTime()) / (count - 1) : 0;
    return Array.from({ length: count }, (_, i) => {
        const startedAt = new Date(Math.round(from.getTime() + i * step));
        return { callId: `${tag}-${String(i).padStart(5, '0')}`, startedAt, ended: ended(startedAt) };
    });
}

/** Stores each call's history with one `appendCallEvents`, as many calls at once as the store is given. */
export async function seedCalls(store: CallStore, calls: readonly SeededCall[], onProgress?: (done: number) => void): Promise<void> {
    let done = 0;
    await inParallel(calls, IN_FLIGHT, async (call) => {
        await store.appendCallEvents(call.callId, typicalCallEvents(call));
        done += 1;
        if (done % 5000 === 0) onProgress?.(done);
    });
}
