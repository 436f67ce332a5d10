// `calls doctor`: is everything wired right? Runs the doctor's checks with the settings the command line reads
// (local.settings.json, the npm start running here, the environment), or, with --app, asks the deployed app to
// run them itself (GET /api/doctor: its settings, its managed identity). One line per check, what to do under a
// failure; --json for scripts. Exit code 0 only when no check failed. Never prints a secret: the checks say
// where and as whom, never a key, a connection string or a token.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { runDoctor as runChecks } from '../shared/doctor/doctorChecks';
import type { CheckResult, DoctorReport } from '../shared/doctor/doctorCheck';
import type { CallsCommand } from './arguments';
import { CliError, EXIT, type ExitCode } from './cliError';
import { LOCAL_SETTINGS_FILE, settingsEnvironment } from './settings';

type DoctorCommand = Extract<CallsCommand, { name: 'doctor' }>;

/** What `calls doctor --app` signs in with, from the environment (a command line is visible to every user of the machine). */
const FUNCTION_KEY_VARIABLE = 'CALLS_FUNCTION_KEY';
/** With API_AUTH=entra: an Entra access token for the sign-in registration, whose principal holds CallRecord.Operate. */
const ACCESS_TOKEN_VARIABLE = 'CALLS_ACCESS_TOKEN';
const APP_TIMEOUT_MS = 120_000;

export async function runDoctor(command: DoctorCommand): Promise<ExitCode> {
    if (command.app === undefined) {
        const again = againTrustingTheLocalRun();
        if (again !== undefined) return again;
    }
    const { report, where } = command.app === undefined ? await locally() : await inTheApp(command.app);
    process.stdout.write(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, where));
    return report.ok ? EXIT.ok : EXIT.failed;
}

/**
 * The checks reach the simulator of a running `npm start` over HTTPS, signed by its own CA, which Node trusts only
 * through NODE_EXTRA_CA_CERTS, read when the process starts: when the run file names certificates this process was
 * not started with, the command runs once more with them (as the app itself runs), and its exit code is this one's.
 */
function againTrustingTheLocalRun(): ExitCode | undefined {
    const caFile = settingsEnvironment(path.join(process.cwd(), LOCAL_SETTINGS_FILE), process.env).localRun?.caFile;
    if (caFile === undefined || process.env.NODE_EXTRA_CA_CERTS === caFile) return undefined;
    const again = spawnSync(process.execPath, process.argv.slice(1), { stdio: 'inherit', env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
    return again.status === EXIT.ok ? EXIT.ok : again.status === EXIT.usage ? EXIT.usage : EXIT.failed;
}

async function locally(): Promise<{ report: DoctorReport; where: string }> {
    const settingsFile = path.join(process.cwd(), LOCAL_SETTINGS_FILE);
    const settings = settingsEnvironment(settingsFile, process.env);
    const sources = [
        `${LOCAL_SETTINGS_FILE} in ${process.cwd()}`,
        ...(settings.localRun === undefined ? [] : [`the npm start running here (pid ${settings.localRun.pid})`]),
        'the environment',
    ];
    return { report: await runChecks({ env: settings.environment }), where: `with the settings of ${sources.join(', ')}` };
}

async function inTheApp(appUrl: string): Promise<{ report: DoctorReport; where: string }> {
    const url = `${appUrl.replace(/\/+$/, '')}/doctor`;
    const key = process.env[FUNCTION_KEY_VARIABLE];
    const token = process.env[ACCESS_TOKEN_VARIABLE];
    const headers: Record<string, string> = { ...(key ? { 'x-functions-key': key } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    let response: Response;
    try {
        response = await fetch(url, { headers, signal: AbortSignal.timeout(APP_TIMEOUT_MS) });
    } catch (err) {
        throw new CliError(
            EXIT.failed,
            `GET ${url} got no answer: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}. Is the URL the app's base URL, ending in /api?`,
        );
    }
    if (response.status === 401 || response.status === 403) {
        const detail = ((await response.json().catch(() => undefined)) as { detail?: unknown } | undefined)?.detail;
        throw new CliError(
            EXIT.failed,
            `GET ${url} answered ${response.status}${typeof detail === 'string' ? ` (${detail})` : ''}. With API_AUTH=functionKey it needs a function key in ${FUNCTION_KEY_VARIABLE} ` +
                `(az functionapp keys list); with API_AUTH=entra an Entra access token for the sign-in registration (api://<AUTH_CLIENT_ID>) in ${ACCESS_TOKEN_VARIABLE}, for someone or an application holding CallRecord.Operate.`,
        );
    }
    const body = (await response.json().catch(() => undefined)) as DoctorReport | undefined;
    if (response.status !== 200 || body === undefined || !Array.isArray(body.checks)) {
        throw new CliError(EXIT.failed, `GET ${url} answered ${response.status} without the doctor's report: is the app deployed from this version?`);
    }
    return { report: body, where: `inside the app at ${appUrl}, with its settings and identity` };
}

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', fail: 'FAIL', skip: 'skip' };

/** One line per check, the action under a failure, and the verdict last. */
function formatReport(report: DoctorReport, where: string): string {
    const width = Math.max(...report.checks.map((check) => check.id.length));
    const lines = [`calls doctor: ${report.checks.length} checks, ${where}.`];
    for (const check of report.checks) {
        lines.push(`  ${MARK[check.status]}  ${check.id.padEnd(width)}  ${check.detail}`);
        if (check.status === 'fail' && check.action !== undefined) lines.push(`  ${' '.repeat(4)}  ${' '.repeat(width)}  What to do: ${check.action}`);
    }
    const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.id);
    const skipped = report.checks.filter((check) => check.status === 'skip').length;
    lines.push(
        failed.length === 0
            ? `All is well: ${report.checks.length - skipped} checks passed${skipped === 0 ? '' : `, ${skipped} did not apply`}.`
            : `${failed.length} of ${report.checks.length} checks failed: ${failed.join(', ')}.`,
    );
    return `${lines.join('\n')}\n`;
}
