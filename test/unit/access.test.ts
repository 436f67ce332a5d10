// Who may do what, without I/O: the client principal as App Service Authentication writes it (short claim names
// and the long URIs of its claim mapping, people and applications), the app roles, the 401/403 decisions in both
// modes, the cross-site guard, the reason, and the audit columns a hang-up records.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APP_ROLES, effectiveRoles } from '../../shared/access/appRoles';
import { authorize, hostAuthLevel, signedIn, signedInJson, signInRedirect, type AccessRequest } from '../../shared/access/authorize';
import { LONG_ROLE_CLAIM, readClientPrincipal } from '../../shared/access/clientPrincipal';
import { requireScriptedRequest } from '../../shared/access/crossSiteGuard';
import { requestAudit, requesterInWords } from '../../shared/access/requester';
import { requestReason } from '../../shared/access/requestReason';
import { BadRequestError, ForbiddenError, UnauthorizedError } from '../../shared/errors';
import type { AccessConfig } from '../../shared/settings/config';

const OID = 'b1f9a7c2-5d3e-4f10-9a2b-0c1d2e3f4a5b';
const APP_ID = 'a7e2c3d4-1111-4222-8333-444455556666';
const TENANT = '11111111-1111-4111-8111-111111111111';

const ENTRA: AccessConfig = { mode: 'entra', platformSignIn: true };
const ENTRA_WITHOUT_PLATFORM: AccessConfig = { mode: 'entra', platformSignIn: false };
const FUNCTION_KEY: AccessConfig = { mode: 'functionKey', platformSignIn: false };

type Claim = { typ: string; val: unknown };

function encoded(claims: Claim[], extra: Record<string, unknown> = {}): string {
    return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', ...extra })).toString('base64');
}

function headers(values: Record<string, string>): Headers {
    return new Headers(values);
}

function request(method: string, values: Record<string, string> = {}): AccessRequest {
    return { method, headers: headers(values) };
}

/** A person's session (claims of their ID token), mapped as Easy Auth maps them. */
const reader = (roleClaim = LONG_ROLE_CLAIM) =>
    encoded([
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID },
        { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TENANT },
        { typ: 'name', val: 'Grace Hopper' },
        { typ: 'preferred_username', val: 'grace@contoso.example' },
        { typ: roleClaim, val: APP_ROLES.read },
    ]);

/** An application's client-credentials token: an application id, roles, nothing about a person. */
const application = (roles: string[]) =>
    encoded([
        { typ: 'oid', val: 'c0c0c0c0-0000-4000-8000-000000000001' },
        { typ: 'tid', val: TENANT },
        { typ: 'appid', val: APP_ID },
        ...roles.map((role) => ({ typ: 'roles', val: role })),
    ]);

function fails(act: () => unknown, type: typeof UnauthorizedError | typeof ForbiddenError | typeof BadRequestError, pattern: RegExp): void {
    assert.throws(act, (err: unknown) => {
        assert.ok(err instanceof type, `expected ${type.name}, got ${String(err)}`);
        assert.match(err.detail, pattern);
        return true;
    });
}

