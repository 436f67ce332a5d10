// Graph v1.0 call notifications (`commsNotification`) as the calls API documents them, built from a simulated call.
// Pure functions: the caller decides when and where they are delivered.

import type { SimulatedCall } from './state';

export type ChangeType = 'created' | 'updated' | 'deleted';

export interface CommsNotification {
    '@odata.type': '#microsoft.graph.commsNotification';
    changeType: ChangeType;
    resourceUrl: string;
    resourceData: Record<string, unknown> | Record<string, unknown>[];
}

export interface CommsNotifications {
    '@odata.type': '#microsoft.graph.commsNotifications';
    value: CommsNotification[];
}

export interface ResultInfo {
    code: number;
    subcode: number;
    message: string;
}

/** Graph's documented call end reason for a call the bot hung up (DELETE /communications/calls/{id}). */
export const ENDED_BY_BOT: ResultInfo = { code: 200, subcode: 7000, message: 'The conversation has ended by bot.' };

/** The simulator's end of an incoming call nobody answered in time (Graph does not document its exact codes). */
export const NOT_ANSWERED: ResultInfo = { code: 408, subcode: 0, message: 'The call was not answered within the ring timeout.' };

export function callResourceUrl(callId: string): string {
    return `/communications/calls/${callId}`;
}

/**
 * A notification that the call itself changed state; bumps the call's etag and records the new state.
 *
 * @example
 * callStateNotification(call, 'deleted', 'terminated', { resultInfo: ENDED_BY_BOT })
 */
export function callStateNotification(call: SimulatedCall, changeType: ChangeType, state: string, extra: Record<string, unknown> = {}): CommsNotification {
    call.etag++;
    call.state = state;
    call.resource.state = state;
    const resourceUrl = callResourceUrl(call.id);
    return {
        '@odata.type': '#microsoft.graph.commsNotification',
        changeType,
        resourceUrl,
        resourceData: {
            '@odata.type': '#microsoft.graph.call',
            '@odata.id': resourceUrl,
            '@odata.etag': `W/"${call.etag}"`,
            id: call.id,
            state,
            direction: call.direction,
            callChainId: call.callChainId,
            ...extra,
        },
    };
}

export function envelope(notification: CommsNotification): CommsNotifications {
    return { '@odata.type': '#microsoft.graph.commsNotifications', value: [notification] };
}

/** The call state a notification carries, for the delivery log; participants notifications carry none. */
export function notifiedState(notification: CommsNotification): string | undefined {
    const data = notification.resourceData;
    return !Array.isArray(data) && typeof data.state === 'string' ? data.state : undefined;
}
