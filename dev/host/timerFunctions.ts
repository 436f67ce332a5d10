// The app's timer-triggered functions, read from the bindings `app.timer(...)` registered: the schedule with its
// `%SETTING%` references resolved, runOnStartup, and whether the schedule is monitored (the host's rules).

import type { RegisteredFunction } from './coreApi';
import { HostStartupError } from './errors';
import { triggerOf } from './invocation';
import type { TimerDefinition } from './timerListener';
import { resolveSettingReferences, SettingReferenceError } from './settingReferences';
import { TimerSchedule, TimerScheduleError } from './timerSchedule';

export interface TimerFunction extends TimerDefinition {
    fn: RegisteredFunction;
    /** The schedule as registered, e.g. `%RECONCILE_SCHEDULE%`. */
    declaredSchedule: string;
}

function isTimerFunction(fn: RegisteredFunction): boolean {
    return triggerOf(fn)?.type?.toLowerCase() === 'timertrigger';
}

/**
 * @param settings the app settings (the process environment once local.settings.json is applied)
 * @throws HostStartupError naming the function when its schedule is missing, names an unset setting or is not NCRONTAB
 */
export function timerFunctionsOf(functions: Iterable<RegisteredFunction>, settings: Readonly<Record<string, string | undefined>>, now = new Date()): TimerFunction[] {
    const timers: TimerFunction[] = [];
    for (const fn of functions) {
        if (!isTimerFunction(fn)) continue;
        const name = fn.metadata.name;
        const binding = triggerOf(fn) ?? {};
        const declared = binding.schedule;
        if (typeof declared !== 'string' || declared.trim() === '') {
            throw new HostStartupError(`Function "${name}": its timer trigger has no schedule.`);
        }
        let schedule: TimerSchedule;
        try {
            schedule = TimerSchedule.parse(resolveSettingReferences(declared, settings));
        } catch (err) {
            if (!(err instanceof TimerScheduleError || err instanceof SettingReferenceError)) throw err;
            throw new HostStartupError(`Function "${name}": its timer schedule ${JSON.stringify(declared)} cannot be used: ${err.message}`);
        }
        timers.push({
            fn,
            name,
            timerName: `Host.Functions.${name}`,
            declaredSchedule: declared,
            schedule,
            runOnStartup: binding.runOnStartup === true,
            // The host stops monitoring schedules that fire more than once a minute, even when asked to.
            useMonitor: binding.useMonitor !== false && !schedule.firesMoreThanOncePerMinute(now),
        });
    }
    return timers;
}
