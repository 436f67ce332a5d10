// The access check every API route but the callback makes first (SPEC "Who may do what"): in functionKey mode
// the Functions host has checked the key before the app runs, and the caller is "function key"; in entra mode the
// app requires the principal App Service Authentication put on the request, trusted only when the platform says
// it is on (WEBSITE_AUTH_ENABLED), and the app role the route needs. The answer is the requester the audit records.

import { ForbiddenError, UnauthorizedError } from '../errors';
import { problemOf, type HttpAnswer } from '../problem';
import type { AccessConfig } from '../settings/config';
import { APP_ROLES, effectiveRoles, type AppRole } from './appRoles';
import { readClientPrincipal, type HeaderReader } from './clientPrincipal';
import { isStateChanging, requireScriptedRequest } from './crossSiteGuard';
import { FUNCTION_KEY_REQUESTER, type Requester } from './requester';
import { SIGN_IN_PATH, SIGNED_IN_MARKER } from './signInPaths';

/** What the check reads of a request (`@azure/functions`' HttpRequest is one). */
export interface AccessRequest {
    method: string;
    headers: HeaderReader;
}

/** A caller the app knows, and the app roles they hold (in functionKey mode, every role: the key allows everything). */
export interface SignedIn {
    requester: Requester;
    roles: AppRole[];
}

/**
 * The authLevel a route other than the callback registers with: `function` (the host checks a key) in
 * functionKey mode, `anonymous` in entra mode, where the host could not tell a signed-in person from no one.
 */
export function hostAuthLevel(access: AccessConfig): 'function' | 'anonymous' {
    return access.mode === 'entra' ? 'anonymous' : 'function';
}

/**
 * The requester of a request that may do what `role` allows; throws 401 (no trusted principal) or 403 (a
 * state-changing request a form could have sent, or a principal without the role).
 *
 * @example
 * const requester = authorize(request, APP_ROLES.operate, config.access); // before anything else happens
 */
export function authorize(request: AccessRequest, role: AppRole, access: AccessConfig): Requester {
    const caller = signedIn(request, access);
    if (access.mode === 'functionKey') return caller.requester;
    if (isStateChanging(request.method)) requireScriptedRequest(request.headers);
    if (!caller.roles.includes(role)) {
        const held = caller.roles.length === 0 ? 'holds no role of this app' : `holds only ${caller.roles.join(', ')}`;
        throw new ForbiddenError(
            `This needs the app role ${role}, and ${describe(caller.requester)} ${held}. ` +
                `An administrator assigns ${role} to you, a group of yours or the application, on the app registration (Enterprise applications > Users and groups; API permissions for an application).`,
        );
    }
    return caller.requester;
}

/**
 * Who is calling and what they may do, whatever the route needs; 401 when entra mode finds no trusted principal.
 *
 * @example
 * signedIn(request, { mode: 'functionKey', platformSignIn: false }) // { requester: { kind: 'functionKey' }, roles: ['CallRecord.Read', 'CallRecord.Operate'] }
 */
export function signedIn(request: AccessRequest, access: AccessConfig): SignedIn {
    if (access.mode === 'functionKey') return { requester: FUNCTION_KEY_REQUESTER, roles: effectiveRoles([APP_ROLES.operate]) };
    if (!access.platformSignIn) {
        throw unauthorized(
            'Sign-in is required, and App Service Authentication is not on for this app (WEBSITE_AUTH_ENABLED is not true), ' +
                'so client-principal headers are not trusted from anyone. Turn App Service Authentication on (docs/access.md).',
        );
    }
    const reading = readClientPrincipal(request.headers);
    if (reading.kind === 'none') {
        throw unauthorized(
            `Sign-in is required: App Service Authentication put no signed-in principal on this request. People sign in at ${SIGN_IN_PATH}; ` +
                'applications send an Entra access token for this app (Authorization: Bearer).',
        );
    }
    if (reading.kind === 'unreadable') throw unauthorized(`Sign-in is required: the client principal on this request cannot be read (${reading.reason}).`);
    const { principal } = reading;
    const requester: Requester = { kind: principal.kind, id: principal.id, ...(principal.name === undefined ? {} : { name: principal.name }) };
    return { requester, roles: effectiveRoles(principal.roles) };
}

function unauthorized(detail: string): UnauthorizedError {
    // No error code: the request carried no credentials at all as far as the app can tell (RFC 6750, section 3).
    return new UnauthorizedError(detail, { headers: { 'WWW-Authenticate': 'Bearer' } });
}

function describe(requester: Requester): string {
    if (requester.kind === 'functionKey') return 'the function key';
    const name = requester.name === undefined ? '' : ` ${requester.name}`;
    return requester.kind === 'application' ? `application${name} (${requester.id})` : `${name.trim() || 'the signed-in person'}${name === '' ? '' : ` (${requester.id})`}`;
}

/** What GET /api/me answers: the caller as the app sees them, so a page can say who is signed in and offer what they may do. */
export interface SignedInJson {
    apiAuth: AccessConfig['mode'];
    kind: Requester['kind'];
    /** A person's object id, an application's client id; absent for the function key. */
    id?: string;
    name?: string;
    roles: AppRole[];
}

export function signedInJson(caller: SignedIn, access: AccessConfig): SignedInJson {
    const { requester, roles } = caller;
    return {
        apiAuth: access.mode,
        kind: requester.kind,
        ...(requester.kind === 'functionKey' ? {} : { id: requester.id, ...(requester.name === undefined ? {} : { name: requester.name }) }),
        roles,
    };
}

/**
 * For a page a person opens (the console): when the platform can sign them in, the way there and back instead
 * of a 401 they could do nothing with. Once only: if they come back signed in and the page still gets no
 * principal, the platform is not passing it on for this path, and the 401 says so instead of a redirect loop.
 *
 * @example
 * catch (err) { return signInRedirect(err, request.url, config.access) ?? problemAnswer(err, context); }
 */
export function signInRedirect(err: unknown, pageUrl: string, access: AccessConfig): HttpAnswer | undefined {
    if (!(err instanceof UnauthorizedError) || access.mode !== 'entra' || !access.platformSignIn) return undefined;
    const page = new URL(pageUrl);
    if (page.searchParams.has(SIGNED_IN_MARKER)) {
        return problemOf(
            401,
            'Unauthorized',
            `Back from ${SIGN_IN_PATH}, and still App Service Authentication put no signed-in principal on this request, so the page sends you no further. ` +
                'If you did sign in, the platform is not passing the principal to this path (see "After the first azd up" in docs/access.md); otherwise sign in again.',
            { 'WWW-Authenticate': 'Bearer' },
        );
    }
    page.searchParams.set(SIGNED_IN_MARKER, '1');
    const back = encodeURIComponent(`${page.pathname}${page.search}`);
    return { status: 302, headers: { Location: `${SIGN_IN_PATH}?post_login_redirect_uri=${back}`, 'Cache-Control': 'no-store' } };
}
