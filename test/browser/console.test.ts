// The operator console in a real browser (Debian's Chromium through playwright-core) against `npm start`
// as a real process: Azurite, the call simulator and the local host. Calls are placed and hung up through
// the simulator and the app; the long history is written through the app's own CallStore; the reconciler
// runs through the host's admin endpoint. Every answer the page receives is checked against the OpenAPI document.
//
// CONSOLE_SCREENSHOTS_DIR=docs refreshes docs/console-list.png and docs/console-call.png.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { CallListPageJson, CallSummaryJson } from '../../shared/query/callJson';
import type { NewCallEvent } from '../../shared/record/callModel';
import { CallStore } from '../../shared/record/callStore';
import { launchChromium, observedPage, type ObservedPage } from '../support/browser';
import { eventually, newFolders, removeFolders, startLocalRun, type LocalRunFolders, type LocalRunProcess } from '../support/e2eLocalRun';
import { OpenApiChecker } from '../support/openApi';

const FUNCTION_KEY = 'console-test-key-Zx81';
const LONG_CALL = 'console-long-call';
const LONG_CALL_EVENTS = 2500;
const HOSTILE_CALL = 'console-hostile-call';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS_DIR;
/** The list and an active call refresh every 5 s; the deadline only bounds how long a failure takes to show. */
const REFRESH_WAIT_MS = 30_000;
/**
 * The run's settings: the reconciler checks every active call when it runs, and runs only when the test asks
 * (through the admin endpoint), never by its schedule in the middle of another test.
 */
const RUN_SETTINGS = {
    RECONCILE_AFTER_MINUTES: '0',
    RECONCILE_SCHEDULE: '0 0 0 1 1 *',
    // Graph's call record is fetched at once after a call (the simulator is told to have it at once), and the queue
    // of fetches is looked at every second.
    CALL_RECORDS: 'on',
    CALL_RECORD_DELAY_MINUTES: '0',
    AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:01',
};

