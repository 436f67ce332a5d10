// Who may do what (SPEC "Who may do what"), through the local host over real HTTP, against real Azurite and the call
// simulator's Graph: every API route of the OpenAPI document in both modes, with no principal, a forged principal
// header, a reader, an operator, a person without a role and an application. What each route needs is read from
// the document's security requirements (the entra schemes list the app role), so the document is checked against
// the answers; every answer is also checked against the document's responses. Then the audit, end to end: who
// asked for a hang-up and why, in the history, for a person, an application and the function key, never taken from
// the request; and the local host's sign-in itself (its page, its cookie, the headers it strips).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stableId } from '../../dev/host/localSignIn';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { APP_ROLES, effectiveRoles, type AppRole } from '../../shared/access/appRoles';
import type { SignedInJson } from '../../shared/access/authorize';
import type { CallEventJson, CallSummaryJson, HistoryPageJson } from '../../shared/query/callJson';
import { CallStore } from '../../shared/record/callStore';
import { notificationEvent } from '../support/callStoreWriter';
import { HostExitedError, startHostProcess, type HostProcess } from '../support/hostProcess';
import { appOpenApi, checkedFetch } from '../support/openApi';
import { testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

const CLI = path.resolve(__dirname, '../../cli/calls.js');
const NEVER = '0 0 0 1 1 *';
const FORGED_NAME = 'Mallory Forger';

/** The people and applications who sign in at the local host's page, with the app roles an administrator gave them. */
const PRINCIPALS = {
    reader: { kind: 'user', name: 'Grace Hopper', roles: [APP_ROLES.read] },
    operator: { kind: 'user', name: 'Ada Lovelace', roles: [APP_ROLES.operate] },
    noRole: { kind: 'user', name: 'Nobody Special', roles: [] },
    automation: { kind: 'application', name: 'On-call automation', roles: [APP_ROLES.operate] },
    dashboard: { kind: 'application', name: 'Wallboard', roles: [APP_ROLES.read] },
} as const;
type PrincipalName = keyof typeof PRINCIPALS;

/** An operation of the document the access rules apply to, with the app role its entra schemes list. */
interface Operation {
    operationId: string;
    method: string;
    template: string;
    role: AppRole | undefined;
}

/** What each operation answers a caller it lets in, for the requests this test sends. */
const ALLOWED_STATUS: Record<string, number> = {
    listCalls: 200,
    getCall: 200,
    listCallHistory: 200,
    listParticipants: 200,
    // A call Graph does not know: the hang-up is tried, recorded and answered like Graph.
    endCall: 404,
    console: 200,
    openapi: 200,
    whoAmI: 200,
    // These hosts run without RELAY_URL: let in, the replay is refused because the relay is off.
    relayCall: 409,
    // The check-up answers 200 whatever it finds (these hosts run without a relay or telemetry).
    doctor: 200,
};

/** A client-principal header as App Service writes it, claiming the Operate role: what a forger would send. */
function forgedPrincipal(): Record<string, string> {
    const claims = [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: randomUUID() },
        { typ: 'name', val: FORGED_NAME },
        { typ: 'roles', val: APP_ROLES.operate },
    ];
    return {
        'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64'),
        'x-ms-client-principal-id': randomUUID(),
        'x-ms-client-principal-name': FORGED_NAME,
        'x-ms-client-principal-idp': 'aad',
    };
}

/** The operations the access rules apply to: every one but those whose security names no entra scheme (the callback, the console's assets). */
function accessOperations(): Operation[] {
    const document = appOpenApi().document as unknown as { paths: Record<string, Record<string, unknown>>; security: unknown };
    return Object.entries(document.paths).flatMap(([template, item]) =>
        Object.entries(item).flatMap(([method, operation]) => {
            const op = operation as { operationId?: string; security?: Array<{ entraBearer?: string[]; entraSession?: string[] }> };
            if (typeof op.operationId !== 'string') return [];
            const security = op.security ?? (document.security as Array<{ entraBearer?: string[]; entraSession?: string[] }>);
            const bearer = security.find((requirement) => requirement.entraBearer !== undefined)?.entraBearer;
            if (bearer === undefined) return [];
            const session = security.find((requirement) => requirement.entraSession !== undefined)?.entraSession;
            assert.deepEqual(session, bearer, `${op.operationId}: both entra schemes ask for the same role`);
            return [{ operationId: op.operationId, method: method.toUpperCase(), template, role: bearer[0] as AppRole | undefined }];
        }),
    );
}

