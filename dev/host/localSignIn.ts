// App Service Authentication (Easy Auth) with Microsoft Entra ID as the local host plays it for `--sign-in`: a
// sign-in page at /.auth/login/aad where you choose who you are (a person or an application, a name, app roles),
// a session cookie, /.auth/logout; and on every other request, what the platform does in Azure: it strips the
// client-principal headers the caller sent and adds its own for the signed-in session. Requests without a session
// go on to the app unchanged (as with "allow unauthenticated requests"), so the app's own 401 is what they get.
// The app reads the headers only because the host sets WEBSITE_AUTH_ENABLED, as the platform does.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { APP_ROLES } from '../../shared/access/appRoles';
import { SIGN_IN_PATH, SIGN_OUT_PATH } from '../../shared/access/signInPaths';
import { LONG_ROLE_CLAIM } from '../../shared/access/clientPrincipal';
import type { HttpAnswer } from '../../shared/problem';
import { problemOf } from '../../shared/problem';

/** App Service's own session cookie name, so that what a browser keeps looks the same as in Azure. */
const SESSION_COOKIE = 'AppServiceAuthSession';
/** The tenant every local sign-in belongs to (not the simulator's: these are people, not the bot). */
const LOCAL_SIGN_IN_TENANT = '0d5c1f7e-5e1a-4c1b-9d7a-10ca15161a11';
const SESSION_HOURS = 8;
const FORM_LIMIT = 16 * 1024;

/** Who a local session is. */
export interface LocalIdentity {
    kind: 'user' | 'application';
    name: string;
    roles: string[];
}

export interface SignInRequest {
    method: string;
    url: URL;
    headers: Record<string, string>;
    body: Buffer;
}

export class LocalSignIn {
    /** Signs the session cookies of this host process; a restart signs everyone out, as a new key would. */
    readonly #key = randomBytes(32);

    /** True for the platform's own paths, which never reach the app. */
    handles(rawPath: string): boolean {
        return /^\/\.auth(\/|$)/i.test(rawPath);
    }

    answer(request: SignInRequest): HttpAnswer {
        const path = request.url.pathname.replace(/\/+$/, '').toLowerCase();
        if (path === SIGN_IN_PATH && request.method === 'GET') return signInPage(safeReturnPath(request.url.searchParams.get('post_login_redirect_uri')));
        if (path === SIGN_IN_PATH && request.method === 'POST') return this.#signIn(request);
        if (path === SIGN_OUT_PATH && request.method === 'GET') {
            return redirect(
                safeReturnPath(request.url.searchParams.get('post_logout_redirect_uri') ?? SIGN_IN_PATH),
                `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`,
            );
        }
        return problemOf(404, 'Not found', `The local sign-in serves GET and POST ${SIGN_IN_PATH} and GET ${SIGN_OUT_PATH}, not ${request.method} ${request.url.pathname}.`);
    }

    /**
     * The request's headers as the app gets them: every client-principal and provider-token header the caller sent
     * removed, and the session's principal added when there is a valid session cookie.
     */
    requestHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
        const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !/^x-ms-(client-principal|token-)/i.test(name)));
        const identity = this.#session(headers.cookie);
        return identity === undefined ? kept : { ...kept, ...principalHeaders(identity) };
    }

    /** A session cookie for `identity`, as the sign-in page sets it (tests sign in with it too). */
    sessionCookie(identity: LocalIdentity): string {
        const payload = Buffer.from(JSON.stringify({ ...identity, expires: Date.now() + SESSION_HOURS * 3_600_000 })).toString('base64url');
        return `${SESSION_COOKIE}=${payload}.${this.#sign(payload)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${SESSION_HOURS * 3600}`;
    }

    #signIn(request: SignInRequest): HttpAnswer {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
        if (type !== 'application/x-www-form-urlencoded' || request.body.length > FORM_LIMIT) {
            return problemOf(400, 'Bad request', `Sign in with the form at ${SIGN_IN_PATH} (application/x-www-form-urlencoded: kind, name, role).`);
        }
        const form = new URLSearchParams(request.body.toString('utf8'));
        const kind = form.get('kind') === 'application' ? 'application' : 'user';
        const name = (form.get('name') ?? '').replace(/\s+/g, ' ').trim().slice(0, 200);
        if (name === '') return problemOf(400, 'Bad request', 'Choose a name to sign in with.');
        const roles = [...new Set(form.getAll('role').map((role) => role.trim()))].filter((role) => /^[\w.-]{1,100}$/.test(role));
        return redirect(safeReturnPath(form.get('post_login_redirect_uri')), this.sessionCookie({ kind, name, roles }));
    }

    #session(cookieHeader: string | undefined): LocalIdentity | undefined {
        const value = (cookieHeader ?? '')
            .split(';')
            .map((part) => part.trim())
            .find((part) => part.startsWith(`${SESSION_COOKIE}=`))
            ?.slice(SESSION_COOKIE.length + 1);
        const [payload = '', signature = ''] = (value ?? '').split('.');
        const expected = Buffer.from(this.#sign(payload));
        if (payload === '' || signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), expected)) return undefined;
        // Signed by this process, so it is what #signIn wrote.
        const session = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as LocalIdentity & { expires: number };
        return session.expires > Date.now() ? { kind: session.kind, name: session.name, roles: session.roles } : undefined;
    }

    #sign(payload: string): string {
        return createHmac('sha256', this.#key).update(payload).digest('base64url');
    }
}

