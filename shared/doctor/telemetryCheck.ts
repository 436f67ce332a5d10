// The app's telemetry: without it nothing counts the callbacks and no alert rule can fire. With Entra-only
// ingestion (the template's), a token for Azure Monitor with the credential the exporter uses; whether the
// identity holds Monitoring Metrics Publisher shows only when ingestion answers, which this check does not try.

import { monitorCredential } from '../settings/credentials';
import { CHECK_TIMEOUT_MS, firstLine, withSettings, type DoctorCheck } from './doctorCheck';
import { identitySignIn } from './settingsChecks';

const MONITOR_SCOPE = 'https://monitor.azure.com//.default';

export const telemetryCheck: DoctorCheck = {
    id: 'telemetry',
    title: 'telemetry to Application Insights',
    run: (context) =>
        withSettings(context, async ({ telemetry, runningInAzure }) => {
            const azureMonitor = telemetry.azureMonitor;
            if (azureMonitor === undefined) {
                return runningInAzure
                    ? {
                          status: 'fail',
                          detail: 'APPLICATIONINSIGHTS_CONNECTION_STRING is not set: nothing counts callbacks or failures, and no alert rule can fire.',
                          action: 'Set it to the Application Insights connection string (the template does), with APPLICATIONINSIGHTS_AUTHENTICATION_STRING for Entra sign-in.',
                      }
                    : { status: 'skip', detail: 'Off here (no APPLICATIONINSIGHTS_CONNECTION_STRING); npm start -- --telemetry prints a local summary.' };
            }
            const { credential } = azureMonitor;
            if (credential === undefined) {
                return { status: 'ok', detail: 'Sent with the instrumentation key alone: the component must allow local authentication.' };
            }
            try {
                await monitorCredential(credential).getToken(MONITOR_SCOPE, { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
            } catch (err) {
                return {
                    status: 'fail',
                    detail: `No Azure Monitor token for ${identitySignIn(credential)}: ${firstLine(err)}`,
                    action: "Check the ClientId in APPLICATIONINSIGHTS_AUTHENTICATION_STRING names the Function App's identity.",
                };
            }
            return {
                status: 'ok',
                detail: `Signed in as ${identitySignIn(credential)}; ingestion also needs its Monitoring Metrics Publisher role on the component (the template assigns it).`,
            };
        }),
};
