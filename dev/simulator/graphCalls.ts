// Microsoft Graph's calls API under /v1.0 and /beta: create a call, read it, hang it up. Every request is checked
// for a valid bearer token and recorded; per-call scripts and global faults can answer in its place.

import type { SimulatorContext } from './context';
import { announceCall, answerCall, createCall, endCall, hasEnded, isGone } from './callLifecycle';
import { callRecordPage } from './callRecords';
import { checkAccessToken, type AccessTokenCheck } from './entra';
import { takeGraphFault, type ScriptedResponse } from './faults';
import { graphCorrelation, sendGraphEmpty, sendGraphJson, sendGraphStatus, type GraphCorrelation, type GraphErrorDetails } from './graphResponses';
import { header, isObject, readBody, sleep, type Exchange } from './http';
import type { SimulatedCall } from './state';

/** Which calls resource a Graph path names. */
type GraphRoute =
    | { kind: 'collection'; version: string }
    | { kind: 'call'; version: string; callId: string; action?: 'keepAlive' }
    | { kind: 'answer'; version: string; callId: string }
    | { kind: 'callRecord'; version: string; recordId: string; part: 'record' | 'sessions' | 'participants' }
    | { kind: 'unknown'; version: string; segment: string };

/** What the simulator did with a request: a status, or a dropped connection. */
type Outcome = number | 'reset';

/** Answers everything under /v1.0 and /beta; false for other paths. */
export async function handleGraph(ctx: SimulatorContext, ex: Exchange): Promise<boolean> {
    const route = graphRoute(ex.url.pathname);
    if (route === undefined) {
        return false;
    }
    const correlation = graphCorrelation(ex);
    const token = await checkAccessToken(ctx, header(ex.req, 'authorization'));
    const record = ctx.state.recordGraphRequest({
        at: new Date().toISOString(),
        method: ex.method,
        path: ex.url.pathname,
        ...(route.kind === 'call' || route.kind === 'answer' ? { callId: route.callId } : {}),
        ...(route.kind === 'callRecord' && ctx.state.callRecords.has(route.recordId) ? { callId: ctx.state.callRecords.get(route.recordId)?.callId } : {}),
        authorization: token.result,
        clientRequestId: header(ex.req, 'client-request-id') ?? null,
        requestId: correlation.requestId,
        status: null,
    });
    try {
        record.status = await serveGraph(ctx, ex, route, token, correlation);
    } catch (err) {
        record.status = 500;
        throw err;
    }
    return true;
}

async function serveGraph(ctx: SimulatorContext, ex: Exchange, route: GraphRoute, token: AccessTokenCheck, correlation: GraphCorrelation): Promise<Outcome> {
    if (route.kind === 'unknown') {
        return answer(ex, correlation, 400, { code: 'BadRequest', message: `Resource not found for the segment '${route.segment}'.` });
    }
    if (token.result !== 'valid') {
        // Graph checks the token before anything else, so a refused request never uses up a script entry.
        return answer(ex, correlation, 401, { ...(token.reason ? { message: token.reason } : {}) });
    }
    // A call's script is more specific than the global faults, so it answers first.
    const scripted = route.kind === 'call' ? ctx.state.nextScripted(route.callId) : undefined;
    if (scripted !== undefined && route.kind === 'call') {
        return playScripted(ctx, ex, correlation, route.callId, scripted);
    }
    if (route.kind === 'callRecord' && ctx.state.faults.callRecordsForbidden) {
        return answer(ex, correlation, 403, { code: 'Forbidden', message: 'Insufficient privileges to complete the operation.' });
    }
    const fault = takeGraphFault(ctx.state.faults);
    if (fault !== undefined) {
        return answer(ex, correlation, fault.status, fault.retryAfterSeconds !== undefined ? { retryAfterSeconds: fault.retryAfterSeconds } : {});
    }
    if (route.kind === 'callRecord') {
        if (ex.method !== 'GET') return answer(ex, correlation, 405);
        const record = ctx.state.callRecords.get(route.recordId);
        // Graph has a call record only some time after the call, and answers 404 before.
        if (record === undefined || ctx.state.clock.now() < record.availableAt) {
            return answer(ex, correlation, 404, { code: 'NotFound', message: `No call record with id ${route.recordId} was found.` });
        }
        const skip = Number(ex.url.searchParams.get('$skiptoken') ?? '0');
        sendGraphJson(ex, correlation, 200, callRecordPage(ctx.settings.url, record, route.part, Number.isInteger(skip) && skip >= 0 ? skip : 0));
        return 200;
    }
    if (route.kind === 'collection') {
        return ex.method === 'POST' ? placeCall(ctx, ex, correlation, route.version) : answer(ex, correlation, 405);
    }
    if (route.kind === 'answer') {
        return ex.method === 'POST' ? answerIncoming(ctx, ex, correlation, route.callId) : answer(ex, correlation, 405);
    }
    const call = ctx.state.calls.get(route.callId);
    if (route.action === 'keepAlive') {
        if (ex.method !== 'POST') return answer(ex, correlation, 405);
        // An ended call is one Graph no longer has: 404, as for any call it never had.
        if (call === undefined || hasEnded(call)) return answer(ex, correlation, 404);
        call.keptAliveAt = ctx.state.clock.now();
        sendGraphEmpty(ex, correlation, 200);
        return 200;
    }
    switch (ex.method) {
        case 'GET':
            // Graph forgets a call once it has ended: from then on it answers as for a call it never had.
            if (call === undefined || isGone(call)) return answer(ex, correlation, 404);
            sendGraphJson(ex, correlation, 200, callResource(ctx, call, route.version));
            return 200;
        case 'DELETE':
            return hangUp(ctx, ex, correlation, route.callId);
        default:
            return answer(ex, correlation, 405);
    }
}

