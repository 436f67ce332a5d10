// POST /api/callback: the bot's calling webhook. Graph posts call notifications here; they are stored
// in the call record, and with the relay on passed to the bot (first attempt), before the 202 goes back.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { ingestCallback } from '../shared/callback/ingestNotifications';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { callbackVerifier, callRelay, callStore } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('callNotifications', {
    methods: ['POST'],
    route: 'callback',
    // Graph cannot send a function key; every request must carry a bearer token Graph signed instead.
    authLevel: 'anonymous',
    handler: receiveCallNotifications,
});

export async function receiveCallNotifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    if (!config.callbackAuth.enabled) {
        context.warn('CALLBACK_AUTH is disabled: this callback was accepted without checking its token. Never run like this in production.');
    }
    try {
        const relay = callRelay();
        const result = await ingestCallback(
            { header: (name) => request.headers.get(name), body: request.body },
            { store: callStore(), verifier: callbackVerifier(), ...(relay === undefined ? {} : { relay: { relay, log: context } }) },
        );
        // Every invocation is logged by the host already; say more only when something was out of the ordinary.
        if (result.duplicates > 0 || result.rejected > 0) {
            context.log(`Stored callback: ${result.accepted} accepted, ${result.duplicates} duplicates, ${result.rejected} rejected.`);
        }
        return jsonAnswer(202, result);
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
