// Who is using the console, said in its header bar, and what they may do: from GET /api/me. With API_AUTH=entra
// a person signed in (with a link to sign out); with API_AUTH=functionKey, whoever holds the function key.

import { APP_ROLES } from '../../shared/access/appRoles';
import type { SignedInJson } from '../../shared/access/authorize';
import { SIGN_OUT_PATH, SIGNED_IN_MARKER } from '../../shared/access/signInPaths';
import { ApiError, type ConsoleApi } from './api';
import { h, replaceChildren } from './dom';
import type { BrowserHistory } from './functionKey';
import { problemInWords } from './problemText';

export interface Access {
    /** May hang up calls (and replay the relay): CallRecord.Operate, or the function key. */
    canOperate: boolean;
}

/**
 * Asks the app who this is, says it in `element`, and resolves with what they may do. When the app cannot say
 * (a refused key, an expired sign-in, no answer), the problem is shown there and nothing is offered.
 */
export async function showSignedIn(api: ConsoleApi, element: HTMLElement, pagePath: string): Promise<Access> {
    try {
        const me = await api.me();
        replaceChildren(element, ...describe(me, pagePath));
        return { canOperate: me.roles.includes(APP_ROLES.operate) };
    } catch (err) {
        const failure = err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) };
        element.classList.add('problem');
        replaceChildren(element, problemInWords(failure, 'tell who is signed in'));
        return { canOperate: false };
    }
}

/** The sign-in's return marker (`?signedIn=1`) has done its job once the page is here: it leaves the address bar. */
export function dropSignInMarker(location: { readonly href: string }, history: BrowserHistory): void {
    const url = new URL(location.href);
    if (!url.searchParams.has(SIGNED_IN_MARKER)) return;
    url.searchParams.delete(SIGNED_IN_MARKER);
    history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

function describe(me: SignedInJson, pagePath: string): Array<Node | string> {
    const roles = me.roles.length === 0 ? 'no role of this app' : me.roles.join(', ');
    if (me.kind === 'functionKey') return [`Function key (${roles})`];
    const who = me.kind === 'application' ? `application ${me.name ?? me.id ?? ''}` : (me.name ?? me.id ?? 'signed in');
    const signOut = `${SIGN_OUT_PATH}?post_logout_redirect_uri=${encodeURIComponent(pagePath)}`;
    return [h('span', { class: 'name', title: me.id ?? '' }, who), ` (${roles}) · `, h('a', { href: signOut }, 'Sign out')];
}