/** DELETE on a call: 204 and the hang-up notifications for an active call, 404 for an unknown or ended one. */
function hangUp(ctx: SimulatorContext, ex: Exchange, correlation: GraphCorrelation, callId: string): Outcome {
    const call = ctx.state.calls.get(callId);
    if (call === undefined || hasEnded(call)) {
        return answer(ex, correlation, 404);
    }
    // Graph answers before the call has wound down; the notifications follow the answer.
    endCall(ctx, call, answered(ex));
    sendGraphEmpty(ex, correlation, 204);
    return 204;
}

async function playScripted(ctx: SimulatorContext, ex: Exchange, correlation: GraphCorrelation, callId: string, scripted: ScriptedResponse): Promise<Outcome> {
    await sleep(scripted.delayMs ?? 0, undefined, { keepsProcess: false });
    if (scripted.reset === true || scripted.status === undefined) {
        ex.req.socket.destroy();
        return 'reset';
    }
    const status = scripted.status;
    const call = ctx.state.calls.get(callId);
    if (status < 300 && ex.method === 'DELETE' && call !== undefined && !hasEnded(call)) {
        endCall(ctx, call, answered(ex));
    }
    if (status < 300 && ex.method === 'GET' && call !== undefined) {
        sendGraphJson(ex, correlation, status, callResource(ctx, call, 'v1.0'));
        return status;
    }
    return answer(ex, correlation, status, {
        ...(scripted.retryAfterSeconds !== undefined ? { retryAfterSeconds: scripted.retryAfterSeconds } : {}),
        ...(scripted.code !== undefined ? { code: scripted.code } : {}),
        ...(scripted.message !== undefined ? { message: scripted.message } : {}),
    });
}

/**
 * POST /communications/calls/{id}/answer: 202 for a ringing incoming call, which then connects, its notifications
 * going to the answer's callbackUri; 404 for a call that is gone (not answered in time, say), 400 for one not ringing.
 */
