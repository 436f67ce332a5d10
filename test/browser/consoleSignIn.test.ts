// The operator console when people sign in (npm start -- --sign-in, API_AUTH=entra), in a real browser (Debian's
// Chromium through playwright-core): opening it sends you to the sign-in page and back; a reader sees who they
// are and no hang-up button, and the API refuses them the hang-up all the same; an operator hangs up with a reason,
// which the history shows with their name; signing out signs out. Every answer from the API is checked against the
// OpenAPI document.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { stableId } from '../../dev/host/localSignIn';
import { APP_ROLES, type AppRole } from '../../shared/access/appRoles';
import type { CallEventJson, CallSummaryJson, HistoryPageJson } from '../../shared/query/callJson';
import { launchChromium, observedPage, type ObservedPage } from '../support/browser';
import { eventually, newFolders, removeFolders, startLocalRun, type LocalRunFolders, type LocalRunProcess } from '../support/e2eLocalRun';
import { OpenApiChecker } from '../support/openApi';

/** The reconciler runs only when asked, never in the middle of a test. */
const RUN_SETTINGS = { RECONCILE_SCHEDULE: '0 0 0 1 1 *' };
const READER = { name: 'Grace Hopper', role: APP_ROLES.read };
const OPERATOR = { name: 'Ada Lovelace', role: APP_ROLES.operate };
const REASON = 'caller asked to be dropped';
/** An active call refreshes every 5 s; twice that and some for a loaded machine. */
const REFRESH_WAIT_MS = 15_000;

