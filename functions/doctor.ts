// GET /api/doctor: calls doctor's checks, run by the app itself with its settings and its identity (in Azure the
// managed identity, which no one outside the app can sign in as), answered as JSON for `calls doctor --app`.
// It needs CallRecord.Operate: it spends Graph tokens, sends the bot a test delivery and describes the wiring.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { APP_ROLES } from '../shared/access/appRoles';
import { authorize, hostAuthLevel } from '../shared/access/authorize';
import type * as Doctor from '../shared/doctor/doctorChecks';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { appConfig } from '../shared/settings/config';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('doctor', {
    methods: ['GET'],
    route: 'doctor',
    authLevel: hostAuthLevel(config.access),
    handler: checkDeployment,
});

export async function checkDeployment(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        authorize(request, APP_ROLES.operate, config.access, 'doctor');
        // Loaded on the first request, not with the app: nobody asks for a check-up on a cold start.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { runDoctor } = require('../shared/doctor/doctorChecks') as typeof Doctor;
        const report = await runDoctor({ config });
        const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
        if (failed.length > 0) context.warn(`calls doctor: ${failed.join(', ')} failed.`);
        return jsonAnswer(200, report);
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
