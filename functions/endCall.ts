// DELETE /api/calls/{callId}: hang up the bot's leg of a call through Microsoft Graph. Answers like
// Graph does (204) or with a problem that explains the failure; every attempt is kept in the call's history.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { requireCallId } from '../shared/callId';
import { appConfig } from '../shared/settings/config';
import { endCall } from '../shared/graph/endCall';
import { problemAnswer } from '../shared/problem';
import { callStore, graphCalls } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
appConfig();

app.http('endCall', {
    methods: ['DELETE'],
    // A catch-all, so that a missing id or one with a raw '/' gets a clear 400 rather than an anonymous 404.
    route: 'calls/{*callId}',
    authLevel: 'function',
    handler: hangUp,
});

export async function hangUp(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        // Checked before the Graph client is built, so a bad id costs nothing (not even loading @azure/identity).
        const callId = requireCallId(request.params.callId);
        await endCall(callId, { graph: graphCalls(), store: callStore(), log: context, trace: context.traceContext });
        context.log(`Hung up call ${callId}.`);
        return { status: 204 };
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