describe('readClientPrincipal', () => {
    test('a person, with claims under the long URIs of the claim mapping', () => {
        assert.deepEqual(readClientPrincipal(headers({ 'x-ms-client-principal': reader() })), {
            kind: 'principal',
            principal: { kind: 'user', id: OID, name: 'Grace Hopper', tenantId: TENANT, roles: [APP_ROLES.read] },
        });
    });

    test('roles arrive as `roles`, as the long role URI, or under the type role_typ names; one claim per role', () => {
        for (const roleClaim of ['roles', LONG_ROLE_CLAIM, 'ROLES']) {
            const reading = readClientPrincipal(headers({ 'x-ms-client-principal': reader(roleClaim) }));
            assert.deepEqual(reading.kind === 'principal' ? reading.principal.roles : reading, [APP_ROLES.read], roleClaim);
        }
        const custom = encoded(
            [
                { typ: 'oid', val: OID },
                { typ: 'app-roles', val: APP_ROLES.operate },
                { typ: 'roles', val: APP_ROLES.read },
            ],
            { role_typ: 'app-roles' },
        );
        const reading = readClientPrincipal(headers({ 'x-ms-client-principal': custom }));
        assert.deepEqual(reading.kind === 'principal' ? reading.principal.roles.sort() : reading, [APP_ROLES.operate, APP_ROLES.read]);
    });

    test('an application: its client id, whether it says idtyp=app or is simply a token with no person in it', () => {
        const plain = readClientPrincipal(headers({ 'x-ms-client-principal': application([APP_ROLES.operate]) }));
        assert.deepEqual(plain, { kind: 'principal', principal: { kind: 'application', id: APP_ID, tenantId: TENANT, roles: [APP_ROLES.operate] } });
        const v2 = encoded([
            { typ: 'azp', val: APP_ID },
            { typ: 'idtyp', val: 'app' },
            { typ: 'app_displayname', val: 'on-call automation' },
        ]);
        const reading = readClientPrincipal(headers({ 'x-ms-client-principal': v2 }));
        assert.deepEqual(reading.kind === 'principal' ? [reading.principal.kind, reading.principal.id, reading.principal.name] : reading, [
            'application',
            APP_ID,
            'on-call automation',
        ]);
    });

    test("a person's delegated token names their application too, and stays a person; names fall back to the UPN and the -name header", () => {
        const delegated = encoded([
            { typ: 'oid', val: OID },
            { typ: 'appid', val: APP_ID },
            { typ: 'scp', val: 'user_impersonation' },
            { typ: 'upn', val: 'ada@contoso.example' },
        ]);
        const reading = readClientPrincipal(headers({ 'x-ms-client-principal': delegated }));
        assert.deepEqual(reading.kind === 'principal' ? [reading.principal.kind, reading.principal.id, reading.principal.name] : reading, ['user', OID, 'ada@contoso.example']);
        const bare = readClientPrincipal(
            headers({ 'x-ms-client-principal': encoded([{ typ: 'scp', val: 'x' }]), 'x-ms-client-principal-id': OID, 'x-ms-client-principal-name': 'ada@contoso.example' }),
        );
        assert.deepEqual(bare.kind === 'principal' ? [bare.principal.id, bare.principal.name] : bare, [OID, 'ada@contoso.example']);
    });

    test('no header is no principal; what App Service does not write cannot be read', () => {
        assert.deepEqual(readClientPrincipal(headers({})), { kind: 'none' });
        assert.deepEqual(readClientPrincipal(headers({ 'x-ms-client-principal-id': OID })), { kind: 'none' }, 'the -id header alone is nothing');
        for (const value of ['not base64 json', Buffer.from('[]').toString('base64'), Buffer.from('{"userId":"x"}').toString('base64')]) {
            assert.equal(readClientPrincipal(headers({ 'x-ms-client-principal': value })).kind, 'unreadable', value);
        }
        assert.deepEqual(readClientPrincipal(headers({ 'x-ms-client-principal': encoded([{ typ: 'name', val: 'no id' }]) })), {
            kind: 'unreadable',
            reason: 'the person it names has no id',
        });
    });
});

describe('app roles', () => {
    test('Operate includes Read; values this app does not know count for nothing', () => {
        assert.deepEqual(effectiveRoles([APP_ROLES.operate]), [APP_ROLES.read, APP_ROLES.operate]);
        assert.deepEqual(effectiveRoles([APP_ROLES.read, 'Admin', 'callrecord.operate']), [APP_ROLES.read]);
        assert.deepEqual(effectiveRoles([]), []);
    });
});

