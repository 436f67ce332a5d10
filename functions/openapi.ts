// GET /api/openapi.json: the OpenAPI 3.1 description of every HTTP function of this app.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { openApiDocument } from '../shared/http/openApi';
import { jsonAnswer, problemAnswer } from '../shared/problem';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('openapi', {
    methods: ['GET'],
    route: 'openapi.json',
    authLevel: hostAuthLevel(config.access),
    handler: describeApi,
});

export async function describeApi(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access);
        // The API's root as this request reached it (route prefix included), relative, so it holds behind any host name.
        const serverUrl = new URL(request.url).pathname.replace(/\/openapi\.json\/?$/i, '');
        return jsonAnswer(200, openApiDocument(serverUrl === '' ? '/' : serverUrl));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
