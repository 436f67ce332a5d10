// POST /api/calls/{callId}/relay {"fromSequence": n, "reason"?: "..."}: delivers a call's notifications to the bot
// again, in order, with the same webhook-ids as before (shared/relay/callRelay.ts). Answers 202 once the replay is
// scheduled; the call's history keeps who asked (the signed-in principal, or the function key) and why.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { requestAudit } from '../shared/access/requester';
import { requestReason } from '../shared/access/requestReason';
import { requireCallId } from '../shared/callId';
import { ConflictError } from '../shared/errors';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { readBody } from '../shared/requestBody';
import { parseReplayRequest, REPLAY_BODY_LIMIT } from '../shared/relay/replayRequest';
import { callRelay } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('relayCall', {
    methods: ['POST'],
    route: 'calls/{callId}/relay',
    authLevel: hostAuthLevel(config.access),
    handler: replayCall,
});

export async function replayCall(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        const requester = authorize(request, APP_ROLES.operate, config.access);
        const callId = requireCallId(request.params.callId);
        const body = parseReplayRequest(await readBody(request.body, request.headers.get('content-length'), REPLAY_BODY_LIMIT), request.headers.get('content-type'));
        const reason = requestReason(new URL(request.url).searchParams, body.reason);
        const relay = callRelay();
        if (relay === undefined) throw new ConflictError('The relay is off: set RELAY_URL (and RELAY_SECRET) to relay notifications to the bot.');
        const result = await relay.replay(callId, body.fromSequence, requestAudit(requester, reason));
        context.log(`Replay of call ${callId} from sequence ${result.fromSequence} scheduled (${result.relayPending} pending).`);
        return jsonAnswer(202, result);
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
