// Remembers each timer's schedule status between runs of the host, so a host that was stopped over an occurrence
// runs it once at its next start with `isPastDue: true`, as the Functions host does with its schedule monitor.
// The Functions host keeps the status in AzureWebJobsStorage; this one keeps it in files (the WebJobs SDK's
// FileSystemScheduleMonitor does the same), one JSON document per timer in the same shape.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logLine } from './hostLog';
import { isNever, NEVER, parseScheduleStatus, scheduleStatusJson, type ScheduleStatus } from './timerInfo';
import type { TimerSchedule } from './timerSchedule';

export class ScheduleMonitor {
    readonly directory: string;

    constructor(directory: string) {
        this.directory = directory;
    }

    /** The recorded status, or null when none was recorded (or the file is unreadable: then it starts afresh). */
    getStatus(timerName: string): ScheduleStatus | null {
        let text: string;
        try {
            text = readFileSync(this.#file(timerName), 'utf8');
        } catch {
            return null;
        }
        try {
            return parseScheduleStatus(JSON.parse(text)) ?? null;
        } catch {
            return null;
        }
    }

    /** Best effort, as in the host: a status that cannot be written is logged, and the timer goes on. */
    updateStatus(timerName: string, status: ScheduleStatus): void {
        const file = this.#file(timerName);
        try {
            mkdirSync(this.directory, { recursive: true });
            // Written whole, then moved in place, so a crash never leaves half a status behind.
            writeFileSync(`${file}.tmp`, JSON.stringify(scheduleStatusJson(status)));
            renameSync(`${file}.tmp`, file);
        } catch (err) {
            logLine(`[Error] Function '${timerName}' failed to update the timer trigger status: ${(err as Error).message}`);
        }
    }

    /**
     * How late the timer is at start-up (0: not past due), and the status to go on from, by the rules of the host's
     * ScheduleMonitor.CheckPastDueAsync: a status is recorded when there was none, or renewed when the schedule
     * changed since it was written (then an occurrence of the new schedule in the past is not "missed").
     */
    checkPastDue(timerName: string, now: Date, schedule: TimerSchedule, lastStatus: ScheduleStatus | null): { pastDueMs: number; status: ScheduleStatus | null } {
        let recordedNext: Date;
        if (lastStatus === null) {
            // A new timer: record its next occurrence now, so one missed before the first run is still noticed.
            recordedNext = schedule.next(now);
            this.updateStatus(timerName, { last: NEVER, next: recordedNext, lastUpdated: now });
        } else {
            const from = !isNever(lastStatus.last) ? lastStatus.last : !isNever(lastStatus.lastUpdated) ? lastStatus.lastUpdated : now;
            let expectedNext = schedule.next(from);
            let lastUpdated = from;
            if (lastStatus.next.getTime() !== expectedNext.getTime()) {
                if (now > expectedNext) {
                    expectedNext = schedule.next(now);
                    lastUpdated = now;
                }
                lastStatus = { last: NEVER, next: expectedNext, lastUpdated };
                this.updateStatus(timerName, lastStatus);
            }
            recordedNext = lastStatus.next;
        }
        return { pastDueMs: Math.max(0, now.getTime() - recordedNext.getTime()), status: lastStatus };
    }

    #file(timerName: string): string {
        return path.join(this.directory, `${timerName}.status`);
    }
}
