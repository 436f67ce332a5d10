// Every check `calls doctor` runs, in order: a later one may use what an earlier one learnt. A new capability
// adds its checks here (the relay's endpoint and signature, sign-in's platform settings) and its Graph
// permissions to graphChecks.ts.

import { signingKeysCheck } from './callbackChecks';
import { runChecks, type DoctorCheck, type DoctorContext, type DoctorReport } from './doctorCheck';
import { botAppIdCheck, graphPermissionsCheck, graphTokenCheck } from './graphChecks';
import { callbackAuthCheck, settingsCheck } from './settingsChecks';
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
    telemetryCheck,
];

/** Every check, in order. */
export function runDoctor(context: DoctorContext): Promise<DoctorReport> {
    return runChecks(DOCTOR_CHECKS, context);
}
