// GET /api/calls?state=&since=&until=&top=&continuationToken=: one page of call summaries.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { callListPageJson } from '../shared/query/callJson';
import { listCalls } from '../shared/query/callList';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { parseCallListOptions, requestQuery } from '../shared/query/queryOptions';
import { callTable } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('listCalls', {
    methods: ['GET'],
    route: 'calls',
    authLevel: hostAuthLevel(config.access),
    handler: listCallSummaries,
});

export async function listCallSummaries(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access);
        const page = await listCalls(callTable(), parseCallListOptions(requestQuery(request.url)));
        return jsonAnswer(200, callListPageJson(page));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
