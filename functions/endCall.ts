// DELETE /api/calls/{callId}[?reason=]: hang up the bot's leg of a call through Microsoft Graph. Answers like
// Graph does (204) or with a problem that explains the failure; every attempt is kept in the call's history,
// with who asked (the signed-in principal, or the function key) and the reason they gave.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { requestAudit } from '../shared/access/requester';
import { readRequestReason } from '../shared/access/requestReason';
import { requireCallId } from '../shared/callId';
import { appConfig } from '../shared/settings/config';
import { endCall } from '../shared/graph/endCall';
import { problemAnswer } from '../shared/problem';
import { callStore, graphCalls } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('endCall', {
    methods: ['DELETE'],
    // A catch-all, so that a missing id or one with a raw '/' gets a clear 400 rather than an anonymous 404.
    route: 'calls/{*callId}',
    authLevel: hostAuthLevel(config.access),
    handler: hangUp,
});

export async function hangUp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        const requester = authorize(request, APP_ROLES.operate, config.access, 'hangup');
        // Checked before the Graph client is built, so a bad id costs nothing (not even loading @azure/identity).
        const callId = requireCallId(request.params.callId);
        const reason = await readRequestReason(request);
        await endCall(
            callId,
            { graph: graphCalls(), store: callStore(), log: context, trace: context.traceContext, readChainId: config.callRecords !== undefined },
            requestAudit(requester, reason),
        );
        context.log(`Hung up call ${callId}.`);
        return { status: 204 };
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
