// GET /api/doctor: calls doctor's checks, run by the app itself with its settings and its identity (in Azure the
// managed identity, which no one outside the app can sign in as), answered as JSON for `calls doctor --app`.

import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { DOCTOR_CHECKS } from '../shared/doctor/doctorChecks';
import { runChecks } from '../shared/doctor/doctorCheck';
import { jsonAnswer, problemAnswer } from '../shared/problem';
import { appConfig } from '../shared/settings/config';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

app.http('doctor', {
    methods: ['GET'],
    route: 'doctor',
    authLevel: 'function',
    handler: checkDeployment,
});

export async function checkDeployment(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
    try {
        const report = await runChecks(DOCTOR_CHECKS, { config });
        if (!report.ok)
            context.warn(
                `calls doctor: ${report.checks
                    .filter((check) => check.status === 'fail')
                    .map((check) => check.id)
                    .join(', ')} failed.`,
            );
        return jsonAnswer(200, report);
    } catch (err) {
        return problemAnswer(err, context, context.invocationId);
    }
}
