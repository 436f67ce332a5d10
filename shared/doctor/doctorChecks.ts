// Every check `calls doctor` runs, in order: a later one may use what an earlier one learnt. A new capability
// adds its checks here and its Graph permissions to graphChecks.ts.

import { signingKeysCheck } from './callbackChecks';
import { runChecks, type DoctorCheck, type DoctorContext, type DoctorReport } from './doctorCheck';
import { botAppIdCheck, graphPermissionsCheck, graphTokenCheck } from './graphChecks';
import { callbackAuthCheck, settingsCheck } from './settingsChecks';
import { relayEndpointCheck, relayQueueCheck } from './relayChecks';
import { signInCheck } from './signInCheck';
import { queueCheck, tableCheck } from './storageChecks';
import { telemetryCheck } from './telemetryCheck';

const DOCTOR_CHECKS: readonly DoctorCheck[] = [
    settingsCheck,
    callbackAuthCheck,
    tableCheck,
    queueCheck,
    signingKeysCheck,
    graphTokenCheck,
    graphPermissionsCheck,
    botAppIdCheck,
    signInCheck,
    relayQueueCheck,
    relayEndpointCheck,
    telemetryCheck,
];

/** Every check, in order. */
export function runDoctor(context: DoctorContext): Promise<DoctorReport> {
    return runChecks(DOCTOR_CHECKS, context);
}
