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
    const value = Array.from({ length: count }, (_, i) => callUpdate(callId, firstVersion + i));
    return JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value });
}
