// Runs one timer-triggered function on its schedule the way the Functions host's TimerListener does
// (azure-webjobs-sdk-extensions, Timers/Listener/TimerListener.cs): one run at a time, the timer armed again only
// when a run has ended, for the schedule's next occurrence after the moment that run *started*. A run that outlasts
// one or more occurrences is therefore followed at once by a single run (isPastDue false); the other missed
// occurrences are dropped. At start-up a past-due occurrence (schedule monitor) or runOnStartup runs first.

import type { ScheduleMonitor } from './scheduleMonitor';
import { NEVER, roundTripDate, scheduleStatusJson, type ScheduleStatus } from './timerInfo';
import type { TimerSchedule } from './timerSchedule';

/** setTimeout's longest delay (about 24.8 days); a longer wait is done in steps, as the host does with its timer. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface TimerRun {
    status: ScheduleStatus | null;
    isPastDue: boolean;
    /** `Timer fired at <local time>`: the host's reason for a timer invocation. */
    reason: string;
    triggerDetails: Record<string, string>;
}

export interface TimerDefinition {
    /** The function's name. */
    name: string;
    /** The timer's name in the schedule monitor, as the Functions host names script functions' timers. */
    timerName: string;
    schedule: TimerSchedule;
    runOnStartup: boolean;
    /** Whether the schedule status is kept (and passed to the function); false for sub-minute schedules. */
    useMonitor: boolean;
}

type FireKind = 'scheduled' | 'pastDue' | 'runOnStartup';

export class TimerListener {
    readonly timer: TimerDefinition;
    readonly #monitor: ScheduleMonitor | undefined;
    readonly #invoke: (run: TimerRun) => Promise<unknown>;
    #status: ScheduleStatus = { last: NEVER, next: NEVER, lastUpdated: NEVER };
    #handle: NodeJS.Timeout | undefined;
    #running: Promise<unknown> | undefined;
    #stopped = false;
    /** What start-up runs first, if anything: shown in the host's summary. */
    startupRun: Exclude<FireKind, 'scheduled'> | undefined;

    /** @param invoke runs the function; it must not throw (the host logs failures itself). */
    constructor(timer: TimerDefinition, monitor: ScheduleMonitor | undefined, invoke: (run: TimerRun) => Promise<unknown>) {
        this.timer = timer;
        this.#monitor = timer.useMonitor ? monitor : undefined;
        this.#invoke = invoke;
    }

    /** The next scheduled occurrence (a start-up run, if any, comes before it). */
    get nextOccurrence(): Date {
        return this.#status.next;
    }

    get monitored(): boolean {
        return this.#monitor !== undefined;
    }

    start(now = new Date()): void {
        const { timerName, schedule, runOnStartup } = this.timer;
        let pastDueMs = 0;
        let status: ScheduleStatus | null = null;
        if (this.#monitor !== undefined) {
            ({ pastDueMs, status } = this.#monitor.checkPastDue(timerName, now, schedule, this.#monitor.getStatus(timerName)));
        }
        this.#status = status ?? { last: NEVER, next: schedule.next(now), lastUpdated: NEVER };
        this.startupRun = pastDueMs > 0 ? 'pastDue' : runOnStartup ? 'runOnStartup' : undefined;
        if (this.startupRun !== undefined) {
            this.#arm(now, this.startupRun);
        } else {
            this.#arm(this.#status.next, 'scheduled');
        }
    }

    /** No further runs; resolves once the run in progress, if any, has ended. */
    async stop(): Promise<void> {
        this.#stopped = true;
        clearTimeout(this.#handle);
        await this.#running;
    }

    /** What a run asked for through the admin API gets: the recorded status (when monitored), never past due. */
    manualRunStatus(): ScheduleStatus | null {
        return this.#monitor?.getStatus(this.timer.timerName) ?? null;
    }

    #arm(at: Date, kind: FireKind): void {
        if (this.#stopped) return;
        const delay = Math.max(1, at.getTime() - Date.now());
        this.#handle = setTimeout(() => (delay > MAX_TIMER_DELAY_MS ? this.#arm(at, kind) : void this.#fire(kind)), Math.min(delay, MAX_TIMER_DELAY_MS));
    }

    async #fire(kind: FireKind): Promise<void> {
        const invocationTime = new Date();
        const triggerDetails: Record<string, string> = {};
        if (kind === 'pastDue') {
            triggerDetails.UnscheduledInvocationReason = 'IsPastDue';
            triggerDetails.OriginalSchedule = roundTripDate(this.#status.next);
        } else if (kind === 'runOnStartup') {
            triggerDetails.UnscheduledInvocationReason = 'RunOnStartup';
        }
        const status = this.#monitor === undefined ? null : this.#status;
        if (status !== null) triggerDetails.ScheduleStatus = JSON.stringify(scheduleStatusJson(status));
        this.#running = this.#invoke({ status, isPastDue: kind === 'pastDue', reason: `Timer fired at ${roundTripDate(invocationTime)}`, triggerDetails });
        try {
            await this.#running;
        } finally {
            this.#running = undefined;
        }
        // A timer that fired a moment early counts from the occurrence it was armed for, so it never runs twice for it.
        const counted = kind === 'scheduled' && this.#status.next > invocationTime ? this.#status.next : invocationTime;
        this.#status = { last: counted, next: this.timer.schedule.next(counted), lastUpdated: counted };
        this.#monitor?.updateStatus(this.timer.timerName, this.#status);
        this.#arm(this.#status.next, 'scheduled');
    }
}
