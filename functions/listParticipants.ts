// GET /api/calls/{callId}/participants: everyone the call had (from its participant notifications), those in it
// now and those who left with leftAt.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import { listParticipants, participantListJson } from '../shared/participants/participantQueries';
import { appConfig } from '../shared/settings/config';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { checkSummaryQuery, requestQuery } from '../shared/query/queryOptions';
import { callTable } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('listParticipants', {
    methods: ['GET'],
    route: 'calls/{callId}/participants',
    authLevel: hostAuthLevel(config.access),
    handler: listCallParticipants,
});

export async function listCallParticipants(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.read, config.access, 'calls');
        checkSummaryQuery(requestQuery(request.url));
        const list = await listParticipants(callTable(), request.params.callId ?? '', config.participantDetails);
        return jsonAnswer(200, participantListJson(list));
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