describe('who may do what: every route in both modes', () => {
    const tableName = uniqueTableName('access');
    const table = testTableClient(tableName);
    let sim: RunningSimulator;
    /** API_AUTH=functionKey (the default): the host would check a key in Azure. */
    let keyHost: HostProcess;
    /** API_AUTH=entra, but App Service Authentication off: no principal can be trusted. */
    let offHost: HostProcess;
    /** API_AUTH=entra behind the local host's sign-in, as behind App Service Authentication in Azure. */
    let signInHost: HostProcess;
    let workDir: string;
    /** A call in the record, for the reads. */
    const known = randomUUID();
    const cookies = {} as Record<PrincipalName, string>;
    const operations = accessOperations();

    before(async () => {
        sim = await startSimulator({ port: 0, tls: testTls() });
        workDir = mkdtempSync(path.join(os.tmpdir(), 'access-'));
        const settings = {
            ...simulatorAppSettings(sim),
            CallHistoryStorage: testConnectionString(),
            CALL_HISTORY_TABLE: tableName,
            CALL_EVENTS_QUEUE: '',
            RECONCILE_SCHEDULE: NEVER,
            RETENTION_SCHEDULE: NEVER,
            GRAPH_TIMEOUT_SECONDS: '5',
        };
        [keyHost, offHost, signInHost] = await Promise.all([
            startHostProcess({ env: settings }),
            startHostProcess({ env: { ...settings, API_AUTH: 'entra' } }),
            startHostProcess({ env: { ...settings, API_AUTH: 'entra' }, signIn: true }),
        ]);
        await new CallStore(table, { dedupeWindowSeconds: 600 }).appendCallEvents(known, [notificationEvent('access', 1, { resourceUrl: `/communications/calls/${known}` })]);
        for (const [name, principal] of Object.entries(PRINCIPALS) as Array<[PrincipalName, (typeof PRINCIPALS)[PrincipalName]]>) {
            cookies[name] = await signIn(principal.kind, principal.name, principal.roles);
        }
    });
    after(async () => {
        await Promise.all([keyHost?.stop(), offHost?.stop(), signInHost?.stop()]);
        await sim?.stop();
        if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
    });

    /** Signs in at the local host's page, as the form does; the session cookie. */
    async function signIn(kind: string, name: string, roles: readonly string[]): Promise<string> {
        const form = new URLSearchParams({ kind, name, post_login_redirect_uri: '/api/console' });
        for (const role of roles) form.append('role', role);
        const answer = await fetch(`${signInOrigin()}/.auth/login/aad`, { method: 'POST', body: form, redirect: 'manual' });
        assert.equal(answer.status, 302, await answer.text());
        assert.equal(answer.headers.get('location'), '/api/console');
        const cookie = answer.headers.get('set-cookie')?.split(';')[0];
        assert.match(cookie ?? '', /^AppServiceAuthSession=[\w-]+\.[\w-]+$/);
        return cookie ?? '';
    }

    function signInOrigin(): string {
        return new URL(signInHost.baseUrl).origin;
    }

    /** One request of `operation` (a DELETE for a call Graph does not know, with X-Requested-With), answer checked against the document. */
    function send(host: HostProcess, operation: Operation, headers: Record<string, string> = {}): Promise<Response> {
        const callId = operation.method === 'DELETE' ? randomUUID() : known;
        const url = `${host.baseUrl}${operation.template.replace('{callId}', callId)}`;
        const scripted: Record<string, string> = operation.method === 'GET' ? {} : { 'x-requested-with': 'access test' };
        // The replay's body is JSON: a content type a cross-site form cannot send.
        const body = operation.method === 'POST' ? { body: '{"fromSequence": 1}' } : {};
        const json: Record<string, string> = operation.method === 'POST' ? { 'content-type': 'application/json' } : {};
        return checkedFetch(url, { method: operation.method, headers: { ...scripted, ...json, ...headers }, redirect: 'manual', ...body });
    }

    async function problemDetail(response: Response): Promise<string> {
        assert.equal(response.headers.get('content-type'), 'application/problem+json');
        return ((await response.json()) as { detail: string }).detail;
    }

    async function history(callId: string, cookie = cookies.operator): Promise<CallEventJson[]> {
        const response = await checkedFetch(`${signInHost.baseUrl}/calls/${callId}/history`, { headers: { cookie } });
        assert.equal(response.status, 200, await response.clone().text());
        return ((await response.json()) as HistoryPageJson).events;
    }

    test('the document names an app role for every route but the callback, its assets and /me; hang-up, replay and the check-up need Operate', () => {
        assert.deepEqual(Object.fromEntries(operations.map((operation) => [operation.operationId, operation.role ?? 'any principal'])), {
            listCalls: APP_ROLES.read,
            getCall: APP_ROLES.read,
            endCall: APP_ROLES.operate,
            relayCall: APP_ROLES.operate,
            listCallHistory: APP_ROLES.read,
            listParticipants: APP_ROLES.read,
            console: APP_ROLES.read,
            openapi: APP_ROLES.read,
            whoAmI: 'any principal',
            doctor: APP_ROLES.operate,
        });
    });

    test('API_AUTH=functionKey: every route lets the request in, and principal headers change nothing', async () => {
        for (const operation of operations) {
            for (const headers of [{}, forgedPrincipal()]) {
                const response = await send(keyHost, operation, headers);
                assert.equal(response.status, ALLOWED_STATUS[operation.operationId], `${operation.operationId}: ${await response.clone().text()}`);
            }
        }
        const me = (await (await send(keyHost, operations.find((o) => o.operationId === 'whoAmI') as Operation, forgedPrincipal())).json()) as SignedInJson;
        assert.deepEqual(me, { apiAuth: 'functionKey', kind: 'functionKey', roles: [APP_ROLES.read, APP_ROLES.operate] });
    });

    test('API_AUTH=entra with App Service Authentication off: every route answers 401, a forged principal header too', async () => {
        for (const operation of operations) {
            for (const headers of [{}, forgedPrincipal()]) {
                const response = await send(offHost, operation, headers);
                assert.equal(response.status, 401, operation.operationId);
                assert.match(await problemDetail(response), /App Service Authentication is not on for this app \(WEBSITE_AUTH_ENABLED is not true\)/);
                assert.equal(response.headers.get('www-authenticate'), 'Bearer');
            }
        }
    });

    test('API_AUTH=entra behind the sign-in: no principal or a forged header (stripped) is 401, or a sign-in redirect for the console', async () => {
        for (const operation of operations) {
            for (const headers of [{}, forgedPrincipal()]) {
                const response = await send(signInHost, operation, headers);
                if (operation.operationId === 'console') {
                    assert.equal(response.status, 302);
                    assert.equal(response.headers.get('location'), `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/console?signedIn=1')}`);
                } else {
                    assert.equal(response.status, 401, operation.operationId);
                    assert.match(await problemDetail(response), /Sign-in is required: App Service Authentication put no signed-in principal on this request/);
                }
            }
        }
        // Back from signing in and still nobody: the page says so once, rather than sending the person round for ever.
        const back = await checkedFetch(`${signInHost.baseUrl}/console?signedIn=1`, { redirect: 'manual' });
        assert.equal(back.status, 401);
        assert.match(await problemDetail(back), /^Back from \/\.auth\/login\/aad, and still/);
    });

    test('API_AUTH=entra behind the sign-in: each person and application gets in where the document says their roles allow, and a 403 naming the role elsewhere', async () => {
        for (const [name, principal] of Object.entries(PRINCIPALS) as Array<[PrincipalName, (typeof PRINCIPALS)[PrincipalName]]>) {
            const held = effectiveRoles(principal.roles);
            for (const operation of operations) {
                const response = await send(signInHost, operation, { cookie: cookies[name] });
                const what = `${name} ${operation.operationId}`;
                if (operation.role === undefined || held.includes(operation.role)) {
                    assert.equal(response.status, ALLOWED_STATUS[operation.operationId], `${what}: ${await response.clone().text()}`);
                } else {
                    assert.equal(response.status, 403, what);
                    assert.match(await problemDetail(response), new RegExp(`needs the app role ${operation.role.replace('.', '\\.')}, and `), what);
                }
            }
        }
    });

    test('GET /api/me says who the app takes each caller for', async () => {
        const whoAmI = operations.find((operation) => operation.operationId === 'whoAmI') as Operation;
        const me = async (name: PrincipalName) => (await (await send(signInHost, whoAmI, { cookie: cookies[name] })).json()) as SignedInJson;
        assert.deepEqual(await me('reader'), { apiAuth: 'entra', kind: 'user', id: stableId('user:object:Grace Hopper'), name: 'Grace Hopper', roles: [APP_ROLES.read] });
        assert.deepEqual(await me('noRole'), { apiAuth: 'entra', kind: 'user', id: stableId('user:object:Nobody Special'), name: 'Nobody Special', roles: [] });
        assert.deepEqual(await me('automation'), {
            apiAuth: 'entra',
            kind: 'application',
            id: stableId('application:On-call automation'),
            name: 'On-call automation',
            roles: [APP_ROLES.read, APP_ROLES.operate],
        });
    });

    test('a state-changing request a form could send is refused, even from an operator; JSON or X-Requested-With lets it through', async () => {
        // prepare
        const graphBefore = sim.stats().graphRequests.length;
        const hangUp = (headers: Record<string, string>, body?: string) =>
            checkedFetch(`${signInHost.baseUrl}/calls/${randomUUID()}`, {
                method: 'DELETE',
                headers: { cookie: cookies.operator, ...headers },
                ...(body === undefined ? {} : { body }),
            });

        // act
        const refused = [
            await hangUp({}),
            await hangUp({ 'content-type': 'application/x-www-form-urlencoded' }, 'reason=x'),
            await hangUp({ 'content-type': 'text/plain' }, '{"reason":"x"}'),
        ];
        const refusedGraphRequests = sim.stats().graphRequests.length - graphBefore;
        const passed = [await hangUp({ 'content-type': 'application/json' }, '{"reason":"scripted"}'), await hangUp({ 'x-requested-with': 'XMLHttpRequest' })];

        // assess
        for (const response of refused) {
            assert.equal(response.status, 403);
            assert.match(await problemDetail(response), /form on another site could have sent: send it with Content-Type: application\/json, or with an X-Requested-With header/);
        }
        assert.equal(refusedGraphRequests, 0, 'a refused hang-up never reaches Graph');
        assert.deepEqual(
            passed.map((response) => response.status),
            [404, 404],
        );
    });

    test("audit: an operator's hang-up records their object id, name and reason, from the session, never from a forged header", async () => {
        // prepare: a live call, its notifications posted to the callback (anonymous at the host in entra mode too)
        const callId = sim.createCall({ callbackUri: `${signInHost.baseUrl}/callback` }).id;
        await sim.settled(15_000);
        const established = await checkedFetch(`${signInHost.baseUrl}/calls/${callId}`, { headers: { cookie: cookies.reader } });
        assert.equal(((await established.json()) as CallSummaryJson).callState, 'established');
        const graphBefore = sim.stats().graphRequests.length;

        // act: a reader first (refused, nothing recorded), then the operator with a forged principal beside the session
        const byReader = await checkedFetch(`${signInHost.baseUrl}/calls/${callId}?reason=${encodeURIComponent('I am an operator')}`, {
            method: 'DELETE',
            headers: { cookie: cookies.reader, 'x-requested-with': 'x' },
        });
        const readerGraphRequests = sim.stats().graphRequests.length - graphBefore;
        const byOperator = await checkedFetch(`${signInHost.baseUrl}/calls/${callId}?reason=${encodeURIComponent('the caller asked\nto end it')}`, {
            method: 'DELETE',
            headers: { cookie: cookies.operator, 'x-requested-with': 'x', ...forgedPrincipal() },
        });
        await sim.settled(15_000);

        // assess
        assert.equal(byReader.status, 403);
        assert.equal(readerGraphRequests, 0);
        assert.equal(byOperator.status, 204, await byOperator.clone().text());
        const hangUps = (await history(callId)).filter((event) => event.kind === 'hangupRequest');
        assert.equal(hangUps.length, 1, 'the refused hang-up left no event');
        const { requestedByKind, requestedById, requestedByName, requestReason, httpStatus } = hangUps[0] as CallEventJson;
        assert.deepEqual(
            { requestedByKind, requestedById, requestedByName, requestReason, httpStatus },
            {
                requestedByKind: 'user',
                requestedById: stableId('user:object:Ada Lovelace'),
                requestedByName: 'Ada Lovelace',
                requestReason: 'the caller asked to end it',
                httpStatus: 204,
            },
        );

        // assess: the command line prints who asked and why
        const printed = await new Promise<string>((resolve, reject) =>
            execFile(
                process.execPath,
                [CLI, 'history', callId],
                { cwd: workDir, env: { PATH: process.env.PATH ?? '', CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName } },
                (err, stdout) => (err === null ? resolve(stdout) : reject(err)),
            ),
        );
        assert.match(printed, new RegExp(`hangupRequest .* by Ada Lovelace \\(${stableId('user:object:Ada Lovelace')}\\): "the caller asked to end it"`));
        assert.doesNotMatch(printed, new RegExp(FORGED_NAME));
    });

    test("audit: an application's hang-up records its client id and the body's reason; the function key is recorded as such", async () => {
        // act
        const byApplication = randomUUID();
        const appAnswer = await checkedFetch(`${signInHost.baseUrl}/calls/${byApplication}`, {
            method: 'DELETE',
            headers: { cookie: cookies.automation, 'content-type': 'application/json' },
            body: JSON.stringify({ reason: 'stale call cleanup' }),
        });
        const byKey = randomUUID();
        const keyAnswer = await checkedFetch(`${keyHost.baseUrl}/calls/${byKey}?reason=night%20shift`, { method: 'DELETE', headers: forgedPrincipal() });

        // assess
        assert.deepEqual([appAnswer.status, keyAnswer.status], [404, 404], 'Graph has no such calls; the attempts are recorded all the same');
        const [appEvent] = await history(byApplication);
        assert.deepEqual(
            [appEvent?.kind, appEvent?.requestedByKind, appEvent?.requestedById, appEvent?.requestedByName, appEvent?.requestReason],
            ['hangupRequest', 'application', stableId('application:On-call automation'), 'On-call automation', 'stale call cleanup'],
        );
        const [keyEvent] = await history(byKey);
        assert.deepEqual(
            [keyEvent?.kind, keyEvent?.requestedByKind, keyEvent?.requestedById, keyEvent?.requestedByName, keyEvent?.requestReason],
            ['hangupRequest', 'functionKey', undefined, undefined, 'night shift'],
        );
    });

    test('audit fields cannot come from the body: a body with more than a reason is a 400, and nothing reaches Graph or the record', async () => {
        // prepare
        const callId = randomUUID();
        const graphBefore = sim.stats().graphRequests.length;

        // act
        const answers = [
            await checkedFetch(`${signInHost.baseUrl}/calls/${callId}`, {
                method: 'DELETE',
                headers: { cookie: cookies.operator, 'content-type': 'application/json' },
                body: JSON.stringify({ reason: 'x', requestedByName: FORGED_NAME, requestedByKind: 'user' }),
            }),
            await checkedFetch(`${signInHost.baseUrl}/calls/${callId}?reason=a`, {
                method: 'DELETE',
                headers: { cookie: cookies.operator, 'content-type': 'application/json' },
                body: JSON.stringify({ reason: 'b' }),
            }),
        ];

        // assess
        assert.deepEqual(
            answers.map((answer) => answer.status),
            [400, 400],
        );
        assert.match(await problemDetail(answers[0] as Response), /The body may hold "reason" only, not "requestedByName", "requestedByKind"/);
        assert.equal(sim.stats().graphRequests.length, graphBefore);
        const record = await checkedFetch(`${signInHost.baseUrl}/calls/${callId}`, { headers: { cookie: cookies.operator } });
        assert.equal(record.status, 404);
    });
});

