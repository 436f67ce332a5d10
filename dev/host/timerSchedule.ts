// A timer trigger's schedule as the Functions host reads it, once its `%SETTING%` references are resolved
// (settingReferences.ts): an NCRONTAB expression (`{second} {minute} {hour} {day} {month} {day-of-week}`, or the
// five fields without seconds) evaluated in the host's local time zone. Parsing and evaluation are croner's; the
// checks here only refuse what croner accepts but NCRONTAB does not, so a schedule that runs locally also runs in Azure.

import { Cron } from 'croner';

/** The schedule cannot be used; the message says why, without the function's name (the caller adds it). */
export class TimerScheduleError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'TimerScheduleError';
    }
}

/** NCRONTAB has no `?`, `L`, `W` or `#`, and numbers days of the week 0 (Sunday) to 6. */
const PLAIN_FIELD = /^[\d*,/-]+$/;
const NAMED_FIELD = /^(?:[\d*,/-]|[A-Za-z]{3})+$/;
const FIELD_NAMES = ['second', 'minute', 'hour', 'day', 'month', 'day-of-week'] as const;

export class TimerSchedule {
    /** The expression after `%SETTING%` resolution, as the host logs it. */
    readonly expression: string;
    readonly #cron: Cron;

    private constructor(expression: string, cron: Cron) {
        this.expression = expression;
        this.#cron = cron;
    }

    /**
     * @param expression the resolved expression
     * @example
     * TimerSchedule.parse('0 *\/5 * * * *').next(new Date('2026-03-02T10:01:00Z')) // 10:05:00 local
     */
    static parse(expression: string): TimerSchedule {
        const fields = expression.trim().split(/\s+/);
        if (fields.length !== 5 && fields.length !== 6) {
            throw new TimerScheduleError(
                `"${expression}" is not an NCRONTAB expression: it needs six fields ({second} {minute} {hour} {day} {month} {day-of-week}), or five without the seconds.`,
            );
        }
        const names = fields.length === 6 ? FIELD_NAMES : FIELD_NAMES.slice(1);
        for (const [index, field] of fields.entries()) checkNcrontabField(field, names[index] ?? 'field', expression);
        let cron: Cron;
        try {
            // domAndDow: NCRONTAB runs on days that match both the day and the day of the week.
            cron = new Cron(fields.join(' '), { paused: true, mode: '5-or-6-parts', domAndDow: true });
        } catch (err) {
            throw new TimerScheduleError(`"${expression}" is not a valid NCRONTAB expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`);
        }
        const schedule = new TimerSchedule(fields.join(' '), cron);
        if (cron.nextRun(new Date()) === null) {
            throw new TimerScheduleError(`"${expression}" never occurs (no date matches all its fields).`);
        }
        return schedule;
    }

    /** The first occurrence strictly after `after`. */
    next(after: Date): Date {
        const next = this.#cron.nextRun(after);
        if (next === null) {
            throw new TimerScheduleError(`"${this.expression}" has no occurrence after ${after.toISOString()}.`);
        }
        return next;
    }

    /**
     * True for schedules that fire more than once a minute, for which the host turns schedule monitoring off:
     * every field from the minutes up is `*`, and the seconds field matches more than once a minute.
     */
    firesMoreThanOncePerMinute(now: Date): boolean {
        const fields = this.expression.split(' ');
        if (fields.length !== 6 || !fields.slice(1).every((field) => field === '*')) return false;
        const second = this.next(now);
        return this.next(second).getTime() - now.getTime() <= 60_000;
    }
}

function checkNcrontabField(field: string, name: (typeof FIELD_NAMES)[number] | 'field', expression: string): void {
    const named = name === 'month' || name === 'day-of-week';
    if (!(named ? NAMED_FIELD : PLAIN_FIELD).test(field)) {
        throw new TimerScheduleError(
            `"${expression}": the ${name} field "${field}" is not NCRONTAB (numbers, *, ranges a-b, steps /n and lists a,b${named ? ', three-letter names' : ''}; no ?, L, W or #).`,
        );
    }
    if (name === 'day-of-week') {
        // A number after '/' is a step, not a day.
        const days = [...field.matchAll(/(?<!\/)\d+/g)].map((match) => Number(match[0]));
        if (days.some((day) => day > 6)) {
            throw new TimerScheduleError(`"${expression}": days of the week run from 0 (Sunday) to 6 (Saturday) in NCRONTAB, not "${field}".`);
        }
    }
}
