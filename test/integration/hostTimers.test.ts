// The local host's timers and admin API, against the fixture app's `tick`, `yearly` and `queued` functions
// (test/fixtures/hostApp/functions/timers.ts): schedules with %SETTING%s from local.settings.json, the Timer object,
// runOnStartup, past-due runs after a restart, one scheduled run at a time, and runs asked for over
// `POST /admin/functions/{name}` — each as the Azure Functions host does it (see dev/host/timerListener.ts).

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { jsonDate } from '../../dev/host/timerInfo';
import { HostExitedError, REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';

const FIXTURE_APP = path.join(REPOSITORY_ROOT, 'test/fixtures/hostApp');
/** Never fires during a test: a timer on it only runs on start-up or when asked to. */
const YEARLY = '0 0 0 1 1 *';

interface Timer {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
}

interface Run {
    functionName: string;
    invocationId: string;
    trigger: unknown;
    /** Runs of the same function going on when this one ended, itself included. */
    active: number;
    startedAt: number;
    endedAt: number;
}

/** .NET's round-trip format of a local time, as "Timer fired at ..." gives it. */
const ROUND_TRIP_TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d/;

interface TimerHostOptions {
    /** local.settings.json Values (the schedule setting is read from here, not from the environment); null leaves one out. */
    values?: Record<string, string | null>;
    env?: Record<string, string>;
    timerStatusDir?: string;
}

const folders: string[] = [];
after(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function folder(purpose: string): string {
    const made = mkdtempSync(path.join(os.tmpdir(), `host-timers-${purpose}-`));
    folders.push(made);
    return made;
}

function startTimerHost(options: TimerHostOptions = {}): Promise<HostProcess> {
    const settingsFile = path.join(folder('settings'), 'local.settings.json');
    const values = Object.entries({ HOST_FIXTURE_TICK_SCHEDULE: YEARLY, ...options.values }).filter(([, value]) => value !== null);
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: Object.fromEntries(values) }));
    return startHostProcess({
        appDir: FIXTURE_APP,
        settingsFile,
        env: { HOST_FIXTURE_TIMERS: 'on', ...options.env },
        timerStatusDir: options.timerStatusDir ?? folder('status'),
    });
}

function runsOf(host: HostProcess, functionName: string): Run[] {
    const runs: Run[] = [];
    for (const match of host.logs().matchAll(/\] \[Information\] Functions\.(\w+) \(Id=([0-9a-f-]{36})\): run (\{.*\})\n/g)) {
        if (match[1] === functionName) runs.push({ functionName, invocationId: match[2] ?? '', ...(JSON.parse(match[3] ?? '{}') as Omit<Run, 'functionName' | 'invocationId'>) });
    }
    return runs;
}

/** Polls `holds` until it is true; the deadline only bounds how long a failure takes to show. */
async function eventuallyTrue(holds: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!holds()) {
        if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
}

