// The live count of active calls in the page header: one `active=true` listing of up to 1,000 calls,
// refreshed while the tab is visible.

import { ApiError, type ConsoleApi } from './api';
import { formatCount } from './format';
import { VisiblePoller } from './poller';
import { problemInWords } from './problemText';

const COUNTED = 1000;
const REFRESH_MS = 5000;

export class ActiveCount {
    readonly #api: ConsoleApi;
    readonly #element: HTMLElement;
    readonly #poller: VisiblePoller;

    constructor(api: ConsoleApi, element: HTMLElement) {
        this.#api = api;
        this.#element = element;
        this.#poller = new VisiblePoller(() => this.#count(), REFRESH_MS);
        void this.#count();
        this.#poller.start();
    }

    async #count(): Promise<void> {
        try {
            const page = await this.#api.listCalls({ active: true, top: COUNTED });
            const count = page.calls.length;
            // A page may be cut short (and carry a token) before `top` rows: then the count is a lower bound.
            const more = page.continuationToken !== undefined;
            this.#element.textContent = `${more ? 'at least ' : ''}${formatCount(count)} active call${count === 1 && !more ? '' : 's'}`;
            this.#element.classList.remove('problem');
            this.#element.dataset.count = String(count);
        } catch (err) {
            const failure = err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) };
            this.#element.textContent = problemInWords(failure, 'count the active calls');
            this.#element.classList.add('problem');
            delete this.#element.dataset.count;
        }
    }
}
