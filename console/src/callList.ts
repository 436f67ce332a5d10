// The calls list: newest first, filtered by state, active or ended, and start time; paged with the
// API's continuation tokens; refreshed every few seconds while the tab is visible.

import { KNOWN_CALL_STATES } from '../../shared/record/callState';
import { ApiError, type CallFilter, type ConsoleApi } from './api';
import type { CallListPageView, CallSummaryView } from './apiTypes';
import { closedByText, hangUpStatusText } from './callWords';
import { h, replaceChildren } from './dom';
import { formatAgo, formatClock, formatCount, formatDateTime, isoToLocalInput, localInputToIso } from './format';
import { VisiblePoller } from './poller';
import { problemInWords } from './problemText';
import { stateBadge } from './stateBadge';

const LIST_REFRESH_MS = 5000;
const PAGE_SIZES = [25, 50, 100, 200] as const;
/** The API's own default page. */
const DEFAULT_PAGE_SIZE = 100;

/** What the list shows; kept by the caller, so coming back from a call finds the same filters and page. */
export interface ListState {
    filter: CallFilter;
    /** The token of each page shown so far; the first page has none. */
    pageTokens: Array<string | undefined>;
}

export function newListState(): ListState {
    return { filter: { top: DEFAULT_PAGE_SIZE }, pageTokens: [undefined] };
}

export class CallListView {
    readonly #api: ConsoleApi;
    readonly #state: ListState;
    readonly #poller: VisiblePoller;
    readonly #rows = h('tbody');
    readonly #status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
    readonly #problem = h('p', { class: 'problem', role: 'alert', hidden: true });
    readonly #pager = h('nav', { class: 'pager', 'aria-label': 'Pages of calls' });
    #nextToken: string | undefined;
    #loadedAt = 0;

    constructor(api: ConsoleApi, container: HTMLElement, state: ListState) {
        this.#api = api;
        this.#state = state;
        this.#poller = new VisiblePoller(() => this.#load(), LIST_REFRESH_MS);
        replaceChildren(
            container,
            h(
                'section',
                { class: 'list', 'aria-labelledby': 'list-title' },
                h('h2', { id: 'list-title' }, 'Calls, newest first'),
                this.#filters(),
                this.#status,
                this.#problem,
                h(
                    'div',
                    { class: 'table-wrap' },
                    h(
                        'table',
                        { class: 'calls' },
                        h(
                            'thead',
                            {},
                            h(
                                'tr',
                                {},
                                ...['Call', 'State', 'Started', 'Last event', 'Events', 'Redeliveries', 'Closed by', 'Hang-up'].map((name) => h('th', { scope: 'col' }, name)),
                            ),
                        ),
                        this.#rows,
                    ),
                ),
                this.#pager,
            ),
        );
        void this.#load();
        this.#poller.start();
    }

    stop(): void {
        this.#poller.stop();
    }