describe('the local host plays App Service Authentication (--sign-in)', () => {
    let host: HostProcess;
    const origin = () => new URL(host.baseUrl).origin;

    before(async () => {
        host = await startHostProcess({ env: { CallHistoryStorage: testConnectionString(), BOT_APP_ID: 'local-sign-in-test', API_AUTH: 'entra' }, signIn: true });
    });
    after(async () => {
        await host?.stop();
    });

    test('the sign-in page offers a person or an application, a name and the app roles, and returns where it was asked to', async () => {
        // act
        const page = await fetch(`${origin()}/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/console?signedIn=1')}`);
        const html = await page.text();

        // assess
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        assert.match(html, /<form method="post" action="\/\.auth\/login\/aad">/);
        assert.match(html, /name="post_login_redirect_uri" value="\/api\/console\?signedIn=1"/);
        for (const expected of ['value="user"', 'value="application"', `value="${APP_ROLES.read}"`, `value="${APP_ROLES.operate}"`]) assert.ok(html.includes(expected), expected);
    });

    test('it never sends anyone to another site, and takes only its own form', async () => {
        for (const target of ['https://elsewhere.example/', '//elsewhere.example/', '/\\elsewhere.example']) {
            const answer = await fetch(`${origin()}/.auth/login/aad`, {
                method: 'POST',
                body: new URLSearchParams({ name: 'A', post_login_redirect_uri: target }),
                redirect: 'manual',
            });
            assert.equal(answer.headers.get('location'), '/', target);
        }
        const json = await fetch(`${origin()}/.auth/login/aad`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"A"}' });
        assert.equal(json.status, 400);
        const nameless = await fetch(`${origin()}/.auth/login/aad`, { method: 'POST', body: new URLSearchParams({ name: ' ' }) });
        assert.equal(nameless.status, 400);
    });

    test('a tampered session cookie is no session; signing out clears it', async () => {
        // prepare
        const answer = await fetch(`${origin()}/.auth/login/aad`, { method: 'POST', body: new URLSearchParams({ name: 'Ada', role: APP_ROLES.operate }), redirect: 'manual' });
        const cookie = answer.headers.get('set-cookie')?.split(';')[0] ?? '';
        const [value = '', signature = ''] = cookie.split('=')[1]?.split('.') ?? [];
        const claims = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
        const tampered = `AppServiceAuthSession=${Buffer.from(JSON.stringify({ ...claims, name: FORGED_NAME })).toString('base64url')}.${signature}`;
        const me = (sessionCookie: string) => checkedFetch(`${host.baseUrl}/me`, { headers: { cookie: sessionCookie } });

        // act
        const genuine = await me(cookie);
        const forged = await me(tampered);
        const signOut = await fetch(`${origin()}/.auth/logout?post_logout_redirect_uri=/api/console`, { headers: { cookie }, redirect: 'manual' });

        // assess
        assert.equal(((await genuine.json()) as SignedInJson).name, 'Ada');
        assert.equal(forged.status, 401);
        assert.equal(signOut.status, 302);
        assert.equal(signOut.headers.get('location'), '/api/console');
        assert.match(signOut.headers.get('set-cookie') ?? '', /^AppServiceAuthSession=; .*Max-Age=0/);
    });

    test('the client-principal and provider-token headers callers send are stripped before the app sees them', async () => {
        // act: a caller with a session and forged headers, and one with forged headers only
        const answer = await fetch(`${origin()}/.auth/login/aad`, { method: 'POST', body: new URLSearchParams({ name: 'Ada', role: APP_ROLES.read }), redirect: 'manual' });
        const cookie = answer.headers.get('set-cookie')?.split(';')[0] ?? '';
        const withSession = await checkedFetch(`${host.baseUrl}/me`, { headers: { cookie, ...forgedPrincipal(), 'x-ms-token-aad-id-token': 'forged' } });
        const without = await checkedFetch(`${host.baseUrl}/me`, { headers: forgedPrincipal() });

        // assess
        assert.deepEqual(((await withSession.json()) as SignedInJson).roles, [APP_ROLES.read]);
        assert.equal(without.status, 401);
    });

    test('a host that does not play App Service Authentication refuses WEBSITE_AUTH_ENABLED: the app would trust anyone', async () => {
        await assert.rejects(
            startHostProcess({ env: { CallHistoryStorage: testConnectionString(), BOT_APP_ID: 'x', API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True' } }),
            (err: unknown) => err instanceof HostExitedError && /WEBSITE_AUTH_ENABLED is set .* start the host with --sign-in/.test(err.output),
        );
    });
});