describe('operator console in Chromium', () => {
    let folders: LocalRunFolders;
    let run: LocalRunProcess;
    let browser: Browser;
    const openApi = new OpenApiChecker();
    const pages: ObservedPage[] = [];

    before(async () => {
        // Chromium first: without it the test fails at once with the command that installs it.
        browser = await launchChromium();
        folders = newFolders();
        run = await startLocalRun({ folders, env: RUN_SETTINGS });
    });
    beforeEach(async () => {
        assert.equal((await run.simulator('POST', '/_control/reset')).status, 204);
    });
    after(async () => {
        if (SCREENSHOTS !== undefined && run !== undefined) {
            // The list once every test has added its calls: the last hour's, active and ended, newest first (the
            // long and the hostile calls started earlier).
            const list = await open();
            await list.page.locator('table.calls tbody tr[data-call-id]').first().waitFor();
            await list.page.locator('button:has-text("Last hour")').click();
            await list.page.locator(`table.calls tr[data-call-id="${HOSTILE_CALL}"]`).waitFor({ state: 'detached' });
            await list.page.screenshot({ path: path.join(SCREENSHOTS, 'console-list.png') });
        }
        await Promise.all(pages.map((page) => page.close().catch(() => undefined)));
        await browser?.close();
        await run?.stop('SIGTERM').catch(() => undefined);
        if (folders !== undefined) removeFolders(folders);
    });

    async function open(hash = '', viewport?: { width: number; height: number }): Promise<ObservedPage> {
        const observed = await observedPage(browser, viewport);
        pages.push(observed);
        await observed.page.goto(`${run.apiUrl}/console?code=${FUNCTION_KEY}${hash}`);
        return observed;
    }

    async function newCall(): Promise<string> {
        const created = await run.simulator('POST', '/_control/calls', { callbackUri: `${run.apiUrl}/callback` });
        assert.equal(created.status, 201, created.text);
        return (created.json as { id: string }).id;
    }

    async function summary(callId: string): Promise<Partial<CallSummaryJson> & { eventCount: number; deleted: boolean }> {
        const answer = await run.app('GET', `/calls/${callId}`);
        return answer.status === 200 ? (answer.json as CallSummaryJson) : { eventCount: 0, deleted: false };
    }

    /** The ids of the calls that have not ended, as the API lists them. */
    async function activeCallIds(): Promise<string[]> {
        const answer = await run.app('GET', '/calls?active=true&top=1000');
        assert.equal(answer.status, 200, answer.text);
        const page = answer.json as CallListPageJson;
        assert.equal(page.continuationToken, undefined, 'one page holds every active call');
        return page.calls.map((call) => call.callId);
    }

    async function established(callId: string): Promise<void> {
        await eventually(
            () => summary(callId),
            (s) => s.callState === 'established',
            10_000,
            `call ${callId} being recorded as established`,
        );
    }

    async function hungUp(callId: string): Promise<number> {
        assert.equal((await run.app('DELETE', `/calls/${callId}`)).status, 204);
        const ended = await eventually(
            () => summary(callId),
            (s) => s.deleted,
            10_000,
            `call ${callId} being recorded as deleted`,
        );
        return ended.eventCount;
    }

    /** Console errors and uncaught exceptions, once every answer seen so far has been read. */
    async function consoleErrors(observed: ObservedPage): Promise<string[]> {
        await observed.settled();
        return observed.errors;
    }

    /** Every answer from the app matches the OpenAPI document; nothing was requested from anywhere else. */
    async function assertStayedInApp(observed: ObservedPage): Promise<void> {
        await observed.settled();
        const origin = new URL(run.apiUrl).origin;
        const outside = observed.requests.filter((request) => new URL(request.url).origin !== origin).map((request) => request.url);
        assert.deepEqual(outside, [], 'requests outside the app');
        for (const answer of observed.answers) openApi.check(answer);
    }

    async function rowText(page: Page, selector: string): Promise<string> {
        return (await page.locator(selector).innerText()).replace(/\s+/g, ' ').trim();
    }

    test('loads without console errors or requests outside the app, and keeps the function key out of the address, the page and the logs', async () => {
        // act
        const observed = await open();
        const { page } = observed;
        await page.locator('table.calls tbody tr').first().waitFor();
        await page.locator('#active-count:not(:has-text("counting"))').waitFor();

        // assess
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
        assert.doesNotMatch(page.url(), /code=/, 'the key was taken off the address bar');
        assert.ok(!(await page.content()).includes(FUNCTION_KEY), 'the key is not in the page');
        const apiRequests = observed.requests.filter((request) => /\/api\/calls\b/.test(request.url));
        assert.ok(apiRequests.length >= 2, `the page asked the API (${apiRequests.length} requests)`);
        for (const request of apiRequests) {
            assert.equal(request.headers['x-functions-key'], FUNCTION_KEY, `${request.url} carries the key as x-functions-key`);
            assert.doesNotMatch(request.url, /code=/, `${request.url} does not carry the key in its address`);
        }
        const assets = observed.requests.filter((request) => request.url.includes('/console/assets/'));
        assert.ok(assets.length >= 2);
        for (const asset of assets) assert.equal(asset.headers.referer ?? '', '', `${asset.url} was sent no referrer (it would hold the key)`);
        assert.ok(!run.output().includes(FUNCTION_KEY), 'the key is not in the logs');
        const active = (await activeCallIds()).length;
        assert.equal(await page.locator('#active-count').innerText(), `${active} active call${active === 1 ? '' : 's'}`);
        assert.equal(await page.locator('#active-count').getAttribute('data-count'), String(active));
    });

    test('a call placed in the simulator appears in the list by itself', async () => {
        // prepare
        const observed = await open();
        await observed.page.locator('table.calls tbody tr').first().waitFor();

        // act
        const callId = await newCall();
        await established(callId);

        // assess: no reload, no click; the list refreshes while the tab is visible
        const row = observed.page.locator(`table.calls tr[data-call-id="${callId}"]`);
        await row.waitFor({ timeout: REFRESH_WAIT_MS });
        await observed.page.locator(`table.calls tr[data-call-id="${callId}"] .state:has-text("established")`).waitFor({ timeout: REFRESH_WAIT_MS });
        assert.match(await rowText(observed.page, `table.calls tr[data-call-id="${callId}"]`), /established .* 2 0 still active never asked/);
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test("opening a call shows its summary, a timeline with one mark per event, and each event's JSON on demand", async () => {
        // prepare: a whole call, hung up through the app, every notification delivered twice
        assert.equal((await run.simulator('POST', '/_control/faults', { duplicate: true })).status, 200);
        const callId = await newCall();
        await established(callId);
        const eventCount = await hungUp(callId);
        await run.simulator('POST', '/_control/settle', { timeoutMs: 30_000 });
        const observed = await open();
        const { page } = observed;

        // act
        await page.locator(`a[href="#/calls/${callId}"]`).click();
        await page.locator('svg.timeline .mark').first().waitFor();

        // assess
        assert.equal(await page.locator('svg.timeline .mark').count(), eventCount);
        assert.equal(await page.locator('svg.timeline .mark-hangup.ok').count(), 1);
        assert.equal(await page.locator('svg.timeline .mark-hangup .status').textContent(), '204');
        assert.match((await page.locator('svg.timeline .ended text').textContent()) ?? '', /ended \(Graph\)/);
        assert.match(await page.locator('.note').first().innerText(), /4 redeliveries recognised/);
        const summaryText = await rowText(page, 'dl.summary');
        assert.match(summaryText, /State terminated Closed by Graph's notification Result 200\/7000 /);
        assert.match(summaryText, /Hang-up Graph accepted it \(204\)/);
        assert.match(summaryText, /Redeliveries 4 recognised/);
        assert.equal(await page.locator('table.events tbody tr[data-sequence]').count(), eventCount);
        assert.equal(await page.locator('button:has-text("Hang up")').isVisible(), false, 'no hang-up for an ended call');

        await page.locator('table.events tr[data-sequence="5"] button').click();
        const json = JSON.parse(await page.locator('tr.json pre').innerText()) as { sequence: number; changeType: string; resourceData: { state: string } };
        assert.equal(json.sequence, 5);
        assert.equal(json.changeType, 'deleted');
        assert.equal(json.resourceData.state, 'terminated');
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test('a call with a roster shows who was in it, when they joined and left, and the joins and leaves on the timeline', async () => {
        // prepare: three people join, one leaves, as Graph's participants notifications tell it
        const callId = await newCall();
        await established(callId);
        const roster = (change: Record<string, unknown>) => run.simulator('POST', `/_control/rosters/${callId}`, change);
        assert.equal(
            (
                await roster({
                    join: [
                        { id: 'ada', name: 'Ada Lovelace' },
                        { id: 'alan', name: 'Alan Turing' },
                        { id: 'caller', kind: 'phone', identityId: '+14255550123' },
                    ],
                })
            ).status,
            200,
        );
        assert.equal((await roster({ leave: ['alan'] })).status, 200);
        await eventually(
            () => summary(callId),
            (s) => s.participantCount === 3,
            10_000,
            'the roster being recorded',
        );

        // act
        const observed = await open(`#/calls/${callId}`);
        const { page } = observed;
        await page.locator('table.participants-table tbody tr').nth(3).waitFor();

        // assess
        const rows = (await page.locator('table.participants-table tbody tr').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
        assert.equal(rows.length, 4, rows.join('\n'));
        assert.ok(
            rows.some((row) => /^Ada Lovelace user .* in the call$/.test(row)),
            rows.join('\n'),
        );
        assert.ok(
            rows.some((row) => /^Alan Turing user .*\(notInRoster\).* gone$/.test(row)),
            rows.join('\n'),
        );
        assert.ok(
            rows.some((row) => row.startsWith('+14255550123 phone')),
            rows.join('\n'),
        );
        assert.match(await rowText(page, '.call-body .summary'), /Participants 3 in the call now, 4 at most/);
        const changes = await page.locator('svg.timeline .roster-change').allTextContents();
        assert.deepEqual(changes, ['+4', '−1'], 'the bot and three people joined, then one left');
        if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, 'console-participants.png'), fullPage: true });
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test("after the call, Graph's call record: its duration and the quality verdict with its reason, for the call and each participant", async () => {
        // prepare: a call with a caller whose audio loses 12% of its packets, hung up; Graph has its record at once
        assert.equal((await run.simulator('POST', '/_control/clock', { callRecordDelayMinutes: 0 })).status, 200);
        const callId = await newCall();
        await established(callId);
        const roster = await run.simulator('POST', `/_control/rosters/${callId}`, {
            join: [
                { id: 'ada', name: 'Ada Lovelace' },
                { id: 'caller', kind: 'phone', identityId: '+14255550123', quality: { packetLossRate: 0.12 } },
            ],
        });
        assert.equal(roster.status, 200, roster.text);
        await hungUp(callId);
        await eventually(
            () => summary(callId),
            (s) => s.callRecordStatus === 'fetched',
            30_000,
            "Graph's call record being fetched",
        );

        // act
        const observed = await open(`#/calls/${callId}`);
        const { page } = observed;
        await page.locator('table.quality-table tbody tr').first().waitFor();

        // assess
        const facts = await rowText(page, '.call-body .summary');
        assert.match(facts, /Graph's call record version 1, groupCall, audio/);
        assert.match(facts, /Graph's duration \d/);
        assert.match(facts, /Quality poor: audio from \+14255550123 lost 12% of packets \(poor above 10%\)/);
        const quality = (await page.locator('table.quality-table tbody tr').allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
        assert.match(quality[0] ?? '', /^\+14255550123 phone poor 1 of 1 audio from \+14255550123 lost 12% of packets/);
        assert.ok(
            quality.some((row) => /^Ada Lovelace user good/.test(row)),
            quality.join('\n'),
        );
        if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, 'console-call-record.png'), fullPage: true });
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test('the active filter lists only the calls that have not ended, newest first, and the header counts them live', async () => {
        // prepare: one call that ends and, after it, one that stays
        const ended = await newCall();
        await established(ended);
        await hungUp(ended);
        const live = await newCall();
        await established(live);
        const observed = await open();
        const { page } = observed;
        await page.locator(`table.calls tr[data-call-id="${live}"]`).waitFor();
        const rowIds = () => page.locator('table.calls tbody tr[data-call-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-call-id') ?? ''));
        const all = await rowIds();

        // act 1: active only
        await page.locator('select[name="active"]').selectOption('true');
        await page.locator(`table.calls tr[data-call-id="${ended}"]`).waitFor({ state: 'detached' });

        // assess 1: what the API says is active, in the list's order, and the header's count of it
        const expected = await activeCallIds();
        const shown = await rowIds();
        assert.deepEqual(shown, expected, 'the active calls, in the order the API lists them');
        assert.deepEqual(
            shown,
            all.filter((id) => expected.includes(id)),
            'in the same newest-first order as the whole list',
        );
        assert.ok(shown.includes(live) && !shown.includes(ended));
        assert.equal(await page.locator('table.calls tbody tr[data-call-id] .state-ended').count(), 0);
        await eventually(
            () => page.locator('#active-count').getAttribute('data-count'),
            (count) => count === String(expected.length),
            REFRESH_WAIT_MS,
            'the header counting the active calls',
        );
        assert.ok(
            observed.requests.some((request) => /\/api\/calls\?.*\bactive=true\b/.test(request.url)),
            'the page asked the API for active calls',
        );

        // act 2: a call ends while the filter shows it; the list and the count follow by themselves
        await hungUp(live);
        await page.locator(`table.calls tr[data-call-id="${live}"]`).waitFor({ state: 'detached', timeout: REFRESH_WAIT_MS });
        await eventually(
            () => page.locator('#active-count').getAttribute('data-count'),
            (count) => count === String(expected.length - 1),
            REFRESH_WAIT_MS,
            'the count going down',
        );

        // act 3: ended only
        await page.locator('select[name="active"]').selectOption('false');
        await page.locator(`table.calls tr[data-call-id="${ended}"]`).waitFor();

        // assess 3
        const endedShown = await rowIds();
        assert.ok(endedShown.includes(live) && endedShown.includes(ended));
        assert.ok(endedShown.indexOf(live) < endedShown.indexOf(ended), 'newest first');
        assert.equal(await page.locator('table.calls tbody tr[data-call-id] .state-live').count(), 0);
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test('a call whose end Graph never sends stays established until the reconciler closes it, and the view says so', async () => {
        // prepare: the simulator drops the call's last notifications, so after the hang-up Graph has no such call
        // while the record still says established
        const created = await run.simulator('POST', '/_control/calls', { callbackUri: `${run.apiUrl}/callback`, dropLastNotifications: 2 });
        assert.equal(created.status, 201, created.text);
        const callId = (created.json as { id: string }).id;
        await established(callId);
        assert.equal((await run.app('DELETE', `/calls/${callId}`)).status, 204);
        await run.simulator('POST', '/_control/settle', { timeoutMs: 30_000 });
        assert.equal((await summary(callId)).callState, 'established', 'stuck: its end never arrived');
        const observed = await open(`#/calls/${callId}`);
        const { page } = observed;
        await page.locator('button:has-text("Hang up…")').waitFor();
        assert.equal(await page.locator('svg.timeline .mark-reconciliation').count(), 0);

        // act: the reconciler, run through the host's admin endpoint as a person would run it on demand
        const admin = await fetch(`${new URL(run.apiUrl).origin}/admin/functions/reconcileCalls`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: '{"input":""}',
        });
        assert.equal(admin.status, 202, await admin.text());
        await eventually(
            () => summary(callId),
            (s) => s.closedBy === 'reconciler',
            30_000,
            `call ${callId} being closed by the reconciler`,
        );

        // assess: the open view follows by itself (the call was active, so it refreshes)
        await page.locator('svg.timeline .mark-reconciliation').waitFor({ timeout: REFRESH_WAIT_MS });
        assert.equal(await page.locator('svg.timeline .mark-reconciliation .status').textContent(), '404');
        assert.match((await page.locator('svg.timeline .ended text').textContent()) ?? '', /ended \(reconciler\)/);
        await page.locator('h2 .state:has-text("terminated")').waitFor();
        const summaryText = await rowText(page, 'dl.summary');
        assert.match(summaryText, /State terminated Closed by the reconciler \(Graph no longer knew the call\)/);
        assert.match(summaryText, /Hang-up Graph accepted it \(204\)/);
        assert.match(summaryText, /Reconciled .*, Graph answered 404/);
        const recorded = await summary(callId);
        assert.equal(await page.locator('svg.timeline .mark').count(), recorded.eventCount);
        assert.equal(await page.locator('table.events tbody tr[data-sequence]').count(), recorded.eventCount);
        assert.match(await rowText(page, `table.events tr[data-sequence="${recorded.eventCount}"]`), /reconciliation/);
        assert.equal(await page.locator('button:has-text("Hang up…")').isVisible(), false, 'no hang-up for a closed call');
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
        if (SCREENSHOTS !== undefined) await page.screenshot({ path: path.join(SCREENSHOTS, 'console-call.png'), fullPage: true });
    });

    test('the hang-up button asks first, then ends an active call, and the view follows it to terminated', async () => {
        // prepare
        const callId = await newCall();
        await established(callId);
        const observed = await open(`#/calls/${callId}`);
        const { page } = observed;
        const hangUp = page.locator('button:has-text("Hang up…")');
        await hangUp.waitFor();

        // act 1: with the keyboard, open the confirmation and back out of it
        await hangUp.focus();
        await page.keyboard.press('Enter');
        await page.locator('dialog[open]').waitFor();
        assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Cancel', 'Cancel has the focus');
        await page.keyboard.press('Escape');
        await page.locator('dialog').waitFor({ state: 'detached' });
        assert.equal((await summary(callId)).callState, 'established');
        assert.equal(observed.requests.filter((request) => request.method === 'DELETE').length, 0, 'backing out sent nothing');

        // act 2: confirm
        await hangUp.click();
        await page.locator('dialog[open] button:has-text("Hang up")').click();

        // assess
        await page.locator('.outcome:has-text("Graph accepted the hang-up (204 No Content)")').waitFor();
        await page.locator('h2 .state:has-text("terminated")').waitFor({ timeout: REFRESH_WAIT_MS });
        const recorded = await eventually(
            () => summary(callId),
            (s) => s.deleted,
            10_000,
            'the deletion being recorded',
        );
        await page.locator('svg.timeline .ended').waitFor({ timeout: REFRESH_WAIT_MS });
        await eventually(
            () => page.locator('svg.timeline .mark').count(),
            (count) => count === recorded.eventCount,
            REFRESH_WAIT_MS,
            'a mark for every event',
        );
        assert.equal(await hangUp.isVisible(), false, 'no hang-up button once the call has ended');
        assert.equal(observed.requests.filter((request) => request.method === 'DELETE').length, 1);
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test("a call's relay to the bot shows in its summary and history, and the replay button asks first, then delivers it again", async () => {
        // prepare: npm start relays every notification to its example bot
        const callId = await newCall();
        await established(callId);
        const relayed = await eventually(
            () => summary(callId),
            (s) => s.relayPending === 0 && (s.relayedThrough ?? 0) >= 2,
            10_000,
            'the call relayed to the bot',
        );
        const observed = await open(`#/calls/${callId}`);
        const { page } = observed;
        await page.locator(`dd:has-text("delivered through event ${relayed.relayedThrough} of ${relayed.eventCount}, 0 pending")`).waitFor();
        await page.locator('dd:has-text("the bot answered 200")').waitFor();
        // The summary shows first; the history is loaded after it.
        const deliveredRows = page.locator('table.events td.relay:has-text("delivered (1 attempt)")');
        await deliveredRows.nth(relayed.eventCount - 1).waitFor();
        assert.equal(await deliveredRows.count(), relayed.eventCount);
        const replay = page.locator('button:has-text("Replay to the bot…")');

        // act 1: back out of the confirmation
        await replay.click();
        await page.locator('dialog[open]').waitFor();
        assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Cancel', 'Cancel has the focus');
        await page.keyboard.press('Escape');
        await page.locator('dialog').waitFor({ state: 'detached' });
        assert.equal(observed.requests.filter((request) => request.method === 'POST').length, 0, 'backing out sent nothing');

        // act 2: a sequence past the history is refused in the dialog; then replay from 2
        await replay.click();
        await page.locator('dialog[open] input#replay-from').fill(String(relayed.eventCount + 1));
        await page.locator('dialog[open] button:has-text("Replay")').click();
        assert.equal(await page.locator('dialog[open]').count(), 1, 'the dialog stays open for a sequence past the history');
        await page.locator('dialog[open] input#replay-from').fill('2');
        await page.locator('dialog[open] button:has-text("Replay")').click();

        // assess
        await page.locator('.outcome:has-text("Replay scheduled from sequence 2:")').waitFor();
        await page.locator('dd:has-text("from event 2")').waitFor({ timeout: REFRESH_WAIT_MS });
        await eventually(
            () => summary(callId),
            (s) => s.relayPending === 0 && s.relayReplayFrom === 2,
            REFRESH_WAIT_MS,
            'the replay delivered',
        );
        const posts = observed.requests.filter((request) => request.method === 'POST');
        assert.equal(posts.length, 1);
        assert.match(posts[0]?.url ?? '', new RegExp(`/api/calls/${callId}/relay$`));
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test('API problems are shown in words: an unknown call (404), a hang-up Graph keeps refusing (503), a refused function key (401)', async () => {
        // prepare
        const callId = await newCall();
        await established(callId);
        const unavailable = Array.from({ length: 6 }, () => ({ status: 503, retryAfterSeconds: 1 }));
        assert.equal((await run.simulator('PUT', `/_control/scripts/${callId}`, { responses: unavailable })).status, 204);

        // act and assess: 404
        const unknown = await open('#/calls/no-such-call');
        const problem404 = unknown.page.locator('.problem[role="alert"]:visible');
        await problem404.waitFor();
        assert.match(await problem404.innerText(), /^Could not load call no-such-call: not found \(404\)\. Nothing is recorded for call no-such-call/);

        // act and assess: 503 from Graph, with the time to wait
        const observed = await open(`#/calls/${callId}`);
        await observed.page.locator('button:has-text("Hang up…")').click();
        await observed.page.locator('dialog[open] button:has-text("Hang up")').click();
        const outcome = observed.page.locator('.outcome.failed');
        await outcome.waitFor({ timeout: 40_000 });
        assert.match(await outcome.innerText(), /^Graph is throttling or unavailable \(503\); the call was not ended\. .*Try again in \d+ s\.$/);
        assert.equal(await observed.page.locator('button:has-text("Hang up…")').isVisible(), true, 'the call is still active: it can be tried again');
        await assertStayedInApp(unknown);
        await assertStayedInApp(observed);

        // act and assess: 401. The local host does not check function keys (neither does Core Tools); in Azure the
        // Functions host answers a wrong key with a bare 401 and no body, which is what the page gets here.
        const refused = await observedPage(browser);
        pages.push(refused);
        await refused.page.route('**/api/calls**', (route) => route.fulfill({ status: 401, body: '' }));
        await refused.page.goto(`${run.apiUrl}/console?code=wrong-key`);
        const problem401 = refused.page.locator('.problem[role="alert"]:visible');
        await problem401.waitFor();
        assert.match(await problem401.innerText(), /^Could not list the calls: the app refused the function key \(401 Unauthorized\)\. Open the console with \?code=/);
        assert.match(await refused.page.locator('#active-count').innerText(), /refused the function key \(401/);
        await assertStayedInApp(refused);
    });

    test('a 2,500-event history renders, pages, and can be stepped through from the timeline with the keyboard', async () => {
        // prepare: written through the app's own store, as the callback would have
        const store = new CallStore(run.table(), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(LONG_CALL, longHistory(LONG_CALL, LONG_CALL_EVENTS));
        const observed = await open(`#/calls/${LONG_CALL}`);
        const { page } = observed;

        // act
        await page.locator('svg.timeline .mark').first().waitFor({ timeout: 30_000 });

        // assess
        assert.equal(await page.locator('svg.timeline .mark').count(), LONG_CALL_EVENTS);
        const range = page.locator('.history .pager .range');
        assert.equal((await range.innerText()).trim(), 'Events 1–100 of 2,500');
        assert.equal(await page.locator('table.events tbody tr[data-sequence]').count(), 100, 'one page of rows, not 2,500');
        await page.locator('.history button:has-text("Next ›")').click();
        assert.equal((await range.innerText()).trim(), 'Events 101–200 of 2,500');
        await page.locator('.history button:has-text("Last »")').click();
        assert.equal((await range.innerText()).trim(), 'Events 2,401–2,500 of 2,500');
        assert.equal(await page.locator('table.events tbody tr[data-sequence="2500"]').count(), 1);

        await page.locator('.timeline-scroll').focus();
        await page.keyboard.press('Home');
        await page.keyboard.press('ArrowRight');
        assert.equal((await range.innerText()).trim(), 'Events 1–100 of 2,500');
        assert.equal(await page.locator('table.events tr.highlighted').getAttribute('data-sequence'), '2');
        await page.locator('.timeline-scroll').focus();
        await page.keyboard.press('End');
        await page.keyboard.press('Enter');
        assert.equal(await page.locator('table.events tr.highlighted').getAttribute('data-sequence'), String(LONG_CALL_EVENTS));
        assert.match(await page.locator('tr.json pre').innerText(), new RegExp(`"sequence": ${LONG_CALL_EVENTS}`));
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test("outside input (notification JSON, Graph's messages, correlation ids) shows as text, never as markup", async () => {
        // prepare: what a hostile or broken sender could put into a notification, stored as the callback would
        const markup = '<img src="/api/console/assets/injected.png" onerror="document.title=1">';
        const store = new CallStore(run.table(), { dedupeWindowSeconds: 600 });
        await store.appendCallEvents(HOSTILE_CALL, [
            {
                kind: 'notification',
                resourceKind: 'call',
                resourceUrl: `/communications/calls/${HOSTILE_CALL}`,
                changeType: 'updated',
                callState: `established${markup}`,
                resultMessage: `<b>bold</b>${markup}`,
                chainId: markup,
                receivedAt: new Date(Date.now() - 2 * 3600_000),
                resourceData: JSON.stringify({ state: 'established', displayName: markup, '<script>': '</pre><script>document.title=2</script>' }),
            },
        ]);
        const observed = await open(`#/calls/${HOSTILE_CALL}`);
        const { page } = observed;
        await page.locator('table.events tr[data-sequence="1"] button').click();

        // assess
        const json = await page.locator('tr.json pre').innerText();
        assert.ok(json.includes('"displayName": "<img src=\\"/api/console/assets/injected.png\\" onerror=\\"document.title=1\\">"'), json);
        assert.ok((await rowText(page, 'table.events tr[data-sequence="1"]')).includes('<b>bold</b><img src='), 'the message as text');
        assert.equal(await page.locator('main img, main b, main script').count(), 0, 'no element made from data');
        assert.equal(await page.title(), `Call ${HOSTILE_CALL} · Calls`);
        await observed.settled();
        assert.deepEqual(
            observed.requests.filter((request) => request.url.includes('injected')),
            [],
            'nothing was loaded from the markup',
        );
        assert.deepEqual(await consoleErrors(observed), []);
        await assertStayedInApp(observed);
    });

    test('reads in a narrow window: nothing but the tables and the timeline scrolls sideways', async () => {
        // prepare
        const callId = await newCall();
        await established(callId);

        // act
        const observed = await open(`#/calls/${callId}`, { width: 360, height: 740 });
        await observed.page.locator('svg.timeline .mark').first().waitFor();
        const list = await open('', { width: 360, height: 740 });
        await list.page.locator('table.calls tbody tr').first().waitFor();

        // assess
        for (const { page } of [observed, list]) {
            const overflow = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
            assert.ok(overflow <= 0, `the page is ${overflow} px wider than the window`);
        }
    });
});

/** A long call: mostly participant updates, some state changes, gaps from milliseconds to minutes. */
function longHistory(callId: string, count: number): NewCallEvent[] {
    const start = Date.now() - 3 * 3600_000;
    let at = start;
    return Array.from({ length: count }, (_, i): NewCallEvent => {
        at += i % 250 === 0 ? 120_000 : i % 10 === 0 ? 2_000 : 40;
        const onCall = i % 50 === 0;
        return {
            kind: 'notification',
            resourceKind: onCall ? 'call' : 'participants',
            resourceUrl: `/communications/calls/${callId}${onCall ? '' : '/participants'}`,
            changeType: 'updated',
            ...(onCall ? { callState: i === 0 ? 'establishing' : i % 100 === 0 ? 'hold' : 'established' } : {}),
            receivedAt: new Date(at),
            dedupeKey: createHash('sha256').update(`${callId} ${i}`).digest('hex'),
            resourceData: JSON.stringify(onCall ? { state: 'established', n: i } : [{ id: `participant-${i % 7}`, n: i }]),
        };
    });
}
