// The notifications the scenarios send: Graph's v1.0 call notification shape (bench/notificationBodies.ts),
// each one made unique and recognisable by an id carried in `resourceData` (`@odata.etag` and
// `clientContext`), so the table read back can be matched with what was sent, notification by notification.

import { benchCallIds, callUpdate } from '../../bench/notificationBodies';

export interface TracedNotification {
    /** Unique in the run: `{callId}/{n}`. */
    id: string;
    callId: string;
    changeType: 'updated' | 'deleted';
    state: string;
    /** The POST body that carries this notification alone; every delivery sends these same bytes, as Graph does. */
    body: string;
}

/** The `@odata.etag` a traced notification carries, which the app stores as the event's `graphEtag`. */
function etagOf(id: string): string {
    return `W/"${id}"`;
}

/** The id inside an event's `graphEtag`, or undefined when it is not one of ours. */
export function idOfEtag(graphEtag: unknown): string | undefined {
    return typeof graphEtag === 'string' ? /^W\/"(.+)"$/.exec(graphEtag)?.[1] : undefined;
}

/**
 * One call's notifications, in the order given.
 *
 * @example
 * tracedCall('storm-1a2b-00001', [['updated', 'established'], ['deleted', 'terminated']])
 */
export function tracedCall(callId: string, steps: ReadonlyArray<readonly ['updated' | 'deleted', string]>): TracedNotification[] {
    return steps.map(([changeType, state], n) => {
        const id = `${callId}/${n + 1}`;
        const shape = callUpdate(callId, n + 1);
        const notification = {
            ...shape,
            changeType,
            resourceData: { ...(shape.resourceData as Record<string, unknown>), '@odata.etag': etagOf(id), clientContext: id, state },
        };
        const body = JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value: [notification] });
        return { id, callId, changeType, state, body };
    });
}

/** A call from ringing to its end: four notifications whose final state does not depend on arrival order. */
export const CALL_LIFECYCLE = [
    ['updated', 'establishing'],
    ['updated', 'established'],
    ['updated', 'terminated'],
    ['deleted', 'terminated'],
] as const;

/** `calls` new calls (ids unique to the run, prefixed with `purpose`), each going through CALL_LIFECYCLE. */
export function lifecycleCalls(purpose: string, calls: number): TracedNotification[] {
    return benchCallIds(purpose, calls).flatMap((callId) => tracedCall(callId, CALL_LIFECYCLE));
}

/** Deliveries in the order given, to instance 0, 1, 0, 1, ... */
export function alternating(notifications: readonly TracedNotification[]): Array<{ notification: TracedNotification; instance: number }> {
    return notifications.map((notification, i) => ({ notification, instance: i % 2 }));
}

/** A long call: `count` notifications (at least 4) through hold and transfer to its end. */
export function longCall(count: number): Array<['updated' | 'deleted', string]> {
    const middle = ['established', 'hold', 'established', 'transferring', 'transferAccepted', 'established'];
    return [
        ['updated', 'establishing'],
        ...Array.from({ length: Math.max(0, count - 3) }, (_, i): ['updated', string] => ['updated', middle[i % middle.length]!]),
        ['updated', 'terminating'],
        ['deleted', 'terminated'],
    ];
}
