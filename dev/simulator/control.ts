// The control API under /_control/: faults, per-call scripts, test calls, counters and reset, as small JSON
// requests. It has no authentication: the server listens on loopback addresses only.

import { announceCall, createCall } from './callLifecycle';
import { changeRoster, parseRosterChange, presentParticipants, staleRoster, type RosterChangeInput } from './roster';
import { shapeCallRecord } from './callRecords';
import type { SimulatorContext } from './context';
import { SIMULATOR_PATHS } from './defaults';
import { simulatorEndpoints } from './endpoints';
import { SimulatorInputError } from './errors';
import { parseFaults, parseScript, NO_FAULTS } from './faults';
import { readJsonObject, sendEmpty, sendJson, type Exchange } from './http';
import { cloneFaults, type SimulatedCall } from './state';

/** Answers /_control/...; false for other paths. */
export async function handleControl(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
    const prefix = `${SIMULATOR_PATHS.control}/`;
    if (!ex.url.pathname.startsWith(prefix)) {
        return false;
    }
    const [resource = '', encodedId, ...extra] = ex.url.pathname.slice(prefix.length).split('/');
    const route = `${ex.method} ${resource}${encodedId === undefined ? '' : '/:id'}`;
    if (extra.length > 0) {
        sendJson(ex.res, 404, { error: `No control endpoint ${ex.method} ${ex.url.pathname}.` });
        return true;
    }
    const id = encodedId === undefined ? undefined : decodeId(encodedId);
    switch (route) {
        case 'GET info':
            sendJson(ex.res, 200, info(ctx));
            return true;
        case 'GET stats':
            sendJson(ex.res, 200, ctx.state.stats());
            return true;
        case 'GET telemetry':
            sendJson(ex.res, 200, { items: ctx.state.telemetry });
            return true;
        case 'POST settle': {
            const body = await readJsonObject(ex.req);
            try {
                await ctx.deliveries.settled(optionalNumber(body.timeoutMs, 'timeoutMs') ?? 30_000);
            } catch (err) {
                sendJson(ex.res, 504, { error: err instanceof Error ? err.message : String(err) });
                return true;
            }
            sendJson(ex.res, 200, ctx.state.stats());
            return true;
        }
        case 'POST reset':
            resetSimulator(ctx);
            sendEmpty(ex.res, 204);
            return true;
        case 'GET faults':
            sendJson(ex.res, 200, ctx.state.faults);
            return true;
        case 'POST faults':
            Object.assign(ctx.state.faults, parseFaults(await readJsonObject(ex.req)));
            sendJson(ex.res, 200, ctx.state.faults);
            return true;
        case 'DELETE faults':
            ctx.state.faults = cloneFaults(NO_FAULTS);
            sendEmpty(ex.res, 204);
            return true;
        case 'PUT scripts/:id':
            ctx.state.setScript(required(id), parseScript((await readJsonObject(ex.req)).responses));
            sendEmpty(ex.res, 204);
            return true;
        case 'DELETE scripts/:id':
            sendEmpty(ex.res, ctx.state.deleteScript(required(id)) ? 204 : 404);
            return true;
        case 'POST calls':
            sendJson(ex.res, 201, createTestCall(ctx, await readJsonObject(ex.req)).resource);
            return true;
        case 'GET clock':
            sendJson(ex.res, 200, clockOf(ctx));
            return true;
        case 'POST clock':
            sendJson(ex.res, 200, setClock(ctx, parseClock(await readJsonObject(ex.req))));
            return true;
        case 'POST callRecords/:id': {
            const record = shapeCallRecord(ctx, required(id), await readJsonObject(ex.req));
            sendJson(ex.res, 200, {
                id: record.record.id,
                version: record.version,
                participants: record.participants.length,
                sessions: record.sessions.length,
                availableAt: new Date(record.availableAt).toISOString(),
            });
            return true;
        }
        case 'POST rosters/:id': {
            sendJson(ex.res, 200, changeCallRoster(ctx, required(id), parseRosterChange(await readJsonObject(ex.req))));
            return true;
        }
        case 'PUT drops/:id': {
            const call = ctx.state.calls.get(required(id));
            if (call === undefined) {
                sendJson(ex.res, 404, { error: `The simulator has no call ${required(id)}.` });
                return true;
            }
            call.dropLastNotifications = dropCount((await readJsonObject(ex.req)).last, 'last');
            sendEmpty(ex.res, 204);
            return true;
        }
        default:
            sendJson(ex.res, 404, { error: `No control endpoint ${ex.method} ${ex.url.pathname}.` });
            return true;
    }
}

