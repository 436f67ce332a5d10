// A call's history as a table, a page of rows at a time (a 2,500-event call draws 100 rows, not 2,500),
// with each event's raw JSON shown on demand as text.

import { requesterInWords } from '../../shared/access/requester';
import type { CallEventView } from './apiTypes';
import { h, replaceChildren } from './dom';
import { formatClockMs, formatCount, formatDateTime, formatDuration } from './format';
import { isCallResource } from './timelineModel';

const HISTORY_PAGE_SIZE = 100;

export class HistoryTable {
    readonly element: HTMLElement;
    readonly #rows = h('tbody');
    readonly #pager = h('nav', { class: 'pager', 'aria-label': 'Pages of the history' });
    readonly #open = new Set<number>();
    #events: readonly CallEventView[] = [];
    #page = 0;
    #highlighted: number | undefined;

    constructor() {
        this.element = h(
            'div',
            { class: 'history' },
            h(
                'div',
                { class: 'table-wrap' },
                h(
                    'table',
                    { class: 'events' },
                    h(
                        'thead',
                        {},
                        h(
                            'tr',
                            {},
                            ...['#', 'Received', 'Gap', 'Kind', 'Change', 'State', 'Outcome', 'To the bot', 'Request / chain id', 'JSON'].map((name) =>
                                h('th', { scope: 'col' }, name),
                            ),
                        ),
                    ),
                    this.#rows,
                ),
            ),
            this.#pager,
        );
    }

    /** New events (a refresh keeps the page and the open JSON rows). */
    setEvents(events: readonly CallEventView[]): void {
        this.#events = events;
        this.#page = Math.min(this.#page, this.#lastPage());
        this.#render();
    }

    /**
     * Turns to the page holding `sequence` and marks its row. `openJson` also shows its JSON and moves the focus
     * to the row; otherwise the focus stays where it is (the timeline, stepping with the arrow keys).
     */
    show(sequence: number, openJson = false): void {
        const index = this.#events.findIndex((event) => event.sequence === sequence);
        if (index === -1) return;
        this.#page = Math.floor(index / HISTORY_PAGE_SIZE);
        this.#highlighted = sequence;
        if (openJson) this.#open.add(sequence);
        this.#render();
        const row = this.#rows.querySelector<HTMLElement>(`tr[data-sequence="${sequence}"]`);
        row?.scrollIntoView({ block: 'nearest' });
        if (openJson) row?.querySelector<HTMLElement>('button')?.focus({ preventScroll: true });
    }

