// What the bot receives: the notifications of one call as Graph sent them, in Graph's own body shape. The record
// keeps each notification in two columns (its `resourceData`, and the rest of it with `resourceData: null` in its
// place), so the relay rebuilds it with its keys in their order and its values as received.

import type { CallEvent } from '../record/callModel';
import { isObject } from '../isObject';

/** Graph's type of the body it POSTs to a calling webhook. */
const COMMS_NOTIFICATIONS_TYPE = '#microsoft.graph.commsNotifications';

/**
 * The notification without its `resourceData` (which has a column of its own), as stored in `notification`:
 * `resourceData`, when present, keeps its place with the value null.
 *
 * @example
 * notificationColumn({ changeType: 'updated', resourceUrl: '/communications/calls/c1', resourceData: { state: 'established' } })
 * // '{"changeType":"updated","resourceUrl":"/communications/calls/c1","resourceData":null}'
 */
export function notificationColumn(notification: Record<string, unknown>): string {
    return JSON.stringify('resourceData' in notification ? { ...notification, resourceData: null } : notification);
}

/** One notification for the bot, and whether it is exactly as Graph sent it. */
export interface RebuiltNotification {
    sequence: number;
    notification: Record<string, unknown>;
    /** False when the record cut it (its `resourceData` is then the text the record kept) or never kept it whole. */
    exact: boolean;
}

/**
 * The notification as Graph sent it, from its history row. A row whose `notification` was cut, or that has none
 * (stored before the record kept notifications whole), gives back what the row knows, marked not exact.
 */
export function rebuildNotification(event: CallEvent): RebuiltNotification {
    const stored = parseObject(event.notification);
    const cut = event.truncatedFields?.includes('notification') === true || event.truncatedFields?.includes('resourceData') === true;
    const notification: Record<string, unknown> = stored ?? {
        '@odata.type': '#microsoft.graph.commsNotification',
        ...(event.changeType === undefined ? {} : { changeType: event.changeType }),
        ...(event.resourceUrl === undefined ? {} : { resourceUrl: event.resourceUrl }),
        resourceData: null,
    };
    if ('resourceData' in notification && event.resourceData !== undefined) {
        // Assigning an existing key keeps its place among the others.
        notification.resourceData = event.resourceDataTruncated === true ? event.resourceData : parseJson(event.resourceData);
    }
    return { sequence: event.sequence, notification, exact: stored !== undefined && !cut };
}

/**
 * The body of one request to the bot, exactly as it is signed and sent.
 *
 * @example
 * relayBody(events) // '{"@odata.type":"#microsoft.graph.commsNotifications","value":[{...},{...}]}'
 */
export function relayBody(notifications: readonly RebuiltNotification[]): string {
    return JSON.stringify({ '@odata.type': COMMS_NOTIFICATIONS_TYPE, value: notifications.map((rebuilt) => rebuilt.notification) });
}

function parseObject(text: string | undefined): Record<string, unknown> | undefined {
    if (text === undefined) return undefined;
    const value = parseJson(text);
    return isObject(value) ? value : undefined;
}

function parseJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}