    #filters(): HTMLFormElement {
        const { filter } = this.#state;
        const select = (name: string, options: Array<[string, string]>, value: string) =>
            h('select', { name }, ...options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
        const since = h('input', { type: 'datetime-local', name: 'since', value: filter.since ? isoToLocalInput(Date.parse(filter.since)) : '' });
        const until = h('input', { type: 'datetime-local', name: 'until', value: filter.until ? isoToLocalInput(Date.parse(filter.until)) : '' });
        const form = h(
            'form',
            { class: 'filters', role: 'search', 'aria-label': 'Filter calls' },
            h('label', {}, 'State ', select('state', [['', 'any'], ...KNOWN_CALL_STATES.map((s): [string, string] => [s, s])], filter.state ?? '')),
            h(
                'label',
                {},
                'Calls ',
                select(
                    'active',
                    [
                        ['', 'all'],
                        ['true', 'active'],
                        ['false', 'ended'],
                    ],
                    filter.active === undefined ? '' : String(filter.active),
                ),
            ),
            h('label', {}, 'Started from ', since),
            h('label', {}, 'until ', until),
            h(
                'label',
                {},
                'Per page ',
                select(
                    'top',
                    PAGE_SIZES.map((n): [string, string] => [String(n), String(n)]),
                    String(filter.top ?? DEFAULT_PAGE_SIZE),
                ),
            ),
            h(
                'span',
                { class: 'quick' },
                h('button', { type: 'button', onclick: () => this.#lastHours(form, 1) }, 'Last hour'),
                h('button', { type: 'button', onclick: () => this.#lastHours(form, 24) }, 'Last 24 h'),
                h('button', { type: 'reset' }, 'Clear'),
            ),
        );
        form.addEventListener('change', () => this.#applyFilters(form));
        form.addEventListener('submit', (event) => {
            event.preventDefault();
            this.#applyFilters(form);
        });
        // The form's own reset runs after this event; read the cleared fields once it has.
        form.addEventListener('reset', () => setTimeout(() => this.#applyFilters(form), 0));
        return form;
    }

    #lastHours(form: HTMLFormElement, hours: number): void {
        const since = form.elements.namedItem('since') as HTMLInputElement;
        const until = form.elements.namedItem('until') as HTMLInputElement;
        since.value = isoToLocalInput(Date.now() - hours * 3600_000);
        until.value = '';
        this.#applyFilters(form);
    }

    #applyFilters(form: HTMLFormElement): void {
        const data = new FormData(form);
        const text = (name: string) => String(data.get(name) ?? '');
        const active = text('active');
        const filter: CallFilter = { top: Number(text('top')) || DEFAULT_PAGE_SIZE };
        if (text('state') !== '') filter.state = text('state');
        if (active !== '') filter.active = active === 'true';
        const since = localInputToIso(text('since'));
        const until = localInputToIso(text('until'));
        if (since !== undefined) filter.since = since;
        if (until !== undefined) filter.until = until;
        this.#state.filter = filter;
        this.#state.pageTokens = [undefined];
        void this.#load();
    }

    async #load(): Promise<void> {
        const tokens = this.#state.pageTokens;
        const token = tokens[tokens.length - 1];
        let page: CallListPageView;
        try {
            page = await this.#api.listCalls(this.#state.filter, token);
        } catch (err) {
            this.#showProblem(err);
            return;
        }
        this.#problem.hidden = true;
        this.#nextToken = page.continuationToken;
        this.#loadedAt = Date.now();
        this.#render(page.calls);
    }

    #showProblem(err: unknown): void {
        const failure = err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) };
        this.#problem.textContent = problemInWords(failure, 'list the calls');
        this.#problem.hidden = false;
        this.#status.textContent = this.#loadedAt === 0 ? '' : `Last updated at ${formatClock(this.#loadedAt)}; showing what was loaded then.`;
    }

    #render(calls: CallSummaryView[]): void {
        const now = Date.now();
        const rows = calls.map((call) => this.#row(call, now));
        if (rows.length === 0) {
            const text = this.#nextToken === undefined ? 'No calls match these filters.' : 'This page is empty; older calls may follow on the next page.';
            rows.push(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, text)));
        }
        replaceChildren(this.#rows, ...rows);
        const page = this.#state.pageTokens.length;
        this.#status.textContent =
            `${formatCount(calls.length)} call${calls.length === 1 ? '' : 's'} on page ${page}. ` +
            `Updated at ${formatClock(this.#loadedAt)}; refreshes every ${LIST_REFRESH_MS / 1000} s while this tab is visible.`;
        replaceChildren(
            this.#pager,
            h('button', { type: 'button', disabled: page === 1, onclick: () => this.#goToPage(-1) }, '← Newer'),
            h('span', {}, ` Page ${page} `),
            h('button', { type: 'button', disabled: this.#nextToken === undefined, onclick: () => this.#goToPage(1) }, 'Older →'),
        );
    }

    #row(call: CallSummaryView, now: number): HTMLTableRowElement {
        const started = call.firstEventAt === undefined ? undefined : Date.parse(call.firstEventAt);
        const last = call.lastEventAt === undefined ? undefined : Date.parse(call.lastEventAt);
        const time = (at: number | undefined) => (at === undefined ? h('td', {}, '–') : h('td', { title: formatDateTime(at) }, formatAgo(at, now)));
        return h(
            'tr',
            { 'data-call-id': call.callId },
            h('th', { scope: 'row' }, h('a', { href: `#/calls/${encodeURIComponent(call.callId)}`, class: 'call-id' }, call.callId)),
            h('td', {}, stateBadge(call)),
            time(started),
            time(last),
            h('td', { class: 'number' }, formatCount(call.eventCount)),
            h('td', { class: 'number' }, formatCount(call.duplicateCount)),
            h('td', {}, closedByText(call)),
            h('td', {}, hangUpStatusText(call.hangupStatus, call.hangupRequestedAt)),
        );
    }

    #goToPage(direction: 1 | -1): void {
        if (direction === 1) {
            if (this.#nextToken === undefined) return;
            this.#state.pageTokens.push(this.#nextToken);
        } else if (this.#state.pageTokens.length > 1) {
            this.#state.pageTokens.pop();
        }
        void this.#load();
    }
}