async function waitForRuns(host: HostProcess, functionName: string, count: number, timeoutMs = 30_000): Promise<Run[]> {
    const deadline = Date.now() + timeoutMs;
    while (runsOf(host, functionName).length < count) {
        if (Date.now() > deadline) assert.fail(`${functionName} ran ${runsOf(host, functionName).length} time(s), not ${count}, within ${timeoutMs} ms:\n${host.logs()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return runsOf(host, functionName);
}

function admin(host: HostProcess, name: string, body: string | undefined = '{"input": ""}', contentType = 'application/json'): Promise<Response> {
    const origin = new URL(host.baseUrl).origin;
    return fetch(`${origin}/admin/functions/${name}`, { method: 'POST', headers: { 'content-type': contentType }, ...(body === undefined ? {} : { body }) });
}

async function problemOf(response: Response, status: number): Promise<string> {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    const body = (await response.json()) as { status: number; detail: string };
    assert.equal(body.status, status);
    return body.detail;
}

async function expectStartupFailure(options: TimerHostOptions): Promise<string> {
    const error = await startTimerHost(options).then(
        async (host) => {
            await host.stop();
            assert.fail('the host started although it should have refused to');
        },
        (err: unknown) => err,
    );
    assert.ok(error instanceof HostExitedError, String(error));
    assert.equal(error.exitCode, 1);
    return error.output;
}

describe('local host: timers on their schedules', () => {
    test('a schedule from a local.settings.json %SETTING% runs every second, with the Timer object of an unmonitored schedule', async () => {
        // prepare
        const host = await startTimerHost({ values: { HOST_FIXTURE_TICK_SCHEDULE: '* * * * * *' } });
        try {
            // act
            const runs = await waitForRuns(host, 'tick', 2);

            // assess
            const logs = host.logs();
            assert.match(
                logs,
                / {2}tick: timerTrigger, schedule \* \* \* \* \* \* \(from %HOST_FIXTURE_TICK_SCHEDULE%\), not monitored, next run \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d\n/,
            );
            assert.match(logs, new RegExp(`Executing 'Functions\\.tick' \\(Reason='Timer fired at ${ROUND_TRIP_TIME.source}', Id=${runs[0]?.invocationId}\\)`));
            // More than once a minute: the host does not monitor the schedule, so the Timer has no status.
            assert.deepEqual(runs[0]?.trigger, { schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false } satisfies Timer);
            const [first, second] = runs as [Run, Run];
            assert.ok(second.startedAt - first.startedAt >= 900, `one second apart: ${first.startedAt}, ${second.startedAt}`);
        } finally {
            await host.stop();
        }
    });

    test('a run that outlasts the next occurrences is followed by one run at once, never by two at a time', async () => {
        // prepare: every 2 s, each run taking 2.5 s
        const host = await startTimerHost({ values: { HOST_FIXTURE_TICK_SCHEDULE: '*/2 * * * * *' }, env: { HOST_FIXTURE_TICK_MS: '2500' } });
        try {
            // act
            const runs = await waitForRuns(host, 'tick', 3);

            // assess
            assert.ok(
                runs.every((run) => run.active === 1),
                `runs overlapped: ${JSON.stringify(runs)}`,
            );
            for (const [earlier, later] of [runs.slice(0, 2), runs.slice(1, 3)] as Array<[Run, Run]>) {
                assert.ok(later.startedAt >= earlier.endedAt, 'a run starts after the previous one ended');
                assert.equal((later.trigger as Timer).isPastDue, false, 'a late run within one host is not "past due"');
            }
        } finally {
            await host.stop();
        }
    });

    test('runOnStartup runs the timer once at start-up, with its schedule status when monitored', async () => {
        // prepare
        const host = await startTimerHost({ env: { HOST_FIXTURE_TICK_RUN_ON_STARTUP: 'true' } });
        try {
            // act
            const [run] = await waitForRuns(host, 'tick', 1);

            // assess
            const logs = host.logs();
            assert.match(
                logs,
                / {2}tick: timerTrigger, schedule 0 0 0 1 1 \* \(from %HOST_FIXTURE_TICK_SCHEDULE%\), next run now \(runOnStartup\), then \d{4}-01-01T00:00:00[+-]\d\d:\d\d\n/,
            );
            assert.match(
                logs,
                /Trigger Details: UnscheduledInvocationReason: RunOnStartup, ScheduleStatus: \{"Last":"0001-01-01T00:00:00[+-]\d\d:\d\d","Next":"\d{4}-01-01T00:00:00[+-]\d\d:\d\d","LastUpdated":"0001-01-01T00:00:00[+-]\d\d:\d\d"\}\n/,
            );
            const timer = run?.trigger as Timer;
            assert.equal(timer.isPastDue, false);
            assert.equal(timer.scheduleStatus?.last.startsWith('0001-01-01T00:00:00'), true, 'never ran before');
            assert.equal(timer.scheduleStatus?.next, jsonDate(new Date(new Date().getFullYear() + 1, 0, 1)));
            await new Promise((resolve) => setTimeout(resolve, 500));
            assert.equal(runsOf(host, 'tick').length, 1, 'once');
        } finally {
            await host.stop();
        }
    });

    test('a host started after a missed occurrence runs it once at start-up with isPastDue, and records the run', async () => {
        // prepare: the status a host that ran at the last New Year would have left, so this New Year was missed
        const statusDir = folder('status');
        const thisYear = new Date().getFullYear();
        const recorded = { Last: jsonDate(new Date(thisYear - 1, 0, 1)), Next: jsonDate(new Date(thisYear, 0, 1)), LastUpdated: jsonDate(new Date(thisYear - 1, 0, 1)) };
        const statusFile = path.join(statusDir, 'Host.Functions.yearly.status');
        writeFileSync(statusFile, JSON.stringify(recorded));

        // act
        const startedAt = Date.now();
        const host = await startTimerHost({ timerStatusDir: statusDir });
        try {
            const [run] = await waitForRuns(host, 'yearly', 1);

            // assess
            const timer = run?.trigger as Timer;
            assert.equal(timer.isPastDue, true);
            assert.deepEqual(timer.scheduleStatus, { last: recorded.Last, next: recorded.Next, lastUpdated: recorded.LastUpdated });
            assert.match(host.logs(), / {2}yearly: timerTrigger, schedule 0 0 0 1 1 \*, next run now \(past due\), then /);
            assert.match(
                host.logs(),
                new RegExp(`Trigger Details: UnscheduledInvocationReason: IsPastDue, OriginalSchedule: ${thisYear}-01-01T00:00:00\\.0000000[+-]\\d\\d:\\d\\d, ScheduleStatus: `),
            );
            assert.equal(runsOf(host, 'tick').length, 0, 'only the timer that missed an occurrence runs');
            await host.waitForLog(/Executed 'Functions\.yearly' \(Succeeded/);
            const after = JSON.parse(readFileSync(statusFile, 'utf8')) as Record<string, string>;
            assert.equal(after.Next, jsonDate(new Date(thisYear + 1, 0, 1)));
            // Last is when the host invoked the run: after the host started, no later than the run's own start.
            const last = new Date(after.Last ?? '').getTime();
            assert.ok(last >= startedAt - 1000 && last <= (run?.startedAt ?? 0), `Last is the run's invocation: ${after.Last}`);
        } finally {
            await host.stop();
        }
    });

    test('a restart that missed nothing runs nothing', async () => {
        // prepare
        const statusDir = folder('status');
        const first = await startTimerHost({ timerStatusDir: statusDir });
        await first.stop();

        // act
        const second = await startTimerHost({ timerStatusDir: statusDir });
        try {
            await new Promise((resolve) => setTimeout(resolve, 500));

            // assess
            assert.equal(runsOf(second, 'yearly').length, 0);
            assert.match(second.logs(), / {2}yearly: timerTrigger, schedule 0 0 0 1 1 \*, next run \d{4}-01-01T/);
        } finally {
            await second.stop();
        }
    });

    test('SIGTERM waits for a timer run in progress', async () => {
        // prepare
        const host = await startTimerHost({ env: { HOST_FIXTURE_TICK_RUN_ON_STARTUP: 'true', HOST_FIXTURE_TICK_MS: '800' } });
        await host.waitForLog("Executing 'Functions.tick'");

        // act
        await host.stop();

        // assess
        assert.equal(runsOf(host, 'tick').length, 1, host.logs());
        assert.match(host.logs(), /Executed 'Functions\.tick' \(Succeeded[\s\S]*Host stopped\./);
    });
});