/**
 * The headers App Service Authentication adds for a principal: the claims as its claim mapping names them (object
 * id, tenant and roles under their long URIs), the object id, a name and the identity provider.
 */
function principalHeaders(identity: LocalIdentity): Record<string, string> {
    const objectId = stableId(`${identity.kind}:object:${identity.name}`);
    const claim = (typ: string, val: string) => ({ typ, val });
    const common = [
        claim('aud', 'api://local-sign-in'),
        claim('iss', `https://login.microsoftonline.com/${LOCAL_SIGN_IN_TENANT}/v2.0`),
        claim('http://schemas.microsoft.com/identity/claims/tenantid', LOCAL_SIGN_IN_TENANT),
        claim('http://schemas.microsoft.com/identity/claims/objectidentifier', objectId),
        ...identity.roles.map((role) => claim(LONG_ROLE_CLAIM, role)),
    ];
    const userName = `${
        identity.name
            .toLowerCase()
            .replace(/[^a-z0-9]+/g, '.')
            .replace(/^\.|\.$/g, '') || 'person'
    }@contoso.example`;
    // A person's session comes from their ID token (name, preferred_username); an application signs in with client
    // credentials, and its token names the application and no person.
    const claims =
        identity.kind === 'application'
            ? [...common, claim('appid', stableId(`application:${identity.name}`)), claim('app_displayname', identity.name)]
            : [...common, claim('name', identity.name), claim('preferred_username', userName)];
    const principal = { auth_typ: 'aad', claims, name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', role_typ: LONG_ROLE_CLAIM };
    return {
        'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
        'x-ms-client-principal-id': objectId,
        'x-ms-client-principal-name': identity.kind === 'application' ? identity.name : userName,
        'x-ms-client-principal-idp': 'aad',
    };
}

/** The same name always gets the same id (a GUID's shape), so the audit of a local run reads consistently. */
export function stableId(seed: string): string {
    const hex = createHash('sha256').update(seed).digest('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A path on this host only: never another site (an open redirect), never a scheme-relative `//host`. */
function safeReturnPath(value: string | null): string {
    return value?.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

function redirect(location: string, cookie: string): HttpAnswer {
    return { status: 302, headers: { Location: location, 'Set-Cookie': cookie, 'Cache-Control': 'no-store' } };
}

/**
 * The address's fragment (`#/calls/{id}` of the console) never reaches a server; the page adds it to where it
 * returns, as App Service Authentication does with preserveUrlFragmentsForLogins.
 */
const KEEP_FRAGMENT =
    "const back = document.querySelector('input[name=post_login_redirect_uri]'); if (back && location.hash && !back.value.includes('#')) back.value += location.hash;";
const KEEP_FRAGMENT_HASH = createHash('sha256').update(KEEP_FRAGMENT).digest('base64');

function signInPage(returnPath: string): HttpAnswer {
    const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
    const role = (value: string, checked: boolean, what: string) =>
        `<label><input type="checkbox" name="role" value="${value}"${checked ? ' checked' : ''}> ${value} <small>${what}</small></label>`;
    const page = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · local App Service Authentication</title>
<style>body{font:16px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}fieldset{margin:1rem 0;border:1px solid #999;border-radius:6px}label{display:block;margin:.4rem 0}small{color:#666}input[type=text]{font:inherit;width:100%;box-sizing:border-box;padding:.3rem}button{font:inherit;padding:.4rem 1.2rem}</style></head>
<body>
<h1>Sign in</h1>
<p>The local host plays App Service Authentication with Microsoft Entra ID (<code>npm start -- --sign-in</code>). There is no password: choose who you are and which app roles you hold, as an administrator would assign them.</p>
<form method="post" action="${SIGN_IN_PATH}">
<input type="hidden" name="post_login_redirect_uri" value="${escapeHtml(returnPath)}">
<fieldset><legend>Who</legend>
<label><input type="radio" name="kind" value="user" checked> a person</label>
<label><input type="radio" name="kind" value="application"> an application (client credentials)</label>
<label>Name <input type="text" name="name" value="Ada Lovelace" required maxlength="200" autocomplete="off"></label>
</fieldset>
<fieldset><legend>App roles</legend>
${role(APP_ROLES.read, true, 'list and view calls, their history and events')}
${role(APP_ROLES.operate, false, 'also hang up calls and replay the relay')}
</fieldset>
<button type="submit">Sign in</button>
</form>
<script>${KEEP_FRAGMENT}</script>
</body>
</html>
`;
    return {
        status: 200,
        headers: {
            'Content-Type': 'text/html; charset=utf-8',
            'Cache-Control': 'no-store',
            'Content-Security-Policy': `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${KEEP_FRAGMENT_HASH}'; form-action 'self'`,
        },
        body: page,
    };
}
