// Callback bodies shaped like the v1.0 `commsNotifications` Graph posts while a call is up, each one
// distinct (its own `@odata.etag`), so none is taken for a redelivery.

import { randomBytes } from 'node:crypto';

/** Call ids for one measurement: unique to the run, valid Graph-style ids, one partition each. */
export function benchCallIds(purpose: string, count: number): string[] {
    const tag = `${purpose}-${randomBytes(4).toString('hex')}`;
    return Array.from({ length: count }, (_, i) => `${tag}-${String(i).padStart(5, '0')}`);
}

/** One notification: the call is (still) established; `version` makes it unique within the call. */
export function callUpdate(callId: string, version: number): Record<string, unknown> {
    return {
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType: 'updated',
        resourceUrl: `/communications/calls/${callId}`,
        resourceData: {
            '@odata.type': '#microsoft.graph.call',
            '@odata.id': `/communications/calls/${callId}`,
            '@odata.etag': `W/"${version}"`,
            state: version % 5 === 4 ? 'hold' : 'established',
            direction: 'incoming',
            callChainId: 'b6b3c4d5-0e1f-4a2b-8c3d-4e5f6a7b8c9d',
            myParticipantId: '2d1c5f6e-7a8b-4c9d-9e0f-1a2b3c4d5e6f',
            mediaState: { '@odata.type': '#microsoft.graph.callMediaState', audio: 'active' },
            callRoutes: [],
            requestedModalities: ['audio'],
            tenantId: 'cccccccc-3333-4333-8333-cccccccccccc',
        },
    };
}

/** `count` consecutive updates of one call in one body, starting at `firstVersion`. */
export function callbackBody(callId: string, firstVersion: number, count = 1): string {
    return notificationsBody(Array.from({ length: count }, (_, i) => callUpdate(callId, firstVersion + i)));
}

/**
 * What a call sends from start to end: `rosterUpdates` `/participants` notifications between its start and
 * its end, and Graph's `deleted` after the `terminated` one or not. Calls of a typical Teams bot get a handful.
 */
export interface CallShape {
    rosterUpdates: number;
    deletedAfterEnd: boolean;
}

/** Eight notifications: establishing, established, four roster changes, terminated, deleted. */
export const TYPICAL_CALL: CallShape = { rosterUpdates: 4, deletedAfterEnd: true };

/** Seconds after the call's start at which each notification of a typical call arrives (a six-minute call). */
export const TYPICAL_CALL_OFFSETS_S = [0, 3, 10, 60, 180, 300, 360, 361];

/** The position (0-based) of the notification that ends a call of this shape. */
export function endingPosition(shape: CallShape): number {
    return 2 + shape.rosterUpdates;
}

/** The notifications of one whole call, in the order Graph sends them, each one distinct. */
export function callLifecycle(callId: string, shape: CallShape): Array<Record<string, unknown>> {
    const resourceUrl = `/communications/calls/${callId}`;
    const call = (changeType: string, state: string, version: number, extra: Record<string, unknown> = {}) => {
        const update = callUpdate(callId, version);
        return { ...update, changeType, resourceData: { ...(update.resourceData as Record<string, unknown>), state, ...extra } };
    };
    const roster = (count: number) => ({
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType: 'updated',
        resourceUrl: `${resourceUrl}/participants`,
        resourceData: Array.from({ length: count }, (_, i) => ({
            '@odata.type': '#microsoft.graph.participant',
            id: `${callId.slice(-8)}-participant-${i + 1}`,
            info: { '@odata.type': '#microsoft.graph.participantInfo', identity: { user: { id: `user-${i + 1}`, displayName: `Participant ${i + 1}` } } },
            isMuted: i % 2 === 1,
            isInLobby: false,
            mediaStreams: [{ mediaType: 'audio', direction: 'sendReceive', serverMuted: false }],
        })),
    });
    const ended = { resultInfo: { code: 0, subcode: 540000, message: 'Call ended by the user.' } };
    return [
        call('created', 'establishing', 1),
        call('updated', 'established', 2),
        ...Array.from({ length: shape.rosterUpdates }, (_, i) => roster(2 + i)),
        call('updated', 'terminated', 3, ended),
        ...(shape.deletedAfterEnd ? [call('deleted', 'terminated', 4, ended)] : []),
    ];
}

/** A callback body of the given notifications. */
export function notificationsBody(notifications: readonly unknown[]): string {
    return JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value: notifications });
}
