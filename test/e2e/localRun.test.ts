// End to end through `npm start` as a real process: Azurite, the call simulator and the local Functions host
// on free ports; calls placed and hung up for real, callbacks signed and verified, the record read from the
// table. Then `npm run demo` against the same run, and Ctrl-C.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ContainerClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { formatSummary, formatTimeline } from '../../cli/timeline';
import { devStorageConnectionString } from '../../dev/azurite';
import { freePort, portInUse } from '../../dev/ports';
import type { CallEndedCloudEvent } from '../../shared/lifecycle/callEvents';
import { callSummaryJson } from '../../shared/query/callJson';
import { getCall, listCallHistory } from '../../shared/query/callQueries';
import { eventually, newFolders, removeFolders, runScript, startLocalRun, type LocalRunFolders, type LocalRunProcess } from '../support/e2eLocalRun';
import { REPOSITORY_ROOT } from '../support/hostProcess';
import { partitionRows } from '../support/storage';

type Row = Record<string, unknown>;

interface SimulatorStats {
    calls: Record<string, { deliveries: Array<{ status: number | null; copy: number; state?: string }> }>;
}

describe('npm start, end to end', () => {
    let folders: LocalRunFolders;
    let run: LocalRunProcess;

    before(async () => {
        folders = newFolders();
        // npm start's own settings, but a reconciler timer that stays out of the way: with RECONCILE_AFTER_MINUTES=0
        // (npm start's) its run every 5 minutes would close the stuck calls below while a test is still looking at them.
        run = await startLocalRun({ folders, env: { RECONCILE_SCHEDULE: '0 0 0 1 1 *' } });
    });
    beforeEach(async () => {
        assert.equal((await run.simulator('POST', '/_control/reset')).status, 204);
    });
    after(async () => {
        await run?.stop('SIGTERM').catch(() => undefined); // a no-op once the last test has stopped it
        removeFolders(folders);
    });

    async function newCall(): Promise<string> {
        const created = await run.simulator('POST', '/_control/calls', { callbackUri: `${run.apiUrl}/callback` });
        assert.equal(created.status, 201, created.text);
        return (created.json as { id: string }).id;
    }

    async function rows(callId: string): Promise<{ summary: Row | undefined; events: Row[] }> {
        const all = await partitionRows(run.table(), callId).catch((err: { statusCode?: number }) => {
            if (err.statusCode === 404) return []; // the table is made on the first write
            throw err;
        });
        return { summary: all.find((row) => row.rowKey === 'state'), events: all.filter((row) => String(row.rowKey).startsWith('event-')) };
    }

    function recorded(callId: string, done: (summary: Row) => boolean, what: string) {
        return eventually(
            () => rows(callId),
            ({ summary }) => summary !== undefined && done(summary),
            undefined,
            what,
        );
    }

    async function settle(): Promise<SimulatorStats> {
        const settled = await run.simulator('POST', '/_control/settle', { timeoutMs: 30_000 });
        assert.equal(settled.status, 200, settled.text);
        return settled.json as SimulatorStats;
    }

    /** The calls CLI with no storage settings of its own, as a developer runs it in a second terminal. */
    function runCli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
        return new Promise((resolve) => {
            execFile(
                process.execPath,
                [path.join(REPOSITORY_ROOT, 'dist/cli/calls.js'), ...args],
                { cwd, env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 },
                (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr }),
            );
        });
    }

    const timeline = (events: Row[]) => events.map((event) => [event.kind, event.changeType ?? null, event.callState ?? null]);

    test('created local.settings.json from the sample and wired the app to this run', () => {
        // assess
        const sample = readFileSync(path.join(REPOSITORY_ROOT, 'local.settings.sample.json'), 'utf8');
        assert.equal(readFileSync(folders.settingsFile, 'utf8'), sample);
        assert.match(run.output(), /created just now from local\.settings\.sample\.json/);
        assert.match(run.output(), /set for this run \(the environment wins over the file\): .*GRAPH_BASE_URL/);
    });

    test('the Ready block says the reconciler checks every active call in this run, and how to run the demo against it', () => {
        // assess: the sample's RECONCILE_AFTER_MINUTES is 45, as in Azure; npm start sets 0 and says so
        assert.match(readFileSync(folders.settingsFile, 'utf8'), /"RECONCILE_AFTER_MINUTES": "45"/);
        assert.match(run.output(), /set for this run \(the environment wins over the file\): .*RECONCILE_AFTER_MINUTES/);
        assert.match(run.output(), /^ {17}reconcileCalls checks every active call, however recent: RECONCILE_AFTER_MINUTES=0 for this run$/m);
        assert.ok(
            run
                .output()
                .includes(
                    `npm run demo -- --api ${run.apiUrl} --simulator ${run.simulatorUrl} --ca ${run.simulatorCaFile} --bot http://localhost:${run.ports.bot} --settings ${folders.settingsFile}\n`,
                ),
            run.output(),
        );
    });

    test('a hang-up answers 204, and then the record holds the whole call in order, terminated and deleted', async () => {
        // prepare
        const callId = await newCall();
        await recorded(callId, (summary) => summary.callState === 'established', 'the call being recorded as established');

        // act
        const hangup = await run.app('DELETE', `/calls/${callId}`);
        const { summary, events } = await recorded(callId, (s) => s.callState === 'terminated' && s.deleted === true, 'the termination being recorded');

        // assess
        assert.equal(hangup.status, 204, hangup.text);
        assert.equal(hangup.text, '');
        assert.deepEqual(timeline(events), [
            ['notification', 'updated', 'establishing'],
            ['notification', 'updated', 'established'],
            ['hangupRequest', null, null],
            ['notification', 'updated', 'terminating'],
            ['notification', 'deleted', 'terminated'],
        ]);
        assert.deepEqual(
            events.map((event) => event.sequence),
            [1, 2, 3, 4, 5],
        );
        assert.equal(events[2]?.httpStatus, 204);
        assert.match(String(events[2]?.graphRequestId), /^[0-9a-f-]{36}$/);
        assert.equal(summary?.callState, 'terminated');
        assert.equal(summary?.deleted, true);
        assert.equal(summary?.resultCode, 200);
        assert.equal(summary?.resultSubcode, 7000);
        assert.equal(summary?.hangupStatus, 204);
        assert.equal(summary?.eventCount, 5);
        assert.equal(summary?.duplicateCount, 0);
    });

    test('with every callback delivered twice, each notification is stored once and the redeliveries are counted', async () => {
        // prepare
        assert.equal((await run.simulator('POST', '/_control/faults', { duplicate: true })).status, 200);
        const callId = await newCall();
        await recorded(callId, (summary) => summary.callState === 'established', 'the call being recorded as established');

        // act
        const hangup = await run.app('DELETE', `/calls/${callId}`);
        await recorded(callId, (s) => s.callState === 'terminated' && s.deleted === true, 'the termination being recorded');
        const stats = await settle();
        const { summary, events } = await rows(callId);

        // assess
        assert.equal(hangup.status, 204, hangup.text);
        const deliveries = stats.calls[callId]?.deliveries ?? [];
        assert.equal(deliveries.length, 8, 'the simulator sent each of the 4 notifications twice');
        assert.deepEqual(new Set(deliveries.map((delivery) => delivery.status)), new Set([202]));
        assert.deepEqual(timeline(events), [
            ['notification', 'updated', 'establishing'],
            ['notification', 'updated', 'established'],
            ['hangupRequest', null, null],
            ['notification', 'updated', 'terminating'],
            ['notification', 'deleted', 'terminated'],
        ]);
        assert.equal(new Set(events.map((event) => event.dedupeKey)).size, events.length);
        assert.ok(Number(summary?.duplicateCount) > 0, `duplicateCount is ${String(summary?.duplicateCount)}`);
        assert.equal(summary?.duplicateCount, 4);
        assert.equal(summary?.eventCount, 5);
    });

    test('with notifications arriving in reverse order, the call still ends terminated', async () => {
        // prepare
        assert.equal((await run.simulator('POST', '/_control/faults', { reverse: true })).status, 200);
        const callId = await newCall();
        await settle();

        // act
        const hangup = await run.app('DELETE', `/calls/${callId}`);
        await settle();
        const { summary, events } = await rows(callId);

        // assess
        assert.equal(hangup.status, 204, hangup.text);
        assert.deepEqual(timeline(events), [
            ['notification', 'updated', 'established'],
            ['notification', 'updated', 'establishing'],
            ['hangupRequest', null, null],
            ['notification', 'deleted', 'terminated'],
            ['notification', 'updated', 'terminating'],
        ]);
        assert.equal(summary?.callState, 'terminated');
        assert.equal(summary?.deleted, true);
    });

    test('callbacks signed with a key the signer does not publish are refused with 401 and nothing is recorded', async () => {
        // prepare
        assert.equal((await run.simulator('POST', '/_control/faults', { signWithWrongKey: true })).status, 200);

        // act
        const callId = await newCall();
        const stats = await settle();

        // assess
        const statuses = (stats.calls[callId]?.deliveries ?? []).map((delivery) => delivery.status);
        // Each makes the app fetch the keys again (the second after the refetch cooldown), and they lack its key.
        assert.deepEqual(statuses, [401, 401]);
        const { summary, events } = await rows(callId);
        assert.equal(summary, undefined);
        assert.deepEqual(events, []);
        assert.equal((await run.app('GET', `/calls/${callId}`)).status, 404);
    });

    /** `npm run demo` against this run, run once for the tests of its four acts. */
    let demoRun: ReturnType<typeof runScript> | undefined;
    const demo = () =>
        (demoRun ??= runScript(
            'demo',
            ['--api', run.apiUrl, '--simulator', run.simulatorUrl, '--ca', run.simulatorCaFile, '--bot', `http://localhost:${run.ports.bot}`, '--settings', folders.settingsFile],
            process.env,
            120_000,
        ));

    /** The timeline rows the demo printed after `from`: sequence, kind, resource, change type, state. */
    const printedRows = (text: string) =>
        text
            .slice(text.indexOf('Timeline:'))
            .split('\n')
            .filter((line) => /^ +\d+ {2}\d{4}-/.test(line))
            .map((line) => line.trim().split(/ {2,}/).slice(0, 6))
            .map(([sequence, , kind, resource, change, state]) => [sequence, kind, resource, change, state]);

    test("npm run demo, act one: places a call, hangs it up and prints its complete timeline with the command line's printer", async () => {
        // act
        const { code, stdout, stderr } = await demo();

        // assess
        assert.equal(code, 0, stdout + stderr);
        const actOne = stdout.slice(0, stdout.indexOf('\nAct two:'));
        assert.ok(stdout.indexOf('\nAct two:') > 0, stdout);
        const callId = /call id ([0-9a-f-]{36})\./.exec(actOne)?.[1];
        assert.ok(callId, stdout);
        assert.match(actOne, /DELETE http:\/\/localhost:\d+\/api\/calls\/[0-9a-f-]{36} -> 204/);
        assert.match(actOne, /^ {2}state +terminated \(deleted\)$/m);
        assert.match(actOne, /^ {2}result +200\/7000 The conversation has ended by bot\.$/m);
        assert.deepEqual(printedRows(actOne), [
            ['1', 'notification', 'call', 'updated', 'establishing'],
            ['2', 'notification', 'call', 'updated', 'established'],
            ['3', 'hangupRequest', 'call', '-', '-'],
            ['4', 'notification', 'call', 'updated', 'terminating'],
            ['5', 'notification', 'call', 'deleted', 'terminated'],
        ]);
        const { events } = await rows(callId);
        assert.equal(events.length, 5, 'the demo printed what the table holds');
        // The demo reuses the command line's printer: the call reads exactly as `calls history` prints it.
        const summary = await getCall(run.table(), callId);
        const history = await listCallHistory(run.table(), callId, { top: 1000 });
        assert.ok(actOne.includes(formatSummary(summary)), `the summary as the command line prints it:\n${formatSummary(summary)}\nin:\n${actOne}`);
        assert.ok(actOne.includes(formatTimeline(history.events)), `the timeline as the command line prints it:\n${formatTimeline(history.events)}\nin:\n${actOne}`);
    });

    test('npm run demo, act two: a call whose end is dropped stays established while Graph answers 404, the reconciler run through the admin API closes it, and its call-ended event is read back from the queue', async () => {
        // act
        const { code, stdout, stderr } = await demo();

        // assess: the stuck call, as the app and as Graph see it
        assert.equal(code, 0, stdout + stderr);
        const actTwo = stdout.slice(stdout.indexOf('\nAct two:'), stdout.indexOf('\nAct three:'));
        const callId = /^6\. Placed a second call, ([0-9a-f-]{36}),/m.exec(actTwo)?.[1];
        assert.ok(callId, stdout);
        assert.match(actTwo, new RegExp(`^ {5}the app {2}GET ${run.apiUrl}/calls/${callId} -> 200, callState established$`, 'm'));
        assert.match(
            actTwo,
            new RegExp(`^ {5}Graph {4}GET https://localhost:${run.ports.simulator}/v1\\.0/communications/calls/${callId} -> 404, error 9997: Call not found\\.$`, 'm'),
        );
        assert.match(
            actTwo,
            new RegExp(
                `^10\\. Ran the reconciler now, through the host's admin API: POST http://localhost:${run.ports.functions}/admin/functions/reconcileCalls \\{"input":""\\} -> 202\\.$`,
                'm',
            ),
        );
        // The run's log line comes once it has ended, which may be a moment after the call was closed.
        const reconciled = /Reconciled: \d+ active calls, \d+ quiet for 0 min, \d+ checked with Graph: [1-9]\d* closed/;
        await eventually(
            async () => run.output(),
            (output) => reconciled.test(output),
            undefined,
            "the reconciler run logged with npm start's RECONCILE_AFTER_MINUTES=0",
        );
        // closed by the reconciler: summary and timeline as the command line prints them, and as the table holds them
        const summary = await getCall(run.table(), callId);
        const history = await listCallHistory(run.table(), callId, { top: 1000 });
        assert.equal(summary.callState, 'terminated');
        assert.equal(summary.closedBy, 'reconciler');
        assert.equal(summary.reconcileStatus, 404);
        assert.match(actTwo, /^ {2}closed by +reconciler$/m);
        assert.ok(actTwo.includes(formatSummary(summary)), `the summary as the command line prints it:\n${formatSummary(summary)}\nin:\n${actTwo}`);
        assert.ok(actTwo.includes(formatTimeline(history.events)), `the timeline as the command line prints it:\n${formatTimeline(history.events)}\nin:\n${actTwo}`);
        assert.deepEqual(printedRows(actTwo), [
            ['1', 'notification', 'call', 'updated', 'establishing'],
            ['2', 'notification', 'call', 'updated', 'established'],
            ['3', 'hangupRequest', 'call', '-', '-'],
            ['4', 'reconciliation', '-', '-', 'terminated'],
        ]);
        assert.match(actTwo, /^ +4 {2}\S+ {2}reconciliation .*reconciler: Graph answered 404\. Graph has no such call \(9997\)\. request-id [0-9a-f-]{36}$/m);
        // the call-ended event, printed decoded, is the message on the queue, and stays there
        const printed = /queue-triggered function gets it:\n(\{\n[\s\S]*?\n\})\n/.exec(actTwo)?.[1];
        assert.ok(printed, actTwo);
        const event = JSON.parse(printed) as CallEndedCloudEvent;
        assert.equal(event.id, `${callId}/ended`);
        assert.equal(event.type, 'teams-call-record.call.ended');
        assert.equal(event.subject, callId);
        assert.deepEqual(event.data, callSummaryJson(summary), 'its data is the summary the API answers');
        const queue = new QueueClient(devStorageConnectionString({ queue: run.ports.azuriteQueue }), 'call-events');
        const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
        const queued = peekedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as CallEndedCloudEvent);
        assert.deepEqual(
            queued.find((message) => message.id === event.id),
            event,
        );
    });

    test('npm run demo, act three: a call rings, the example bot answers it through the relay; the bot goes down and gets what it missed, in order', async () => {
        // act
        const { code, stdout, stderr } = await demo();

        // assess
        assert.equal(code, 0, stdout + stderr);
        const actThree = stdout.slice(stdout.indexOf('\nAct three:'), stdout.indexOf('\nAct four:'));
        const callId = /incoming call ([0-9a-f-]{36})\./.exec(actThree)?.[1];
        assert.ok(callId, stdout);
        assert.match(actThree, /answer -> 202\n {4}\(\d+\.\d\d s after it rang; Graph gives a bot 15 s\)\. The call is established\./);
        for (const [sequence, what] of [
            [1, 'created incoming'],
            [2, 'updated establishing'],
            [3, 'updated established'],
        ] as const) {
            assert.match(actThree, new RegExp(`^ {6}${callId}/${sequence} +attempt 1 {2}${what}$`, 'm'));
        }
        assert.match(actThree, /The relay holds 2 notifications for the bot:\n {6}delivered through \d, last error "no answer: /);
        // The hang-up request is event 4 (not relayed); Graph's terminating and terminated are 5 and 6, after the outage.
        assert.match(actThree, new RegExp(`^ {6}${callId}/5 +attempt \\d+ {2}updated terminating$`, 'm'));
        assert.match(actThree, new RegExp(`^ {6}${callId}/6 +attempt \\d+ {2}deleted terminated$`, 'm'));
        const summary = await getCall(run.table(), callId);
        assert.equal(summary.relayPending, 0);
        assert.equal(summary.relayedThrough, 6);
        assert.match(run.output(), new RegExp(`\\[bot\\] answered incoming call ${callId} \\(Graph 202\\)`));
    });

    test("npm run demo, act four: a three-person call's roster as Graph changes it, then its quality from Graph's call record a simulated quarter of an hour later", async () => {
        // act
        const { code, stdout, stderr } = await demo();

        // assess: the roster, as the app answered it and as the table holds it
        assert.equal(code, 0, stdout + stderr);
        const actFour = stdout.slice(stdout.indexOf('\nAct four:'));
        const callId = /^18\. Placed a fourth call, ([0-9a-f-]{36});/m.exec(actFour)?.[1];
        assert.ok(callId, stdout);
        assert.match(actFour, /^ {4}Graph sent the whole roster; the app recorded 4 participants, the bot among them\.$/m);
        assert.match(actFour, /^19\. Ada left; .* Now 3 in the call, 4 at most:$/m);
        assert.match(actFour, /^Ada Lovelace +user +\S+ +\S+ +gone +left$/m);
        assert.match(actFour, /^Grace Hopper +guest +\S+ +- +in call +-$/m);
        assert.match(actFour, /^\+14255550123 +phone +\S+ +- +in call +-$/m);
        // Graph's call record: fetched through the admin API as the queue would deliver it, the whole JSON in Azurite's Blob Storage
        const summary = await getCall(run.table(), callId);
        assert.equal(summary.callRecordStatus, 'fetched');
        assert.equal(summary.quality, 'poor');
        assert.equal(summary.qualityReason, 'audio from +14255550123 lost 12% of packets (poor above 10%)');
        assert.equal(summary.participantCount, 3);
        assert.equal(summary.maxParticipants, 4);
        assert.ok(actFour.includes(formatSummary(summary)), `the summary as the command line prints it:\n${formatSummary(summary)}\nin:\n${actFour}`);
        assert.match(actFour, /^poor +\+14255550123 +phone +1\/1 +audio from \+14255550123 lost 12% of packets \(poor above 10%\)$/m);
        const blob = new ContainerClient(devStorageConnectionString({ blob: run.ports.azuriteBlob }), 'call-records').getBlobClient(`${callId}/1.json`);
        const record = JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as { id?: string; participants_v2?: unknown[] };
        assert.equal(record.id, summary.callChainId);
        assert.equal(record.participants_v2?.length, 4);
    });

    test('npm run demo says what to start when the app or the simulator is not running', async () => {
        // prepare
        const nowhere = await freePort();

        // act
        const noApp = await runScript('demo', ['--api', `http://localhost:${nowhere}/api`, '--simulator', run.simulatorUrl, '--ca', run.simulatorCaFile]);
        const noSimulator = await runScript('demo', ['--api', run.apiUrl, '--simulator', `https://localhost:${nowhere}`, '--ca', run.simulatorCaFile]);

        // assess
        assert.equal(noApp.code, 1);
        assert.match(noApp.stderr, new RegExp(`GET http://localhost:${nowhere}/api/me failed: nothing is listening there`));
        assert.match(noApp.stderr, /`npm start`/);
        assert.equal(noSimulator.code, 1);
        assert.match(noSimulator.stderr, new RegExp(`GET https://localhost:${nowhere}/_control/info failed: nothing is listening there`));
        assert.match(noSimulator.stderr, /`npm start`/);
    });

    test("the Ready block lists Azurite's Blob, Queue and Table services, each answering, and the admin API", async () => {
        // act
        const answers = await Promise.all(
            [run.ports.azuriteBlob, run.ports.azuriteQueue, run.ports.azurite].map((port) => fetch(`http://127.0.0.1:${port}/devstoreaccount1?comp=list`)),
        );

        // assess
        const output = run.output();
        assert.match(output, new RegExp(`^    Blob Storage   http://127\\.0\\.0\\.1:${run.ports.azuriteBlob} `, 'm'));
        assert.match(output, new RegExp(`^    Queue Storage  http://127\\.0\\.0\\.1:${run.ports.azuriteQueue} `, 'm'));
        assert.match(output, new RegExp(`^    Table Storage  http://127\\.0\\.0\\.1:${run.ports.azurite} `, 'm'));
        assert.match(output, new RegExp(`POST http://localhost:${run.ports.functions}/admin/functions/<name>`));
        assert.deepEqual(
            answers.map((answer) => /^Azurite-(Blob|Queue|Table)/.exec(answer.headers.get('server') ?? '')?.[1]),
            ['Blob', 'Queue', 'Table'],
        );
    });

    test("the calls CLI started next to the settings finds this run's Azurite through the run file", async () => {
        // prepare: a call in the record; the settings file there still names Azurite's default ports
        const callId = await newCall();
        await recorded(callId, (summary) => summary.callState === 'established', 'the call being recorded');
        const settingsFolder = path.dirname(folders.settingsFile);
        const runFile = JSON.parse(readFileSync(path.join(settingsFolder, '.local-run.json'), 'utf8')) as { settings: Record<string, string> };

        // act
        const listed = await runCli(['show', callId], settingsFolder);

        // assess
        assert.match(runFile.settings.CallHistoryStorage ?? '', new RegExp(`TableEndpoint=http://127\\.0\\.0\\.1:${run.ports.azurite}/`));
        assert.equal(listed.code, 0, listed.stderr);
        assert.match(listed.stdout, new RegExp(`^Call ${callId}\n\\s+state\\s+established`));
        assert.match(listed.stderr, /^calls: reading the storage of the npm start running here \(pid \d+, \.local-run\.json\)\.$/m);
    });

    test('calls doctor started next to the settings checks this run end to end: its ports from the run file, its simulator trusted as the app trusts it', async () => {
        // act
        const checked = await runCli(['doctor'], path.dirname(folders.settingsFile));

        // assess
        assert.equal(checked.code, 0, checked.stdout + checked.stderr);
        assert.match(checked.stdout, /the npm start running here \(pid \d+\)/);
        assert.match(checked.stdout, new RegExp(`^ {2}ok {4}settings {11}They load: table \\w+ at http://127\\.0\\.0\\.1:${run.ports.azurite}/`, 'm'));
        assert.match(checked.stdout, /^ {2}ok {4}graph-permissions {2}The token carries roles Calls\.Initiate\.All/m);
        assert.match(checked.stdout, /^ {2}ok {4}relay-endpoint {5}http:\/\/localhost:\d+\/api\/calling accepted a test delivery/m);
        assert.match(checked.stdout, /^All is well: 11 checks passed, 1 did not apply\.$/m);
    });

    test('a call told to drop its last notifications stays established after its hang-up, while Graph answers 404 for it', async () => {
        // prepare
        const created = await run.simulator('POST', '/_control/calls', { callbackUri: `${run.apiUrl}/callback`, dropLastNotifications: 2 });
        const callId = (created.json as { id: string }).id;
        await recorded(callId, (summary) => summary.callState === 'established', 'the call being recorded as established');

        // act
        const hangup = await run.app('DELETE', `/calls/${callId}`);
        await settle();
        const { summary, events } = await rows(callId);

        // assess
        assert.equal(hangup.status, 204, hangup.text);
        assert.deepEqual(timeline(events), [
            ['notification', 'updated', 'establishing'],
            ['notification', 'updated', 'established'],
            ['hangupRequest', null, null],
        ]);
        assert.equal(summary?.callState, 'established', 'stuck: the end never arrived');
        // The activity log is written by polling the simulator, so the line may come a moment after the settle.
        const dropped = new RegExp(`\\[simulator\\] callback deleted terminated for call ${callId} dropped`);
        await eventually(
            async () => run.output(),
            (output) => dropped.test(output),
            undefined,
            'the log line of the dropped notification',
        );
    });

    test('Ctrl-C (SIGINT) stops the functions, the simulator and Azurite, and frees their ports', async () => {
        // act
        const result = await run.stop('SIGINT');

        // assess
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /SIGINT received: stopping everything\.\n/);
        assert.match(result.stdout, /Everything stopped\.\n$/);
        assert.doesNotMatch(result.stderr, /unexpectedly/);
        for (const port of Object.values(run.ports)) {
            assert.equal(await portInUse(port), false, `port ${port} is free again`);
        }
        assert.equal(existsSync(path.join(path.dirname(folders.settingsFile), '.local-run.json')), false, 'the run file is removed');
    });
});