/** Forgets calls, scripts, faults and counters, and drops callbacks still queued for the forgotten calls. */
export function resetSimulator(ctx: SimulatorContext): void {
    ctx.state.reset();
    ctx.deliveries.cancelQueued();
}

function info(ctx: SimulatorContext): Record<string, unknown> {
    const { tenantId, clientId, botAppId } = ctx.settings;
    return { ...simulatorEndpoints(ctx.settings), tenantId, clientId, botAppId };
}

/**
 * `{id?, callbackUri, direction?: "outgoing"|"incoming", notify?: boolean, participants?: boolean,
 * dropLastNotifications?: number}`: a call that exists without a Graph POST, announced to its callbackUri unless
 * `notify` is false.
 */
export function createTestCall(ctx: SimulatorContext, body: Record<string, unknown>): SimulatedCall {
    const { id, callbackUri, direction, notify, participants, ringTimeoutMs } = body;
    const dropLastNotifications = body.dropLastNotifications === undefined ? undefined : dropCount(body.dropLastNotifications, 'dropLastNotifications');
    if (id !== undefined && (typeof id !== 'string' || !/^[^/?#\s]{1,256}$/.test(id))) {
        throw new SimulatorInputError('id must be a string of 1-256 characters without "/", "?", "#" or spaces.');
    }
    if (typeof callbackUri !== 'string' || !/^https?:\/\//i.test(callbackUri) || !URL.canParse(callbackUri)) {
        throw new SimulatorInputError('callbackUri must be an absolute http(s) URL.');
    }
    if (direction !== undefined && direction !== 'outgoing' && direction !== 'incoming') {
        throw new SimulatorInputError('direction must be "outgoing" or "incoming".');
    }
    for (const [name, value] of Object.entries({ notify, participants })) {
        if (value !== undefined && typeof value !== 'boolean') throw new SimulatorInputError(`${name} must be true or false.`);
    }
    if (ringTimeoutMs !== undefined && (typeof ringTimeoutMs !== 'number' || !Number.isInteger(ringTimeoutMs) || ringTimeoutMs < 1)) {
        throw new SimulatorInputError('ringTimeoutMs must be a whole number of milliseconds, at least 1.');
    }
    const call = createCall(ctx, {
        callbackUri,
        ...(id !== undefined ? { id } : {}),
        ...(direction !== undefined ? { direction } : {}),
        ...(dropLastNotifications !== undefined ? { dropLastNotifications } : {}),
    });
    if (notify !== false) {
        announceCall(ctx, call, { participants: participants === true, ...(ringTimeoutMs !== undefined ? { ringTimeoutMs } : {}) });
    }
    return call;
}

/**
 * `{join?, leave?, mute?, unmute?, as?: "full"|"delta"}` changes a call's roster and sends Graph's participants
 * notification for it; `{resendVersion: n}` sends the full roster of version n again, late and stale.
 */
export function changeCallRoster(ctx: SimulatorContext, callId: string, change: RosterChangeInput & { resendVersion?: number }): { version: number; present: string[] } {
    const call = ctx.state.calls.get(callId);
    if (call === undefined) throw new SimulatorInputError(`The simulator has no call ${callId}.`);
    const notification = change.resendVersion === undefined ? changeRoster(ctx, call, change) : staleRoster(call, change.resendVersion);
    ctx.deliveries.send(call, [notification]);
    return { version: call.roster.version, present: presentParticipants(call).map((participant) => String(participant.id)) };
}

/** The simulated clock and Graph's keepAlive timeout, as the control API shows them. */
export interface ClockSettings {
    /** Simulated ms per real ms (1: real time). */
    speed?: number;
    /** Moves the simulated clock on by this many minutes, now. */
    advanceMinutes?: number;
    /** Graph ends a call that got no keepAlive for this long (simulated minutes, Graph's is 45); null: never. */
    keepAliveTimeoutMinutes?: number | null;
    /** Graph has a call's record this long after the call (simulated minutes; default 15); 0: at once. */
    callRecordDelayMinutes?: number;
}

/** Applies clock settings and returns the clock as it is now. */
export function setClock(ctx: SimulatorContext, settings: ClockSettings): SimulatedClockView {
    ctx.state.clock.set({
        ...(settings.speed === undefined ? {} : { speed: settings.speed }),
        ...(settings.advanceMinutes === undefined ? {} : { advanceMs: settings.advanceMinutes * 60_000 }),
    });
    if (settings.keepAliveTimeoutMinutes !== undefined) ctx.state.keepAliveTimeoutMinutes = settings.keepAliveTimeoutMinutes;
    if (settings.callRecordDelayMinutes !== undefined) ctx.state.callRecordDelayMinutes = settings.callRecordDelayMinutes;
    return clockOf(ctx);
}

function clockOf(ctx: SimulatorContext): SimulatedClockView {
    return {
        now: new Date(ctx.state.clock.now()).toISOString(),
        speed: ctx.state.clock.speed,
        keepAliveTimeoutMinutes: ctx.state.keepAliveTimeoutMinutes,
        callRecordDelayMinutes: ctx.state.callRecordDelayMinutes,
    };
}

/** The simulated clock and what runs on it, as the control API shows them. */
export interface SimulatedClockView {
    now: string;
    speed: number;
    keepAliveTimeoutMinutes: number | null;
    callRecordDelayMinutes: number;
}

/** `{speed?, advanceMinutes?, keepAliveTimeoutMinutes?}`; a typo fails loudly. */
export function parseClock(body: Record<string, unknown>): ClockSettings {
    const known = ['speed', 'advanceMinutes', 'keepAliveTimeoutMinutes', 'callRecordDelayMinutes'];
    const unknown = Object.keys(body).filter((key) => !known.includes(key));
    if (unknown.length > 0) throw new SimulatorInputError(`Unknown clock setting(s): ${unknown.join(', ')}. Known: ${known.join(', ')}.`);
    const positive = (name: string, value: unknown, max: number): number => {
        if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > max) throw new SimulatorInputError(`${name} must be a number above 0, up to ${max}.`);
        return value;
    };
    const timeout = body.keepAliveTimeoutMinutes;
    return {
        ...(body.speed === undefined ? {} : { speed: positive('speed', body.speed, 100_000) }),
        ...(body.advanceMinutes === undefined ? {} : { advanceMinutes: positive('advanceMinutes', body.advanceMinutes, 10_000_000) }),
        ...(timeout === undefined ? {} : { keepAliveTimeoutMinutes: timeout === null ? null : positive('keepAliveTimeoutMinutes', timeout, 100_000) }),
        ...(body.callRecordDelayMinutes === undefined
            ? {}
            : { callRecordDelayMinutes: body.callRecordDelayMinutes === 0 ? 0 : positive('callRecordDelayMinutes', body.callRecordDelayMinutes, 100_000) }),
    };
}

/** How many of a call's last notifications to drop: 0 (none) to 2 (its end sends terminating, then terminated). */
export function dropCount(value: unknown, name: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 2) {
        throw new SimulatorInputError(`${name} must be 0, 1 or 2: how many of the call's last notifications (terminating, terminated) are never sent.`);
    }
    return value;
}

function decodeId(encoded: string): string {
    try {
        return decodeURIComponent(encoded);
    } catch {
        throw new SimulatorInputError(`"${encoded}" is not a valid URL-encoded id.`);
    }
}

function required(id: string | undefined): string {
    if (id === undefined || id === '') throw new SimulatorInputError('The path needs a call id.');
    return id;
}

function optionalNumber(value: unknown, name: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new SimulatorInputError(`${name} must be a non-negative number.`);
    return value;
}
