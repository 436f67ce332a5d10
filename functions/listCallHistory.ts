// GET /api/calls/{callId}/history?top=&continuationToken=: one page of a call's history, in sequence order.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { historyPageJson } from '../shared/query/callJson';
import { listCallHistory } from '../shared/query/callQueries';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { parseHistoryOptions, requestQuery } from '../shared/query/queryOptions';
import { callTable } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('listCallHistory', {
    methods: ['GET'],
    route: 'calls/{callId}/history',
    authLevel: hostAuthLevel(config.access),
    handler: listHistory,
});

export async function listHistory(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access);
        const page = await listCallHistory(callTable(), request.params.callId ?? '', parseHistoryOptions(requestQuery(request.url)));
        return jsonAnswer(200, historyPageJson(page));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
