// GET /api/console: the operator console, a page for people on call (calls, timelines, hang-up). It holds
// no data; its script reads the API with the function key the page was opened with, or with the sign-in
// session. A person who is not signed in (API_AUTH=entra) is sent to sign in and back.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel, signInRedirect } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { consoleAssets } from '../shared/http/consoleAssets';
import { problemAnswer } from '../shared/problem';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('console', {
    methods: ['GET'],
    route: 'console',
    authLevel: hostAuthLevel(config.access),
    handler: consolePage,
});

export async function consolePage(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access);
        // The path only: the query holds the function key, which goes nowhere but the host's check.
        return consoleAssets().page(new URL(request.url).pathname, request.headers.get('accept-encoding'));
    } catch (err) {
        return signInRedirect(err, request.url, config.access) ?? problemAnswer(err, context, context.invocationId);
    }
}