describe('authorize', () => {
    test('functionKey mode: the host checked the key; the requester is "function key", whatever principal headers say', () => {
        const forged = request('DELETE', { 'x-ms-client-principal': application([APP_ROLES.operate]) });
        assert.deepEqual(authorize(forged, APP_ROLES.operate, FUNCTION_KEY), { kind: 'functionKey' });
        assert.deepEqual(authorize(request('GET'), APP_ROLES.read, FUNCTION_KEY), { kind: 'functionKey' });
        assert.equal(hostAuthLevel(FUNCTION_KEY), 'function');
        assert.equal(hostAuthLevel(ENTRA), 'anonymous');
    });

    test('entra mode with App Service Authentication off: 401, a principal header or not', () => {
        for (const value of [undefined, reader(), application([APP_ROLES.operate])]) {
            fails(
                () => authorize(request('GET', value === undefined ? {} : { 'x-ms-client-principal': value }), APP_ROLES.read, ENTRA_WITHOUT_PLATFORM),
                UnauthorizedError,
                /App Service Authentication is not on for this app \(WEBSITE_AUTH_ENABLED is not true\)/,
            );
        }
    });

    test('entra mode: no principal 401 (WWW-Authenticate: Bearer), a role it lacks 403 naming the role, the role the requester', () => {
        assert.throws(
            () => authorize(request('GET'), APP_ROLES.read, ENTRA),
            (err: unknown) => err instanceof UnauthorizedError && err.headers['WWW-Authenticate'] === 'Bearer' && /\/\.auth\/login\/aad/.test(err.detail),
        );
        fails(() => authorize(request('GET', { 'x-ms-client-principal': 'garbage' }), APP_ROLES.read, ENTRA), UnauthorizedError, /cannot be read/);
        const asReader = { 'x-ms-client-principal': reader(), 'content-type': 'application/json' };
        assert.deepEqual(authorize(request('GET', asReader), APP_ROLES.read, ENTRA), { kind: 'user', id: OID, name: 'Grace Hopper' });
        fails(
            () => authorize(request('DELETE', asReader), APP_ROLES.operate, ENTRA),
            ForbiddenError,
            new RegExp(`needs the app role CallRecord\\.Operate, and Grace Hopper \\(${OID}\\) holds only CallRecord\\.Read`),
        );
        const noRole = encoded([{ typ: 'oid', val: OID }]);
        fails(() => authorize(request('GET', { 'x-ms-client-principal': noRole }), APP_ROLES.read, ENTRA), ForbiddenError, /needs the app role CallRecord\.Read, .* holds no role/);
        const operatorApp = { 'x-ms-client-principal': application([APP_ROLES.operate]), 'x-requested-with': 'automation' };
        assert.deepEqual(authorize(request('DELETE', operatorApp), APP_ROLES.operate, ENTRA), { kind: 'application', id: APP_ID });
        assert.deepEqual(authorize(request('GET', operatorApp), APP_ROLES.read, ENTRA), { kind: 'application', id: APP_ID }, 'Operate includes Read');
    });

    test('entra mode: a state-changing request a form could send is refused, even from an operator', () => {
        const operator = application([APP_ROLES.operate]);
        for (const extra of [
            {},
            { 'content-type': 'application/x-www-form-urlencoded' },
            { 'content-type': 'text/plain' },
            { 'content-type': 'multipart/form-data; boundary=x' },
        ] as Array<Record<string, string>>) {
            fails(() => authorize(request('DELETE', { 'x-ms-client-principal': operator, ...extra }), APP_ROLES.operate, ENTRA), ForbiddenError, /form on another site/);
        }
        for (const extra of [
            { 'content-type': 'application/json; charset=utf-8' },
            { 'content-type': 'application/merge-patch+json' },
            { 'x-requested-with': 'XMLHttpRequest' },
        ] as Array<Record<string, string>>) {
            assert.equal(authorize(request('POST', { 'x-ms-client-principal': operator, ...extra }), APP_ROLES.operate, ENTRA).kind, 'application');
        }
        assert.doesNotThrow(() => requireScriptedRequest(headers({ 'X-Requested-With': 'x' })));
    });

    test('signedIn answers for any principal, role or not; GET /api/me says it', () => {
        const noRole = encoded([
            { typ: 'oid', val: OID },
            { typ: 'name', val: 'Ada Lovelace' },
        ]);
        assert.deepEqual(signedInJson(signedIn(request('GET', { 'x-ms-client-principal': noRole }), ENTRA), ENTRA), {
            apiAuth: 'entra',
            kind: 'user',
            id: OID,
            name: 'Ada Lovelace',
            roles: [],
        });
        assert.deepEqual(signedInJson(signedIn(request('GET'), FUNCTION_KEY), FUNCTION_KEY), {
            apiAuth: 'functionKey',
            kind: 'functionKey',
            roles: [APP_ROLES.read, APP_ROLES.operate],
        });
    });

    test('a page sends a person who is not signed in to sign in, once; not without the platform, not for other errors', () => {
        const err = new UnauthorizedError('Sign-in is required.');
        const answer = signInRedirect(err, 'http://localhost:7071/api/console?x=1', ENTRA);
        assert.equal(answer?.status, 302);
        assert.equal(answer?.headers?.Location, `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent('/api/console?x=1&signedIn=1')}`);
        const back = signInRedirect(err, 'http://localhost:7071/api/console?signedIn=1', ENTRA);
        assert.equal(back?.status, 401, 'back from signing in, still nobody: no loop');
        assert.match(String(back?.body), /Back from \/\.auth\/login\/aad, and still App Service Authentication put no signed-in principal/);
        assert.equal(signInRedirect(err, 'http://localhost:7071/api/console', ENTRA_WITHOUT_PLATFORM), undefined);
        assert.equal(signInRedirect(err, 'http://localhost:7071/api/console', FUNCTION_KEY), undefined);
        assert.equal(signInRedirect(new ForbiddenError('no role'), 'http://localhost:7071/api/console', ENTRA), undefined);
    });
});

