// GET /api/me: who the app takes the caller for, and the app roles they hold: the console says who is signed in
// and offers only what they may do. Any signed-in principal may ask, with or without a role.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { hostAuthLevel, signedIn, signedInJson } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('whoAmI', {
    methods: ['GET'],
    route: 'me',
    authLevel: hostAuthLevel(config.access),
    handler: whoAmI,
});

export async function whoAmI(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        return jsonAnswer(200, signedInJson(signedIn(request, config.access), config.access), { 'Cache-Control': 'no-store' });
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
