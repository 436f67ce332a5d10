// A simulated call from creation to hang-up, and the notifications each step sends to its callbackUri.
// Shared by the Graph calls API (POST, DELETE) and the control API (calls created for tests).

import { randomUUID } from 'node:crypto';
import type { SimulatorContext } from './context';
import { SimulatorInputError } from './errors';
import { callStateNotification, ENDED_BY_BOT, NOT_ANSWERED, type CommsNotification } from './notifications';
import { recordEndedCall } from './callRecords';
import { changeRoster, newRoster } from './roster';
import type { CallDirection, SimulatedCall } from './state';

export interface NewCall {
    /** Defaults to a new GUID, as Graph assigns. */
    id?: string;
    callbackUri: string;
    direction?: CallDirection;
    /** The create-call request body (targets, source, mediaConfig, ...), echoed into the call object. */
    request?: Record<string, unknown>;
    scenarioId?: string;
    /** See SimulatedCall.dropLastNotifications. */
    dropLastNotifications?: number;
}

/** Registers a call in state `establishing` (or `incoming`) and returns it; notifies nobody yet. */
export function createCall(ctx: SimulatorContext, input: NewCall): SimulatedCall {
    const id = input.id ?? randomUUID();
    if (ctx.state.calls.has(id)) {
        throw new SimulatorInputError(`A call with id ${id} already exists.`);
    }
    const direction = input.direction ?? 'outgoing';
    const state = direction === 'incoming' ? 'incoming' : 'establishing';
    const request = input.request ?? (direction === 'incoming' ? incomingRequest(ctx) : {});
    const callChainId = randomUUID();
    const call: SimulatedCall = {
        id,
        callbackUri: input.callbackUri,
        direction,
        state,
        callChainId,
        scenarioId: input.scenarioId ?? randomUUID(),
        etag: 0,
        tenantId: ctx.settings.tenantId,
        dropLastNotifications: input.dropLastNotifications ?? 0,
        roster: newRoster(),
        startedAt: ctx.state.clock.now(),
        quality: new Map(),
        resource: {
            '@odata.type': '#microsoft.graph.call',
            '@odata.context': `${ctx.settings.url}/v1.0/$metadata#communications/calls/$entity`,
            id,
            state,
            direction,
            callbackUri: input.callbackUri,
            callChainId,
            source: request.source ?? botParticipant(ctx),
            targets: request.targets ?? [],
            requestedModalities: request.requestedModalities ?? ['audio'],
            activeModalities: [],
            callRoutes: [],
            routingPolicies: [],
            incomingContext: null,
            mediaConfig: request.mediaConfig ?? { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
            callOptions: request.callOptions ?? null,
            tenantId: typeof request.tenantId === 'string' ? request.tenantId : ctx.settings.tenantId,
            myParticipantId: randomUUID(),
            subject: request.subject ?? null,
            chatInfo: request.chatInfo ?? null,
            meetingInfo: request.meetingInfo ?? null,
            ringingTimeoutInSeconds: null,
            mediaState: null,
            resultInfo: null,
            answeredBy: null,
            toneInfo: null,
            transcription: null,
        },
    };
    ctx.state.calls.set(id, call);
    return call;
}

/**
 * Sends what Graph sends after a call is placed: `establishing` then `established` (or, for an inbound call, one
 * `created` with state `incoming`, the whole call object, and the ring starts), and optionally the roster.
 */
export function announceCall(ctx: SimulatorContext, call: SimulatedCall, options: { participants?: boolean; startAfter?: Promise<unknown>; ringTimeoutMs?: number } = {}): void {
    if (call.direction === 'incoming') {
        ctx.deliveries.send(call, [callStateNotification(call, 'created', 'incoming', callObject(call))], options.startAfter);
        ringIncomingCall(ctx, call, options.ringTimeoutMs ?? ctx.settings.ringTimeoutMs);
        return;
    }
    const notifications: CommsNotification[] = [callStateNotification(call, 'updated', 'establishing'), callStateNotification(call, 'updated', 'established')];
    if (options.participants === true) {
        // The roster once connected: the bot and the person it called.
        notifications.push(changeRoster(ctx, call, { join: [{ kind: 'user', name: 'Simulated callee' }] }));
    }
    ctx.deliveries.send(call, notifications, options.startAfter);
}

/**
 * An incoming call rings for the ring timeout (Graph: 15 s; the simulator's setting, or the call's own). Unless the bot answers it in that time, Graph ends it:
 * `deleted` with state `terminated` and a not-answered result (and, as for every ended call, its call record).
 */
function ringIncomingCall(ctx: SimulatorContext, call: SimulatedCall, ringTimeoutMs: number): void {
    clearTimeout(call.ringTimer);
    call.ringTimer = setTimeout(() => {
        call.ringTimer = undefined;
        if (call.state !== 'incoming') return;
        ctx.log(`incoming call ${call.id} was not answered within ${ringTimeoutMs} ms; Graph ends it`);
        call.resource.resultInfo = NOT_ANSWERED;
        recordEndedCall(ctx, call);
        ctx.deliveries.send(call, [callStateNotification(call, 'deleted', 'terminated', { resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', ...NOT_ANSWERED } })]);
    }, ringTimeoutMs);
    call.ringTimer.unref();
}

/**
 * The bot answered a ringing call (POST /communications/calls/{id}/answer): Graph's notifications go to the callbackUri
 * the answer names from now on, and the call connects, `establishing` then `established`.
 */
export function answerCall(ctx: SimulatorContext, call: SimulatedCall, callbackUri: string | undefined, startAfter: Promise<unknown>): void {
    clearTimeout(call.ringTimer);
    call.ringTimer = undefined;
    if (callbackUri !== undefined) {
        call.callbackUri = callbackUri;
        call.resource.callbackUri = callbackUri;
    }
    ctx.deliveries.send(call, [callStateNotification(call, 'updated', 'establishing'), callStateNotification(call, 'updated', 'established')], startAfter);
}

/** True once the call is terminating or gone: Graph no longer knows it as an active call. */
export function hasEnded(call: SimulatedCall): boolean {
    return call.state === 'terminating' || call.state === 'terminated';
}

/** True once the call is over: Graph answers 404 for it from then on, as for a call it never had. */
export function isGone(call: SimulatedCall): boolean {
    return call.state === 'terminated';
}

/**
 * The bot hung up: `updated`/`terminating`, then `deleted`/`terminated` with the "ended by bot" result; the last
 * `dropLastNotifications` of them are recorded as dropped instead of sent.
 */
export function endCall(ctx: SimulatorContext, call: SimulatedCall, startAfter?: Promise<unknown>): void {
    const notifications = [
        callStateNotification(call, 'updated', 'terminating'),
        callStateNotification(call, 'deleted', 'terminated', {
            resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', ...ENDED_BY_BOT },
        }),
    ];
    call.resource.resultInfo = ENDED_BY_BOT;
    recordEndedCall(ctx, call);
    const kept = notifications.length - Math.min(call.dropLastNotifications, notifications.length);
    ctx.deliveries.send(call, notifications.slice(0, kept), startAfter);
    ctx.deliveries.drop(call, notifications.slice(kept));
}

/** Graph's result when it ends a call that got no keepAlive within the time allowed. */
const KEEP_ALIVE_TIMEOUT = { code: 408, subcode: 8537, message: 'Keep Alive timeout' } as const;

/**
 * Graph ends the calls that got no keepAlive within `keepAliveTimeoutMinutes` of simulated time (from their start
 * or their last keepAlive): `deleted`/`terminated` with the "Keep Alive timeout" result. Called on a short timer.
 */
export function expireCalls(ctx: SimulatorContext): void {
    const timeout = ctx.state.keepAliveTimeoutMinutes;
    if (timeout === null) return;
    const now = ctx.state.clock.now();
    for (const call of ctx.state.calls.values()) {
        if (hasEnded(call) || now - (call.keptAliveAt ?? call.startedAt) < timeout * 60_000) continue;
        const notification = callStateNotification(call, 'deleted', 'terminated', { resultInfo: { '@odata.type': '#microsoft.graph.resultInfo', ...KEEP_ALIVE_TIMEOUT } });
        call.resource.resultInfo = KEEP_ALIVE_TIMEOUT;
        recordEndedCall(ctx, call);
        ctx.deliveries.send(call, [notification]);
    }
}

/** What an incoming call's `created` notification carries: the call object, as Graph sends it to the bot. */
function callObject(call: SimulatedCall): Record<string, unknown> {
    const { id: _id, state: _state, direction: _direction, callChainId: _chain, ...rest } = call.resource;
    return rest;
}

/** Someone calls the bot: the caller is the source, the bot the target. */
function incomingRequest(ctx: SimulatorContext): Record<string, unknown> {
    return {
        source: {
            '@odata.type': '#microsoft.graph.participantInfo',
            identity: {
                '@odata.type': '#microsoft.graph.identitySet',
                user: { '@odata.type': '#microsoft.graph.identity', displayName: 'Caller (simulated)', id: randomUUID(), tenantId: ctx.settings.tenantId },
            },
        },
        targets: [botParticipant(ctx)],
    };
}

function botParticipant(ctx: SimulatorContext): Record<string, unknown> {
    return {
        '@odata.type': '#microsoft.graph.participantInfo',
        identity: {
            '@odata.type': '#microsoft.graph.identitySet',
            application: { '@odata.type': '#microsoft.graph.identity', displayName: 'Calling bot (simulated)', id: ctx.settings.botAppId },
        },
    };
}
