// What a doctor check is and how the checks run: each says of one thing whether it is right (`ok`), wrong and
// what to do about it (`fail`), or does not apply here (`skip`, with why). The checks run in their list's order;
// a later check may use what an earlier one learnt (the settings, the Graph token's claims). A check that throws
// is a failure of that check, never of the run. Nothing a check says may hold a secret.

import type { AppConfig, Environment } from '../settings/config';

export interface Verdict {
    status: 'ok' | 'fail' | 'skip';
    /** What was found, in a sentence or two. */
    detail: string;
    /** What to do about a failure. */
    action?: string;
}

export interface CheckResult extends Verdict {
    id: string;
    title: string;
}

/** The claims of the app's Graph token the checks read (never the token). */
interface GraphTokenClaims {
    appId?: string;
    appName?: string;
    tenantId?: string;
    roles: readonly string[];
}

/**
 * What the checks share: the settings (as an environment to load them from, the command line's case, or as the
 * app has loaded them, the app's own), and what earlier checks learnt.
 */
export interface DoctorContext {
    readonly env?: Environment;
    /** Given by the app, or set by the settings check when they load. */
    config?: AppConfig;
    /** Set by the Graph token check when a token was had. */
    graphToken?: GraphTokenClaims;
}

export interface DoctorCheck {
    /** Short and stable, for scripts (`--json`). */
    id: string;
    title: string;
    run(context: DoctorContext): Promise<Verdict>;
}

/** The checks' results as `calls doctor --json` and `GET /api/doctor` give them. */
export interface DoctorReport {
    /** No check failed. */
    ok: boolean;
    checks: CheckResult[];
}

/** How long one check may wait for a service before it says so. */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * Runs the checks in order; resolves with one result per check.
 *
 * @example
 * const { ok, checks } = await runChecks(DOCTOR_CHECKS, { env: settingsEnvironment });
 */
export async function runChecks(checks: readonly DoctorCheck[], context: DoctorContext): Promise<DoctorReport> {
    const results: CheckResult[] = [];
    for (const check of checks) {
        let verdict: Verdict;
        try {
            verdict = await check.run(context);
        } catch (err) {
            verdict = { status: 'fail', detail: `The check itself failed: ${firstLine(err)}` };
        }
        results.push({ id: check.id, title: check.title, ...verdict });
    }
    return { ok: results.every((result) => result.status !== 'fail'), checks: results };
}

/** The settings, or the verdict of a check that cannot run without them. */
export function withSettings(context: DoctorContext, run: (config: AppConfig) => Promise<Verdict>): Promise<Verdict> {
    if (context.config === undefined) return Promise.resolve({ status: 'skip', detail: 'The settings do not load (see above).' });
    return run(context.config);
}

/** The first line of an error's message, which is where SDKs put their own words. */
export function firstLine(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    return (message.split(/\r?\n/)[0] ?? '').trim();
}