describe('local host: timer schedules it refuses, naming the function', () => {
    const cases: Array<[string, Record<string, string | null>, RegExp]> = [
        [
            'a %SETTING% that is not set',
            { HOST_FIXTURE_TICK_SCHEDULE: null },
            /'%HOST_FIXTURE_TICK_SCHEDULE%' does not resolve to a value: the setting HOST_FIXTURE_TICK_SCHEDULE is not set/,
        ],
        // Resolved once, as the host's name resolver does: a value that is itself a reference is not looked up.
        [
            'a setting that names another setting',
            { HOST_FIXTURE_TICK_SCHEDULE: '%HOST_FIXTURE_OTHER%', HOST_FIXTURE_OTHER: YEARLY },
            /"%HOST_FIXTURE_OTHER%" is not an NCRONTAB expression/,
        ],
        ['a second out of range', { HOST_FIXTURE_TICK_SCHEDULE: '61 * * * * *' }, /is not a valid NCRONTAB expression: .*second/i],
        ['seven fields', { HOST_FIXTURE_TICK_SCHEDULE: '0 0 0 1 1 * 2030' }, /it needs six fields/],
        ['a Quartz L', { HOST_FIXTURE_TICK_SCHEDULE: '0 0 0 L * *' }, /the day field "L" is not NCRONTAB/],
        ['day of week 7', { HOST_FIXTURE_TICK_SCHEDULE: '0 0 0 * * 7' }, /days of the week run from 0 \(Sunday\) to 6/],
        ['a date that never comes', { HOST_FIXTURE_TICK_SCHEDULE: '0 0 0 31 2 *' }, /never occurs/],
        ['an empty setting', { HOST_FIXTURE_TICK_SCHEDULE: '' }, /no schedule|needs six fields/],
    ];
    for (const [what, values, message] of cases) {
        test(what, async () => {
            // act
            const output = await expectStartupFailure({ values });

            // assess
            assert.match(output, /^Host start-up failed: Function "tick": its timer schedule /m);
            assert.match(output, message);
            assert.doesNotMatch(output, /\n\s+at /, 'no stack trace');
        });
    }

    test('%SETTING% comes from the process environment before local.settings.json', async () => {
        const host = await startTimerHost({ values: { HOST_FIXTURE_TICK_SCHEDULE: 'not a schedule' }, env: { HOST_FIXTURE_TICK_SCHEDULE: YEARLY } });
        try {
            assert.match(host.logs(), / {2}tick: timerTrigger, schedule 0 0 0 1 1 \* \(from %HOST_FIXTURE_TICK_SCHEDULE%\)/);
        } finally {
            await host.stop();
        }
    });
});

