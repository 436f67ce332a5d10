// The operator console's entry point: takes the function key off the address bar, says who is signed in, then
// shows the calls list (`#/`) or one call (`#/calls/{id}`) as the address's fragment says, so Back and links work.

import { ActiveCount } from './activeCount';
import { ConsoleApi } from './api';
import { CallListView, newListState } from './callList';
import { CallView } from './callView';
import { apiBaseOf, takeFunctionKey } from './functionKey';
import { dropSignInMarker, showSignedIn } from './signedIn';

function sessionStore(): Storage | undefined {
    try {
        return window.sessionStorage;
    } catch {
        return undefined;
    }
}

const api = new ConsoleApi(apiBaseOf(window.location.pathname), takeFunctionKey(window.location, window.history, sessionStore()));
dropSignInMarker(window.location, window.history);
const view = document.getElementById('view') as HTMLElement;
const access = await showSignedIn(api, document.getElementById('who') as HTMLElement, window.location.pathname);
const listState = newListState();
let current: { stop(): void } | undefined;

function show(): void {
    current?.stop();
    const callId = /^#\/calls\/(.+)$/.exec(window.location.hash)?.[1];
    if (callId === undefined) {
        document.title = 'Calls · operator console';
        current = new CallListView(api, view, listState);
    } else {
        let decoded = callId;
        try {
            decoded = decodeURIComponent(callId);
        } catch {
            // shown as typed; the API will say it is not a call id
        }
        current = new CallView(api, decoded, view, access.canOperate);
    }
    view.focus({ preventScroll: true });
}

new ActiveCount(api, document.getElementById('active-count') as HTMLElement);
window.addEventListener('hashchange', show);
show();