    #lastPage(): number {
        return Math.max(0, Math.ceil(this.#events.length / HISTORY_PAGE_SIZE) - 1);
    }

    #render(): void {
        const first = this.#page * HISTORY_PAGE_SIZE;
        const shown = this.#events.slice(first, first + HISTORY_PAGE_SIZE);
        const rows: HTMLTableRowElement[] = [];
        shown.forEach((event, i) => {
            const previous = this.#events[first + i - 1];
            rows.push(this.#row(event, previous));
            if (this.#open.has(event.sequence)) {
                rows.push(h('tr', { class: 'json', 'data-json-of': event.sequence }, h('td', { colspan: 10 }, h('pre', {}, JSON.stringify(event, null, 2)))));
            }
        });
        if (rows.length === 0) rows.push(h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No events.')));
        replaceChildren(this.#rows, ...rows);
        const last = this.#lastPage();
        const range = this.#events.length === 0 ? 'No events' : `Events ${formatCount(first + 1)}–${formatCount(first + shown.length)} of ${formatCount(this.#events.length)}`;
        const turn = (label: string, page: number, disabled: boolean) => h('button', { type: 'button', disabled, onclick: () => this.#turnTo(page) }, label);
        replaceChildren(
            this.#pager,
            turn('« First', 0, this.#page === 0),
            turn('‹ Previous', this.#page - 1, this.#page === 0),
            h('span', { class: 'range', 'aria-live': 'polite' }, ` ${range} `),
            turn('Next ›', this.#page + 1, this.#page >= last),
            turn('Last »', last, this.#page >= last),
        );
    }

    #turnTo(page: number): void {
        this.#page = Math.max(0, Math.min(page, this.#lastPage()));
        this.#render();
    }

    #row(event: CallEventView, previous: CallEventView | undefined): HTMLTableRowElement {
        const at = Date.parse(event.receivedAt);
        const gap = previous === undefined ? undefined : at - Date.parse(previous.receivedAt);
        const open = this.#open.has(event.sequence);
        const toggle = h(
            'button',
            { type: 'button', class: 'small', 'aria-expanded': String(open), 'aria-label': `${open ? 'Hide' : 'Show'} the JSON of event ${event.sequence}` },
            open ? 'Hide' : 'Show',
        );
        toggle.addEventListener('click', () => {
            if (this.#open.has(event.sequence)) this.#open.delete(event.sequence);
            else this.#open.add(event.sequence);
            this.#render();
            this.#rows.querySelector<HTMLElement>(`tr[data-sequence="${event.sequence}"] button`)?.focus();
        });
        return h(
            'tr',
            { 'data-sequence': event.sequence, class: [`kind-${cssName(event.kind)}`, this.#highlighted === event.sequence ? 'highlighted' : ''].join(' ').trim() },
            h('td', { class: 'number' }, event.sequence),
            h('td', { title: formatDateTime(at) }, formatClockMs(at)),
            h('td', { class: 'number' }, gap === undefined || Number.isNaN(gap) ? '' : gap < 0 ? `${formatDuration(-gap)} earlier` : `+${formatDuration(gap)}`),
            h('td', {}, kindText(event)),
            h('td', {}, event.changeType ?? ''),
            h('td', {}, event.callState ?? ''),
            h('td', { class: 'outcome' }, outcomeText(event)),
            h('td', { class: 'relay', title: event.relayError ?? '' }, relayText(event)),
            h('td', { class: 'ids' }, event.graphRequestId ?? event.chainId ?? ''),
            h('td', {}, toggle),
        );
    }
}

function kindText(event: CallEventView): string {
    switch (event.kind) {
        case 'notification':
            if (isCallResource(event.resourceUrl)) return 'notification';
            return `notification (${event.resourceUrl?.split('/').slice(4).join('/') || 'not the call'})`;
        case 'hangupRequest':
            return 'hang-up';
        case 'relayReplay':
            return 'replay to the bot';
        default:
            return event.kind;
    }
}

function outcomeText(event: CallEventView): string {
    if (event.kind === 'hangupRequest' || event.kind === 'reconciliation') {
        // The app words Graph's answer itself ("Graph answered 404 8522 ..."); the bare status only when it did not.
        const answer = event.resultMessage ?? (event.httpStatus === undefined ? 'no answer from Graph' : `Graph answered ${event.httpStatus}`);
        return `${answer}${askedBy(event)}`;
    }
    if (event.kind === 'relayReplay') return `${event.resultMessage ?? ''}${askedBy(event)}`;
    if (event.kind === 'rejected') return event.rejectReason ?? '';
    const code = event.resultCode === undefined ? '' : `${event.resultCode}${event.resultSubcode === undefined ? '' : `/${event.resultSubcode}`}`;
    return [code, event.resultMessage, event.terminationReason].filter((part) => part !== undefined && part !== '').join(' ');
}

/** The relay's delivery of a notification to the bot: delivered, dead-lettered, or how its attempts went. */
function relayText(event: CallEventView): string {
    if (event.kind !== 'notification' || event.relayBatch === undefined) return '';
    const attempts = `${event.relayAttempts ?? 1} attempt${event.relayAttempts === 1 ? '' : 's'}`;
    const status = event.relayStatus === undefined ? '' : event.relayStatus === 0 ? ', no answer' : `, ${event.relayStatus}`;
    if (event.relayOutcome === 'delivered') return `delivered (${attempts})`;
    if (event.relayOutcome === 'failed') return `dead-lettered (${attempts}${status})`;
    return `pending (${attempts}${status})`;
}

/** Who asked for a hang-up (or a replay), and why: from the signed-in principal the app recorded. */
function askedBy(event: CallEventView): string {
    const who = requesterInWords(event);
    if (who === undefined) return '';
    return ` Asked by ${who}${event.requestReason === undefined ? '.' : `: “${event.requestReason}”`}`;
}

/** A kind as a class name: letters only, so a newer app's kinds cannot break out of the attribute's meaning. */
function cssName(kind: string): string {
    return kind.replace(/[^A-Za-z]/g, '').slice(0, 40) || 'unknown';
}