describe('local host: POST /admin/functions/{name}', () => {
    let host: HostProcess;
    let statusDir: string;
    /** While it exists, the fixture's runs do not end. */
    let holdFile: string;

    before(async () => {
        statusDir = folder('status');
        holdFile = path.join(statusDir, 'hold');
        host = await startTimerHost({ timerStatusDir: statusDir, env: { HOST_FIXTURE_HOLD_FILE: holdFile } });
    });
    after(() => host?.stop());

    test('answers 202 without waiting for the run, and runs a timer with the Timer object of a manual run', async () => {
        // prepare: the run cannot end until the test lets it
        writeFileSync(holdFile, '');

        // act
        const response = await admin(host, 'yearly');
        const endedBeforeAnswer = runsOf(host, 'yearly').length;
        rmSync(holdFile);

        // assess
        assert.equal(response.status, 202);
        assert.equal(await response.text(), '');
        assert.equal(endedBeforeAnswer, 0, 'the answer came while the run was held');
        const [run] = await waitForRuns(host, 'yearly', 1);
        assert.match(
            host.logs(),
            new RegExp(`Executing 'Functions\\.yearly' \\(Reason='This function was programmatically called via the host APIs\\.', Id=${run?.invocationId}\\)`),
        );
        const timer = run?.trigger as Timer;
        assert.equal(timer.isPastDue, false);
        // The recorded status, as the host's timer binding reads it for a run it did not schedule.
        const recorded = JSON.parse(readFileSync(path.join(statusDir, 'Host.Functions.yearly.status'), 'utf8')) as Record<string, string>;
        assert.deepEqual(timer.scheduleStatus, { last: recorded.Last, next: recorded.Next, lastUpdated: recorded.LastUpdated });
    });

    test('runs asked for at once run side by side: the host does not queue manual runs', async () => {
        // prepare: neither run can end until both have started
        const before = runsOf(host, 'yearly').length;
        const started = () => host.logs().match(/Executing 'Functions\.yearly'/g)?.length ?? 0;
        const startedBefore = started();
        writeFileSync(holdFile, '');

        // act
        const answers = await Promise.all([admin(host, 'yearly'), admin(host, 'YEARLY')]);
        await eventuallyTrue(() => started() === startedBefore + 2, 'both runs starting');
        rmSync(holdFile);

        // assess
        assert.deepEqual(
            answers.map((answer) => answer.status),
            [202, 202],
            'names are matched without regard to case',
        );
        const runs = (await waitForRuns(host, 'yearly', before + 2)).slice(before);
        assert.equal(Math.max(...runs.map((run) => run.active)), 2, 'both ran at the same time');
    });

    test('gives another trigger the input, as a queue message would carry it', async () => {
        const response = await admin(host, 'queued', JSON.stringify({ input: '{"callId":"c-1"}' }));
        assert.equal(response.status, 202);
        const [run] = await waitForRuns(host, 'queued', 1);
        assert.deepEqual(run?.trigger, { callId: 'c-1' });
    });

    test('404 problem for a function that does not exist, naming those that do', async () => {
        const detail = await problemOf(await admin(host, 'nosuchfunction'), 404);
        assert.match(detail, /There is no function named "nosuchfunction"\. The host runs: .*\btick, yearly, queued\b/);
    });

    test('a problem for a body that is not {"input": string}', async () => {
        assert.match(await problemOf(await admin(host, 'yearly', 'input='), 400), /The body is not JSON/);
        assert.match(await problemOf(await admin(host, 'yearly', ''), 400), /The body is not JSON/);
        assert.match(await problemOf(await admin(host, 'yearly', '[""]'), 400), /must be a JSON object/);
        assert.match(await problemOf(await admin(host, 'yearly', '{"input": 5}'), 400), /"input" must be a string/);
        assert.match(await problemOf(await admin(host, 'yearly', '{"input": ""}', 'application/x-www-form-urlencoded'), 415), /Content-Type: application\/json/);
    });

    test('400 for an HTTP function, and 404 for other methods', async () => {
        assert.match(await problemOf(await admin(host, 'getItem'), 400), /getItem is an HTTP function: call it on its route/);
        const origin = new URL(host.baseUrl).origin;
        await problemOf(await fetch(`${origin}/admin/functions/yearly`), 404);
    });
});
