// GET /api/calls/{callId}: one call's summary from the call record.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { callSummaryJson } from '../shared/query/callJson';
import { getCall } from '../shared/query/callQueries';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { checkSummaryQuery, requestQuery } from '../shared/query/queryOptions';
import { callTable } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('getCall', {
    methods: ['GET'],
    route: 'calls/{callId}',
    authLevel: hostAuthLevel(config.access),
    handler: getCallSummary,
});

export async function getCallSummary(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access);
        checkSummaryQuery(requestQuery(request.url));
        const summary = await getCall(callTable(), request.params.callId ?? '');
        return jsonAnswer(200, callSummaryJson(summary));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