async function answerIncoming(ctx: SimulatorContext, ex: Exchange, correlation: GraphCorrelation, callId: string): Promise<Outcome> {
    let body: unknown;
    try {
        body = JSON.parse(await readBody(ex.req));
    } catch {
        return answer(ex, correlation, 400, { message: 'The request body is not valid JSON.' });
    }
    const call = ctx.state.calls.get(callId);
    if (call === undefined || hasEnded(call)) return answer(ex, correlation, 404);
    if (!isObject(body)) return answer(ex, correlation, 400, { message: 'The request body must be an answer object.' });
    if (call.state !== 'incoming') return answer(ex, correlation, 400, { message: `The call is ${call.state}, not ringing: only an incoming call can be answered.` });
    if (body.callbackUri !== undefined && (typeof body.callbackUri !== 'string' || !/^https?:\/\//i.test(body.callbackUri) || !URL.canParse(body.callbackUri))) {
        return answer(ex, correlation, 400, { message: 'callbackUri must be an absolute http(s) URL.' });
    }
    if (!isObject(body.mediaConfig) || typeof body.mediaConfig['@odata.type'] !== 'string') {
        return answer(ex, correlation, 400, { message: 'mediaConfig is required and must name its @odata.type (serviceHostedMediaConfig or appHostedMediaConfig).' });
    }
    if (!Array.isArray(body.acceptedModalities) || body.acceptedModalities.length === 0) {
        return answer(ex, correlation, 400, { message: 'acceptedModalities is required and must list at least one modality, e.g. ["audio"].' });
    }
    answerCall(ctx, call, typeof body.callbackUri === 'string' ? body.callbackUri : undefined, answered(ex));
    sendGraphEmpty(ex, correlation, 202);
    return 202;
}

/** POST /communications/calls: checks the documented required fields, answers 201, then connects the call. */
async function placeCall(ctx: SimulatorContext, ex: Exchange, correlation: GraphCorrelation, version: string): Promise<Outcome> {
    let body: unknown;
    try {
        body = JSON.parse(await readBody(ex.req));
    } catch {
        return answer(ex, correlation, 400, { message: 'The request body is not valid JSON.' });
    }
    if (!isObject(body)) {
        return answer(ex, correlation, 400, { message: 'The request body must be a call object.' });
    }
    const problem = createCallProblem(body);
    if (problem !== undefined) {
        return answer(ex, correlation, 400, { message: problem });
    }
    const scenarioId = header(ex.req, 'scenario-id');
    const call = createCall(ctx, { callbackUri: String(body.callbackUri), request: body, ...(scenarioId ? { scenarioId } : {}) });
    const sent = answered(ex);
    // Answered before announcing: building the notifications moves the call on to `established`.
    sendGraphJson(ex, correlation, 201, call.resource, { location: `${ctx.settings.url}/${version}/communications/calls/${call.id}` });
    announceCall(ctx, call, { startAfter: sent });
    return 201;
}

/** Why Graph would refuse this create-call body, or undefined when it would accept it. */
function createCallProblem(body: Record<string, unknown>): string | undefined {
    if (typeof body.callbackUri !== 'string' || !/^https?:\/\//i.test(body.callbackUri) || !URL.canParse(body.callbackUri)) {
        return 'callbackUri is required and must be an absolute http(s) URL.';
    }
    if (!Array.isArray(body.requestedModalities) || body.requestedModalities.length === 0) {
        return 'requestedModalities is required and must list at least one modality, e.g. ["audio"].';
    }
    if (!isObject(body.mediaConfig) || typeof body.mediaConfig['@odata.type'] !== 'string') {
        return 'mediaConfig is required and must name its @odata.type (serviceHostedMediaConfig or appHostedMediaConfig).';
    }
    const hasTargets = Array.isArray(body.targets) && body.targets.length > 0;
    if (!hasTargets && !isObject(body.meetingInfo) && !isObject(body.chatInfo)) {
        return 'A call needs targets, or meetingInfo/chatInfo to join a meeting.';
    }
    return undefined;
}

/** The call as Graph's `GET` answers it, described by the metadata of the version asked for. */
function callResource(ctx: SimulatorContext, call: SimulatedCall, version: string): Record<string, unknown> {
    return { ...call.resource, '@odata.context': `${ctx.settings.url}/${version}/$metadata#communications/calls/$entity` };
}

/** Settles once the response has been sent (or the connection has gone). */
function answered(ex: Exchange): Promise<void> {
    return new Promise((resolve) => {
        ex.res.once('finish', resolve);
        ex.res.once('close', resolve);
    });
}

function answer(ex: Exchange, correlation: GraphCorrelation, status: number, details: GraphErrorDetails = {}): Outcome {
    sendGraphStatus(ex, correlation, status, details);
    return status;
}

/**
 * The calls resource a path names: `/communications/calls[/{id}]` under /v1.0 or /beta, and the older beta forms
 * `/app/calls/{id}` and `/applications/{appId}/calls/{id}`.
 */
function graphRoute(pathname: string): GraphRoute | undefined {
    const match = /^\/(v1\.0|beta)(\/.*)?$/.exec(pathname);
    if (match === null) {
        return undefined;
    }
    const version = match[1] ?? 'v1.0';
    const rest = (match[2] ?? '').replace(/\/+$/, '');
    if (rest === '/communications/calls' || rest === '/app/calls') {
        return { kind: 'collection', version };
    }
    const recordMatch = /^\/communications\/callRecords\/([^/]+)(?:\/(sessions|participants_v2))?$/.exec(rest);
    if (recordMatch?.[1] !== undefined) {
        const part = recordMatch[2] === 'sessions' ? 'sessions' : recordMatch[2] === 'participants_v2' ? 'participants' : 'record';
        try {
            return { kind: 'callRecord', version, recordId: decodeURIComponent(recordMatch[1]), part };
        } catch {
            return { kind: 'unknown', version, segment: recordMatch[1] };
        }
    }
    const item = /^\/(?:communications\/calls|app\/calls|applications\/[^/]+\/calls)\/([^/]+)(\/keepAlive|\/answer)?$/.exec(rest);
    const encodedId = item?.[1];
    if (encodedId !== undefined) {
        try {
            const callId = decodeURIComponent(encodedId);
            if (item?.[2] === '/answer') return { kind: 'answer', version, callId };
            return { kind: 'call', version, callId, ...(item?.[2] === undefined ? {} : { action: 'keepAlive' as const }) };
        } catch {
            return { kind: 'unknown', version, segment: encodedId };
        }
    }
    return { kind: 'unknown', version, segment: rest.split('/').filter(Boolean).pop() ?? '' };
}
