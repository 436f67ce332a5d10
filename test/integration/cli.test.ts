// The `calls` command line, compiled and run as a child process against Azurite, over a call the real
// CallStore wrote: text and --json output, settings from the environment and local.settings.json, and
// the exit codes and messages for unknown calls, bad arguments, bad settings and unreachable storage.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { CallEventJson, CallListPageJson, CallSummaryJson, HistoryPageJson } from '../../shared/query/callJson';
import type { NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';

const CLI = path.resolve(__dirname, '../../cli/calls.js');
const CALL = 'cli-sample-call';
const T0 = Date.parse('2026-11-29T10:00:00Z');

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

/** The sample call: a whole life, with a participants update, a hang-up request and Graph's result. */
function sampleEvents(): NewCallEvent[] {
    const at = (seconds: number) => new Date(T0 + seconds * 1000);
    const call = `/communications/calls/${CALL}`;
    return [
        {
            kind: 'notification',
            resourceKind: 'call',
            resourceUrl: call,
            changeType: 'created',
            callState: 'incoming',
            receivedAt: at(0),
            graphEtag: 'W/"1"',
            resourceData: '{"state":"incoming"}',
        },
        {
            kind: 'notification',
            resourceKind: 'call',
            resourceUrl: call,
            changeType: 'updated',
            callState: 'established',
            receivedAt: at(2),
            graphEtag: 'W/"2"',
            resourceData: '{"state":"established"}',
        },
        { kind: 'notification', resourceKind: 'participants', resourceUrl: `${call}/participants`, changeType: 'updated', receivedAt: at(3), resourceData: '[{"id":"p1"}]' },
        { kind: 'hangupRequest', receivedAt: at(60), httpStatus: 204, graphRequestId: 'req-7f3a' },
        {
            kind: 'notification',
            resourceKind: 'call',
            resourceUrl: call,
            changeType: 'updated',
            callState: 'terminated',
            receivedAt: at(61),
            graphEtag: 'W/"3"',
            resultCode: 0,
            resultSubcode: 540000,
            resultMessage: 'Call ended by the app\u001b[31m',
            terminationReason: 'AppInitiated',
            resourceData: '{"state":"terminated"}',
        },
        {
            kind: 'notification',
            resourceKind: 'call',
            resourceUrl: call,
            changeType: 'deleted',
            callState: 'terminated',
            receivedAt: at(62),
            resourceData: '{"state":"terminated"}',
        },
    ];
}

describe('calls command line against Azurite', () => {
    const tableName = uniqueTableName('cli');
    let emptyDir: string;
    let settingsDir: string;

    before(async () => {
        const store = new CallStore(testTableClient(tableName), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(CALL, sampleEvents());
        await store.appendCallEvents('cli-other-call', [
            { kind: 'notification', resourceKind: 'call', changeType: 'created', callState: 'establishing', receivedAt: new Date(T0) },
        ]);
        await store.appendCallEvents('_unrouted', [
            { kind: 'rejected', receivedAt: new Date(T0), rejectReason: 'The notification has no resourceUrl or resource.', resourceData: '{"changeType":"updated"}' },
        ]);
        emptyDir = mkdtempSync(path.join(os.tmpdir(), 'calls-cli-'));
        settingsDir = mkdtempSync(path.join(os.tmpdir(), 'calls-cli-settings-'));
    });
    after(() => {
        rmSync(emptyDir, { recursive: true, force: true });
        rmSync(settingsDir, { recursive: true, force: true });
    });

    /** Runs the CLI with only the given settings: nothing from this process's environment leaks in. */
    function calls(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
        const env = options.env ?? { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName };
        return new Promise((resolve) => {
            execFile(process.execPath, [CLI, ...args], { cwd: options.cwd ?? emptyDir, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
                resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
            });
        });
    }

    function assertCleanFailure(run: Run, code: number, message: RegExp): void {
        assert.equal(run.code, code, `exit code; stderr: ${run.stderr}`);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, message);
        assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    }

    test('history prints a timeline line for every event, with state, etag and reason', async () => {
        const run = await calls(['history', CALL]);

        assert.equal(run.code, 0, run.stderr);
        const lines = run.stdout.split('\n');
        const timeline = lines.slice(lines.findIndex((line) => line.startsWith('SEQ')) + 1).filter((line) => line !== '');
        assert.equal(timeline.length, sampleEvents().length, run.stdout);
        sampleEvents().forEach((event, i) => {
            const line = timeline[i] ?? '';
            assert.match(line, new RegExp(`^\\s*${i + 1}  ${event.receivedAt.toISOString()}  ${event.kind}\\b`), line);
            for (const field of [event.changeType, event.callState, event.graphEtag, event.terminationReason]) {
                if (field !== undefined) assert.ok(line.includes(field), `${field} in ${line}`);
            }
        });
        assert.match(timeline[2] ?? '', /participants/);
        assert.match(timeline[3] ?? '', /Graph 204 request-id req-7f3a/);
        assert.match(timeline[4] ?? '', /result 0\/540000 Call ended by the app\\x1b\[31m/, 'control characters from Graph are spelled out');
        assert.match(run.stdout, /^Call cli-sample-call\n\s+state\s+terminated \(deleted\)\n/);
    });

    test('history --json parses and holds every event in order, resourceData as JSON', async () => {
        const run = await calls(['history', CALL, '--json']);

        assert.equal(run.code, 0, run.stderr);
        const page = JSON.parse(run.stdout) as HistoryPageJson;
        assert.equal(page.callId, CALL);
        assert.deepEqual(
            page.events.map((e) => e.sequence),
            [1, 2, 3, 4, 5, 6],
        );
        assert.deepEqual(page.events[2]?.resourceData, [{ id: 'p1' }]);
        assert.deepEqual(
            page.events.map((e) => e.kind),
            sampleEvents().map((e) => e.kind),
        );
        assert.equal((page.events[3] as CallEventJson).httpStatus, 204);
    });

    test('show prints the summary, and --json the API summary', async () => {
        const text = await calls(['show', CALL]);
        const json = await calls(['show', CALL, '--json']);

        assert.equal(text.code, 0, text.stderr);
        assert.match(text.stdout, /termination\s+AppInitiated/);
        assert.match(text.stdout, /hang-up requested\s+2026-11-29T10:01:00.000Z \(Graph answered 204\)/);
        const summary = JSON.parse(json.stdout) as CallSummaryJson;
        assert.deepEqual(
            [summary.callId, summary.callState, summary.deleted, summary.eventCount, summary.resultSubcode, summary.hangupStatus],
            [CALL, 'terminated', true, 6, 540000, 204],
        );
    });

    test('list filters like the API, and --json parses', async () => {
        const terminated = await calls(['list', '--state', 'terminated', '--json']);
        const all = await calls(['list', '--top=1', '--json']);
        // since and until bound the start: both calls started at 10:00:00.000, only one is terminated.
        const text = await calls(['list', '--since', '2026-11-29T10:00:00Z', '--until', '2026-11-29T10:00:00.001Z', '--state', 'terminated']);
        const later = await calls(['list', '--since', '2026-11-29T10:00:00.001Z']);

        assert.deepEqual(
            (JSON.parse(terminated.stdout) as CallListPageJson).calls.map((c) => c.callId),
            [CALL],
        );
        const first = JSON.parse(all.stdout) as CallListPageJson;
        assert.deepEqual(
            first.calls.map((c) => c.callId),
            ['cli-other-call'],
        );
        assert.ok(first.continuationToken);
        const rest = await calls(['list', '--json', '--continuation-token', first.continuationToken]);
        assert.deepEqual(
            (JSON.parse(rest.stdout) as CallListPageJson).calls.map((c) => c.callId),
            [CALL],
        );
        assert.match(text.stdout, /^CALL ID\s+STATE/);
        assert.match(text.stdout, /\ncli-sample-call\s+terminated \(deleted\)\s+2026-11-29T10:00:00.000Z\s+2026-11-29T10:01:02.000Z\s+6\s+AppInitiated; result 0\/540000/);
        assert.doesNotMatch(text.stdout, /cli-other-call/);
        assert.match(later.stdout, /^No calls match\./);
    });

    test('a page with more after it prints the whole next command, relative times made absolute, and that command goes on', async () => {
        // act: a week back from now covers the sample calls
        const first = await calls(['list', '--since', '7d', '--top', '1']);
        const nextCommand = /^More calls:\n {2}node \S+ list (.+)$/m.exec(first.stdout)?.[1];
        const nextArgs = nextCommand?.split(' ').map((word) => word.replace(/^'(.*)'$/, '$1')) ?? [];
        const second = await calls(['list', ...nextArgs]);
        const sameRelative = await calls(['list', '--since', '7d', '--top', '1', '--continuation-token', nextArgs[nextArgs.length - 1] ?? '']);

        // assess
        assert.equal(first.code, 0, first.stderr);
        assert.match(first.stdout, /^cli-other-call\s/m);
        assert.ok(nextCommand, first.stdout);
        assert.match(nextCommand, /^--since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z --top 1 --continuation-token \S+$/);
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stdout, /^cli-sample-call\s/m);
        assert.doesNotMatch(second.stdout, /cli-other-call|More calls/);
        // What the fix is for: "7d" again is another instant, so the token does not belong to that query.
        assertCleanFailure(sameRelative, 2, /continuation token/i);
    });

    test('an empty unrouted list says so instead of printing a bare header', async () => {
        const empty = await calls(['unrouted'], { env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: uniqueTableName('cliunrouted') } });

        assert.equal(empty.code, 0, empty.stderr);
        assert.equal(empty.stdout, 'No unrouted notifications: every notification stored so far was attributed to its call.\n');
    });

    test('an empty list says so instead of printing a bare header', async () => {
        const none = await calls(['list', '--state', 'ringing']);
        const emptyTable = await calls(['list'], { env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: uniqueTableName('cliempty') } });

        assert.equal(none.code, 0, none.stderr);
        assert.equal(none.stdout, 'No calls match.\n');
        assert.equal(emptyTable.code, 0, emptyTable.stderr);
        assert.equal(emptyTable.stdout, 'No calls are recorded.\n');
    });

    test('the storage of an npm start running in the directory comes from its run file; a stale one is ignored', async () => {
        // prepare: local.settings.json names storage nobody listens on; the run file names the real one
        const dir = mkdtempSync(path.join(os.tmpdir(), 'calls-cli-run-file-'));
        const deadPort = testConnectionString().replace(/(Blob|Queue|Table)Endpoint=http:\/\/127\.0\.0\.1:\d+/g, '$1Endpoint=http://127.0.0.1:9');
        writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { CallHistoryStorage: deadPort, CALL_HISTORY_TABLE: tableName } }));
        const runFile = (pid: number) =>
            writeFileSync(
                path.join(dir, '.local-run.json'),
                JSON.stringify({
                    pid,
                    startedAt: new Date().toISOString(),
                    apiUrl: 'http://localhost:1/api',
                    simulatorUrl: 'https://localhost:2',
                    azurite: {},
                    settings: { CallHistoryStorage: testConnectionString() },
                }),
            );
        try {
            // act
            runFile(process.pid); // this test process: alive for as long as the CLI runs
            const live = await calls(['show', CALL], { cwd: dir, env: {} });
            runFile(2 ** 22 + 12345); // beyond Linux's pid range: no such process
            const stale = await calls(['show', CALL], { cwd: dir, env: {} });

            // assess
            assert.equal(live.code, 0, live.stderr);
            assert.match(live.stdout, /^Call cli-sample-call\n/);
            assert.match(live.stderr, /^calls: reading the storage of the npm start running here \(pid \d+, \.local-run\.json\)\.\n$/);
            assertCleanFailure(stale, 1, /127\.0\.0\.1:9.*ECONNREFUSED/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    test('unrouted lists the rejected notifications', async () => {
        const text = await calls(['unrouted']);
        const json = await calls(['unrouted', '--json']);

        assert.match(text.stdout, /rejected .*The notification has no resourceUrl or resource\./);
        assert.deepEqual(
            (JSON.parse(json.stdout) as { events: CallEventJson[] }).events.map((e) => e.resourceData),
            [{ changeType: 'updated' }],
        );
    });

    test('settings come from local.settings.json in the working directory; the environment wins', async () => {
        const file = path.join(settingsDir, 'local.settings.json');
        writeFileSync(file, JSON.stringify({ IsEncrypted: false, Values: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: 'TNoSuchTableHere' } }));

        const fromFile = await calls(['show', CALL], { cwd: settingsDir, env: {} });
        const envWins = await calls(['show', CALL], { cwd: settingsDir, env: { CALL_HISTORY_TABLE: tableName } });

        assertCleanFailure(fromFile, 1, /^calls: Nothing is recorded for call cli-sample-call/);
        assert.equal(envWins.code, 0, envWins.stderr);
        assert.match(envWins.stdout, /^Call cli-sample-call\n/);
    });

    test('an unknown call exits 1 with a message and no stack', async () => {
        assertCleanFailure(await calls(['show', 'no-such-call']), 1, /^calls: Nothing is recorded for call no-such-call/);
        assertCleanFailure(await calls(['history', 'no-such-call', '--json']), 1, /^calls: Nothing is recorded for call no-such-call/);
    });

    test('bad arguments and bad settings exit 2 with a message and no stack', async () => {
        assertCleanFailure(await calls(['list', '--state', "terminated' or true or 'a' eq 'a"]), 2, /is not a call state/);
        assertCleanFailure(await calls(['list', '--top', '0']), 2, /top must be a whole number from 1 to 1000/);
        assertCleanFailure(await calls(['list', '--since', 'yesterday']), 2, /since "yesterday" is not an ISO 8601 date/);
        assertCleanFailure(await calls(['show']), 2, /show takes one call id/);
        assertCleanFailure(await calls(['show', 'a/b']), 2, /Refused call id "a\/b"/);
        assertCleanFailure(await calls(['frobnicate']), 2, /Unknown command "frobnicate"/);
        assertCleanFailure(await calls(['list', '--colour']), 2, /Unknown option --colour/);
        assertCleanFailure(await calls(['show', CALL], { env: {} }), 2, /Setting CallHistoryStorage: is missing/);
        assertCleanFailure(
            await calls(['show', CALL], { env: { CallHistoryStorage: 'not a connection string' } }),
            2,
            /Setting CallHistoryStorage: is not a Table Storage connection string/,
        );
        writeFileSync(path.join(settingsDir, 'local.settings.json'), '{ not json');
        assertCleanFailure(await calls(['show', CALL], { cwd: settingsDir, env: {} }), 2, /local\.settings\.json is not valid JSON/);
    });

    test('unreachable storage exits 1 and says where it tried, without the key', async () => {
        const unreachable = testConnectionString().replace(/TableEndpoint=http:\/\/127\.0\.0\.1:\d+/, 'TableEndpoint=http://127.0.0.1:9');

        const run = await calls(['show', CALL], { env: { CallHistoryStorage: unreachable, CALL_HISTORY_TABLE: tableName } });

        assertCleanFailure(run, 1, new RegExp(`^calls: Cannot read table ${tableName} at http://127\\.0\\.0\\.1:9/devstoreaccount1 .*ECONNREFUSED`));
        assert.doesNotMatch(run.stderr, /AccountKey|Eby8/);
    });

    test('--help prints the commands and exits 0', async () => {
        const run = await calls(['--help'], { env: {} });

        assert.equal(run.code, 0);
        for (const command of ['show <callId>', 'history <callId>', 'list', 'unrouted', '--json', '.local-run.json']) assert.ok(run.stdout.includes(command), command);
    });

    test('no command at all prints the usage on stderr and exits 2, like any usage error', async () => {
        const run = await calls([], { env: {} });

        assert.equal(run.code, 2);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, /^Usage: calls <command> \[options\]/);
    });
});