describe('the reason and the audit columns', () => {
    test('a reason from the query or the body, on one line; none when empty', () => {
        assert.equal(requestReason(new URLSearchParams('reason=caller%0A%20asked'), undefined), 'caller asked');
        assert.equal(requestReason(new URLSearchParams(), '  wrong number  '), 'wrong number');
        assert.equal(requestReason(new URLSearchParams('reason=%20'), undefined), undefined);
        assert.equal(requestReason(new URLSearchParams(), null), undefined);
        assert.equal(requestReason(new URLSearchParams(), 'x'.repeat(500))?.length, 500);
    });

    test('a reason given twice, not a string, too long or with control characters is a 400', () => {
        fails(() => requestReason(new URLSearchParams('reason=a&reason=b'), undefined), BadRequestError, /once/);
        fails(() => requestReason(new URLSearchParams('reason=a'), 'b'), BadRequestError, /not in both/);
        fails(() => requestReason(new URLSearchParams(), 42), BadRequestError, /must be a string/);
        fails(() => requestReason(new URLSearchParams(), 'x'.repeat(501)), BadRequestError, /501 characters long; at most 500/);
        fails(() => requestReason(new URLSearchParams('reason=a%07b'), undefined), BadRequestError, /control characters/);
    });

    test('the columns name the person, the application or the function key, and are read back in words', () => {
        const person = requestAudit({ kind: 'user', id: OID, name: 'Ada Lovelace' }, 'caller asked');
        assert.deepEqual(person, { requestedByKind: 'user', requestedById: OID, requestedByName: 'Ada Lovelace', requestReason: 'caller asked' });
        assert.equal(requesterInWords(person), `Ada Lovelace (${OID})`);
        const app = requestAudit({ kind: 'application', id: APP_ID });
        assert.deepEqual(app, { requestedByKind: 'application', requestedById: APP_ID });
        assert.equal(requesterInWords(app), `application (${APP_ID})`);
        assert.deepEqual(requestAudit({ kind: 'functionKey' }), { requestedByKind: 'functionKey' });
        assert.equal(requesterInWords({ requestedByKind: 'functionKey' }), 'function key');
        assert.equal(requesterInWords({}), undefined, 'events nobody asked for');
    });
});