describe('operator console with sign-in, in Chromium', () => {
    let folders: LocalRunFolders;
    let run: LocalRunProcess;
    let browser: Browser;
    /** The test's own session (an operator), for what it checks through the API. */
    let harness: Record<string, string>;
    const openApi = new OpenApiChecker();
    const pages: ObservedPage[] = [];

    before(async () => {
        browser = await launchChromium();
        folders = newFolders();
        run = await startLocalRun({ folders, env: RUN_SETTINGS, args: ['--sign-in'] });
        harness = { cookie: await signInCookie('Test harness', APP_ROLES.operate) };
    });
    after(async () => {
        await Promise.all(pages.map((page) => page.close().catch(() => undefined)));
        await browser?.close();
        await run?.stop('SIGTERM').catch(() => undefined);
        if (folders !== undefined) removeFolders(folders);
    });

    function origin(): string {
        return new URL(run.apiUrl).origin;
    }

    async function signInCookie(name: string, role: AppRole): Promise<string> {
        const answer = await fetch(`${origin()}/.auth/login/aad`, { method: 'POST', body: new URLSearchParams({ name, role }), redirect: 'manual' });
        return answer.headers.get('set-cookie')?.split(';')[0] ?? '';
    }

    async function establishedCall(): Promise<string> {
        const created = await run.simulator('POST', '/_control/calls', { callbackUri: `${run.apiUrl}/callback` });
        assert.equal(created.status, 201, created.text);
        const callId = (created.json as { id: string }).id;
        await eventually(
            () => run.app('GET', `/calls/${callId}`, harness),
            (answer) => answer.status === 200 && (answer.json as CallSummaryJson).callState === 'established',
            10_000,
            `call ${callId} being recorded as established`,
        );
        return callId;
    }

    /** Opens the console at `hash` in a fresh browser context, which sends the person to sign in; signs in as `who`. */
    async function signInThroughConsole(who: { name: string; role: AppRole }, hash = ''): Promise<ObservedPage> {
        const observed = await observedPage(browser);
        pages.push(observed);
        const { page } = observed;
        await page.goto(`${run.apiUrl}/console${hash}`);
        await page.locator('form[action="/.auth/login/aad"]').waitFor();
        await page.locator('input[name="name"]').fill(who.name);
        for (const role of Object.values(APP_ROLES)) await page.locator(`input[name="role"][value="${role}"]`).setChecked(role === who.role);
        await page.locator('button[type="submit"]').click();
        await page.locator('#who .name').waitFor();
        return observed;
    }

    /** Every answer of the app's API matched the document; no request left the app's origin. */
    async function assertStayedInApp(observed: ObservedPage): Promise<void> {
        await observed.settled();
        assert.deepEqual(
            observed.requests.filter((request) => new URL(request.url).origin !== origin()).map((request) => request.url),
            [],
        );
        for (const answer of observed.answers) if (new URL(answer.url).pathname.startsWith('/api/')) openApi.check(answer);
    }

    test('a reader is sent to sign in and back, sees who they are, and is offered no hang-up, which the API refuses them anyway', async () => {
        // prepare
        const callId = await establishedCall();

        // act
        const observed = await signInThroughConsole(READER, `#/calls/${callId}`);
        const { page } = observed;
        await page.locator('h2 .state:has-text("established")').waitFor();
        const refused = await page.evaluate(async (id) => {
            const answer = await fetch(`/api/calls/${id}`, { method: 'DELETE', headers: { 'x-requested-with': 'XMLHttpRequest' } });
            return { status: answer.status, body: await answer.text() };
        }, callId);

        // assess
        assert.equal(new URL(page.url()).pathname, '/api/console');
        assert.doesNotMatch(page.url(), /signedIn/, 'the sign-in marker left the address bar');
        assert.equal((await page.locator('#who').textContent())?.trim(), `${READER.name} (${APP_ROLES.read}) · Sign out`);
        assert.equal(await page.locator('#who .name').getAttribute('title'), stableId(`user:object:${READER.name}`));
        assert.equal(await page.locator('button:has-text("Hang up…")').count(), 1);
        assert.equal(await page.locator('button:has-text("Hang up…")').isVisible(), false, 'no hang-up button for a reader');
        assert.equal(refused.status, 403);
        assert.match(refused.body, /needs the app role CallRecord\.Operate, and Grace Hopper .* holds only CallRecord\.Read/);
        const me = observed.requests.find((request) => new URL(request.url).pathname === '/api/me');
        assert.ok(me !== undefined && me.headers['x-functions-key'] === undefined, 'the page asks who is signed in, with the session, not a key');
        await assertStayedInApp(observed);
        assert.deepEqual(observed.errors, ['Failed to load resource: the server responded with a status of 403 (Forbidden)'], 'the refused DELETE the test sent, nothing else');
    });

    test("an operator hangs up with a reason, and the history shows the hang-up with the operator's name and reason", async () => {
        // prepare
        const callId = await establishedCall();
        const observed = await signInThroughConsole(OPERATOR, `#/calls/${callId}`);
        const { page } = observed;
        const hangUp = page.locator('button:has-text("Hang up…")');
        await hangUp.waitFor();

        // act
        await hangUp.click();
        await page.locator('dialog[open] #hangup-reason').fill(REASON);
        await page.locator('dialog[open] button:has-text("Hang up")').click();

        // assess
        await page.locator('.outcome:has-text("Graph accepted the hang-up (204 No Content)")').waitFor();
        const row = page.locator('table.events tr.kind-hangupRequest');
        await row.waitFor({ timeout: REFRESH_WAIT_MS });
        const operatorId = stableId(`user:object:${OPERATOR.name}`);
        assert.match((await row.textContent()) ?? '', new RegExp(`Asked by ${OPERATOR.name} \\(${operatorId}\\): “${REASON}”`));
        const deleted = observed.requests.filter((request) => request.method === 'DELETE');
        assert.equal(deleted.length, 1);
        assert.equal(deleted[0]?.headers['content-type'], 'application/json');
        assert.equal(deleted[0]?.headers['x-requested-with'], 'XMLHttpRequest');
        const history = await run.app('GET', `/calls/${callId}/history`, harness);
        const hangUps = (history.json as HistoryPageJson).events.filter((event) => event.kind === 'hangupRequest');
        assert.deepEqual(
            hangUps.map(({ requestedByKind, requestedById, requestedByName, requestReason }: CallEventJson) => ({
                requestedByKind,
                requestedById,
                requestedByName,
                requestReason,
            })),
            [{ requestedByKind: 'user', requestedById: operatorId, requestedByName: OPERATOR.name, requestReason: REASON }],
        );
        await assertStayedInApp(observed);
        assert.deepEqual(observed.errors, []);
    });

    test('signing out ends the session: the console sends you to sign in again', async () => {
        // prepare
        const observed = await signInThroughConsole(READER);
        const { page } = observed;

        // act
        await page.locator('#who a:has-text("Sign out")').click();

        // assess
        await page.locator('form[action="/.auth/login/aad"]').waitFor();
        const cookies = await observed.context.cookies();
        assert.equal(
            cookies.find((cookie) => cookie.name === 'AppServiceAuthSession'),
            undefined,
        );
        await assertStayedInApp(observed);
    });
});
