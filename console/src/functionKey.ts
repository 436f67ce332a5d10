// The function key the page was opened with (`?code=`): taken off the address bar at once, so it is not
// left in the history, in bookmarks, in screenshots or in a link someone shares, and kept for this tab only.

const STORAGE_KEY = 'teams-call-record.console.functionKey';

/** The parts of `window.location`, `window.history` and `window.sessionStorage` this needs. */
export interface AddressBar {
    readonly href: string;
}
export interface BrowserHistory {
    readonly state: unknown;
    replaceState(data: unknown, unused: string, url: string): void;
}
export interface TabStorage {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
}

/**
 * The key from `?code=` (then removed from the address), or the one this tab was given before.
 *
 * @example
 * const key = takeFunctionKey(window.location, window.history, window.sessionStorage);
 */
export function takeFunctionKey(location: AddressBar, history: BrowserHistory, storage: TabStorage | undefined): string | undefined {
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get('code');
    if (fromUrl !== null) {
        url.searchParams.delete('code');
        history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
        if (fromUrl !== '') {
            try {
                storage?.setItem(STORAGE_KEY, fromUrl);
            } catch {
                // Storage can be off (private windows, policies): the key then lives in memory until a reload.
            }
            return fromUrl;
        }
    }
    try {
        return storage?.getItem(STORAGE_KEY) ?? undefined;
    } catch {
        return undefined;
    }
}

/**
 * The API root for a page served at `{prefix}/console`: `/api/console` -> `/api`.
 *
 * @example
 * apiBaseOf('/api/console/') // '/api'
 */
export function apiBaseOf(pagePath: string): string {
    return pagePath.replace(/\/+$/, '').replace(/\/console$/i, '');
}
