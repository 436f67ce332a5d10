// One call: its summary (with its relay to the bot), its timeline and its history, refreshed while it is active;
// the hang-up, and the relay's replay.

import { ApiError, type ConsoleApi } from './api';
import { isEnded, type CallEventView, type CallSummaryView, type ParticipantListView, type ParticipantQualityView } from './apiTypes';
import { closedByText, hangUpStatusText } from './callWords';
import { h, replaceChildren } from './dom';
import { formatAgo, formatCount, formatDateTime, formatDuration } from './format';
import { confirmHangUp, confirmReplay } from './hangUp';
import { HistoryTable } from './historyTable';
import { ParticipantsTable } from './participantsTable';
import { VisiblePoller } from './poller';
import { hangUpInWords, problemInWords, type ApiFailure } from './problemText';
import { stateBadge } from './stateBadge';
import { timelineModel } from './timelineModel';
import { TimelineView } from './timelineSvg';

const CALL_REFRESH_MS = 5000;
/** While a hang-up is being followed: Graph's notifications come within seconds. */
const FOLLOW_REFRESH_MS = 1000;
const FOLLOW_FOR_MS = 60_000;
const HISTORY_PAGE = 1000;
/** Beyond this the timeline would stop being useful and the tab would hold too much. */
const MAX_LOADED_EVENTS = 20_000;

export class CallView {
    readonly #api: ConsoleApi;
    readonly #callId: string;
    readonly #poller: VisiblePoller;
    readonly #title = h('h2', {});
    readonly #problem = h('p', { class: 'problem', role: 'alert', hidden: true });
    readonly #summaryList = h('dl', { class: 'summary' });
    readonly #hangUpButton = h('button', { type: 'button', class: 'danger', hidden: true }, 'Hang up…');
    readonly #replayButton = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Replay to the bot…');
    readonly #outcome = h('p', { class: 'outcome', role: 'status', 'aria-live': 'polite' });
    readonly #timelineNote = h('p', { class: 'note' });
    readonly #timelineBox = h('div', { class: 'timeline-host' });
    readonly #historyNote = h('p', { class: 'note', role: 'status' });
    readonly #history = new HistoryTable();
    readonly #participants = new ParticipantsTable();
    readonly #participantsSection = h(
        'section',
        { 'aria-labelledby': 'participants-title', hidden: true },
        h('h3', { id: 'participants-title' }, 'Participants'),
        this.#participants.element,
    );
    #roster: ParticipantListView | undefined;
    readonly #body: HTMLElement;
    #summary: CallSummaryView | undefined;
    #events: CallEventView[] = [];
    #timeline: TimelineView | undefined;
    #selected: number | undefined;
    #followUntil = 0;
    #stopped = false;
    /** The signed-in person (or the function key) may hang up: CallRecord.Operate. */
    readonly #canOperate: boolean;

    constructor(api: ConsoleApi, callId: string, container: HTMLElement, canOperate: boolean) {
        this.#api = api;
        this.#callId = callId;
        this.#canOperate = canOperate;
        this.#poller = new VisiblePoller(() => this.#refresh(), CALL_REFRESH_MS);
        this.#hangUpButton.addEventListener('click', () => void this.#hangUp());
        this.#replayButton.addEventListener('click', () => void this.#replay());
        this.#title.append('Call ', h('code', {}, callId));
        this.#body = h(
            'div',
            { class: 'call-body', hidden: true },
            h('div', { class: 'summary-box' }, this.#summaryList, h('div', { class: 'actions' }, this.#hangUpButton, this.#replayButton, this.#outcome)),
            h('section', { 'aria-labelledby': 'timeline-title' }, h('h3', { id: 'timeline-title' }, 'Timeline'), legend(), this.#timelineBox, this.#timelineNote),
            this.#participantsSection,
            h('section', { 'aria-labelledby': 'history-title' }, h('h3', { id: 'history-title' }, 'History'), this.#historyNote, this.#history.element),
        );
        replaceChildren(container, h('section', { class: 'call' }, h('nav', {}, h('a', { href: '#/' }, '← All calls')), this.#title, this.#problem, this.#body));
        document.title = `Call ${callId} · Calls`;
        void this.#refresh().then(() => this.#poller.start());
    }

    stop(): void {
        this.#stopped = true;
        this.#poller.stop();
    }

    async #refresh(): Promise<void> {
        let summary: CallSummaryView;
        try {
            summary = await this.#api.getCall(this.#callId);
        } catch (err) {
            this.#showProblem(err, `load call ${this.#callId}`);
            return;
        }
        if (this.#stopped) return;
        const changed =
            this.#summary === undefined ||
            summary.eventCount !== this.#summary.eventCount ||
            summary.lastEventAt !== this.#summary.lastEventAt ||
            summary.relayedThrough !== this.#summary.relayedThrough ||
            summary.relayLastAttemptAt !== this.#summary.relayLastAttemptAt;
        this.#summary = summary;
        this.#problem.hidden = true;
        this.#body.hidden = false;
        this.#renderSummary(summary);
        if (changed) {
            try {
                this.#events = await this.#loadHistory(summary);
            } catch (err) {
                this.#showProblem(err, `load the history of call ${this.#callId}`);
                return;
            }
            this.#history.setEvents(this.#events);
            if (summary.participantCount !== undefined) await this.#loadParticipants(summary);
        }
        if (changed || !isEnded(summary)) this.#renderTimeline(summary);
        if (isEnded(summary)) this.#followUntil = 0;
        this.#poller.setInterval(Date.now() < this.#followUntil ? FOLLOW_REFRESH_MS : CALL_REFRESH_MS);
        // An ended call changes no more (but for a late redelivery), once the relay has nothing left for the bot: stop asking.
        if (isEnded(summary) && !changed && (summary.relayPending ?? 0) === 0) this.#poller.stop();
    }

    /** The roster, when the call has one: a failure here leaves the rest of the call on screen. */
    async #loadParticipants(summary: CallSummaryView): Promise<void> {
        try {
            this.#roster = await this.#api.participants(this.#callId);
        } catch (err) {
            this.#showProblem(err, `load the participants of call ${this.#callId}`);
            return;
        }
        const ended = isEnded(summary) && summary.lastEventAt !== undefined ? Date.parse(summary.lastEventAt) : undefined;
        this.#participants.show(this.#roster, ended, Date.now(), participantQualityOf(summary));
        this.#participantsSection.hidden = false;
    }

    async #loadHistory(summary: CallSummaryView): Promise<CallEventView[]> {
        const events: CallEventView[] = [];
        let token: string | undefined;
        do {
            const page = await this.#api.history(this.#callId, HISTORY_PAGE, token);
            events.push(...page.events);
            token = page.continuationToken;
            if (token !== undefined) this.#historyNote.textContent = `Loading events: ${formatCount(events.length)} of ${formatCount(summary.eventCount)}…`;
        } while (token !== undefined && events.length < MAX_LOADED_EVENTS);
        this.#historyNote.textContent =
            token === undefined
                ? `${formatCount(events.length)} events in the order the app stored them.`
                : `The first ${formatCount(events.length)} of ${formatCount(summary.eventCount)} events are shown; the rest is in the API and the table.`;
        return events;
    }

    #renderSummary(summary: CallSummaryView): void {
        replaceChildren(this.#title, 'Call ', h('code', {}, summary.callId), ' ', stateBadge(summary));
        const at = (iso: string | undefined) => (iso === undefined ? '–' : `${formatDateTime(Date.parse(iso))} (${formatAgo(Date.parse(iso), Date.now())})`);
        const first = summary.firstEventAt === undefined ? undefined : Date.parse(summary.firstEventAt);
        const last = summary.lastEventAt === undefined ? undefined : Date.parse(summary.lastEventAt);
        const result =
            summary.resultCode === undefined && summary.resultMessage === undefined
                ? '–'
                : `${summary.resultCode ?? ''}${summary.resultSubcode === undefined ? '' : `/${summary.resultSubcode}`} ${summary.resultMessage ?? ''}`.trim();
        const rows: Array<[string, string | Node]> = [
            ['State', stateBadge(summary)],
            ['Closed by', closedByText(summary)],
            ['Result', result],
            ['Termination reason', summary.terminationReason ?? '–'],
            ['Tenant', summary.tenantId ?? '–'],
            ['Hang-up', `${hangUpStatusText(summary.hangupStatus, summary.hangupRequestedAt)}${summary.hangupRequestedAt ? `, ${at(summary.hangupRequestedAt)}` : ''}`],
            ['Started', at(summary.firstEventAt)],
            ['Last event', at(summary.lastEventAt)],
            ['Duration', first === undefined || last === undefined ? '–' : formatDuration(last - first)],
            ['Events', formatCount(summary.eventCount)],
            ['Redeliveries', `${formatCount(summary.duplicateCount)} recognised and not stored again`],
        ];
        if (summary.participantCount !== undefined) {
            const now = isEnded(summary) ? 'at the end' : 'in the call now';
            rows.push(['Participants', `${formatCount(summary.participantCount)} ${now}, ${formatCount(summary.maxParticipants ?? summary.participantCount)} at most`]);
        }
        rows.push(...callRecordRows(summary));
        if (summary.reconciledAt !== undefined || summary.reconcileStatus !== undefined) {
            rows.push(['Reconciled', `${at(summary.reconciledAt)}${summary.reconcileStatus === undefined ? '' : `, Graph answered ${summary.reconcileStatus}`}`]);
        }
        if (summary.keptAliveAt !== undefined || summary.keepAliveStatus !== undefined) {
            rows.push(['Kept alive', `${at(summary.keptAliveAt)}${summary.keepAliveStatus === undefined ? '' : `, Graph answered ${summary.keepAliveStatus}`}`]);
        }
        rows.push(...relayRows(summary, at));
        replaceChildren(this.#summaryList, ...rows.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]));
        this.#hangUpButton.hidden = isEnded(summary) || !this.#canOperate;
        this.#replayButton.hidden = summary.relayedThrough === undefined || !this.#canOperate;
    }

    #renderTimeline(summary: CallSummaryView): void {
        const scrollLeft = this.#timeline?.element.querySelector('.timeline-scroll')?.scrollLeft ?? 0;
        // The lane labels take 118 px of the box.
        const model = timelineModel(this.#events, {
            now: Date.now(),
            fitWidth: Math.max(0, this.#timelineBox.clientWidth - 122),
            ...(this.#roster === undefined ? {} : { roster: this.#roster.participants }),
        });
        this.#timeline = new TimelineView(model, {
            onSelect: (sequence) => {
                this.#selected = sequence;
                this.#history.show(sequence);
            },
            onOpen: (sequence) => this.#history.show(sequence, true),
        });
        replaceChildren(this.#timelineBox, this.#timeline.element);
        const scroller = this.#timeline.element.querySelector('.timeline-scroll');
        if (scroller !== null) scroller.scrollLeft = scrollLeft;
        if (this.#selected !== undefined) this.#timeline.select(this.#selected);
        const hangUps = model.marks.filter((mark) => mark.shape === 'hangup').length;
        this.#timelineNote.textContent =
            `${formatCount(model.marks.length)} events` +
            `, ${formatCount(summary.duplicateCount)} redeliver${summary.duplicateCount === 1 ? 'y' : 'ies'} recognised (not drawn: they were not stored again)` +
            `, ${hangUps} hang-up${hangUps === 1 ? '' : 's'}. Spacing grows with the time between events (not to scale); gaps are labelled where they fit.`;
    }

    async #hangUp(): Promise<void> {
        const decision = await confirmHangUp(this.#callId);
        if (!decision.confirmed) {
            this.#hangUpButton.focus();
            return;
        }
        this.#hangUpButton.disabled = true;
        this.#outcome.textContent = 'Asking Graph to hang up…';
        let outcome: ApiFailure;
        try {
            outcome = await this.#api.hangUp(this.#callId, decision.reason);
        } catch (err) {
            outcome = err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) };
        }
        this.#hangUpButton.disabled = false;
        this.#outcome.textContent = outcome.status === 0 ? problemInWords(outcome, 'hang up the call') : hangUpInWords(outcome);
        this.#outcome.className = `outcome ${outcome.status >= 200 && outcome.status < 300 ? 'ok' : 'failed'}`;
        if (outcome.status >= 200 && outcome.status < 300) this.#followUntil = Date.now() + FOLLOW_FOR_MS;
        this.#poller.start();
        this.#poller.setInterval(FOLLOW_REFRESH_MS);
    }

    async #replay(): Promise<void> {
        const decision = await confirmReplay(this.#callId, this.#summary?.eventCount ?? 1);
        if (!decision.confirmed) {
            this.#replayButton.focus();
            return;
        }
        const { fromSequence, reason } = decision;
        this.#replayButton.disabled = true;
        this.#outcome.textContent = 'Asking the app to deliver the call to the bot again…';
        let answer: Awaited<ReturnType<ConsoleApi['replay']>>;
        try {
            answer = await this.#api.replay(this.#callId, fromSequence, reason);
        } catch (err) {
            answer = { failure: err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) } };
        }
        this.#replayButton.disabled = false;
        const ok = answer.failure.status >= 200 && answer.failure.status < 300;
        this.#outcome.textContent = ok
            ? `Replay scheduled from sequence ${answer.from ?? fromSequence}: ${answer.pending ?? '?'} notifications go to the bot again, in order. This view follows it.`
            : problemInWords(answer.failure, 'replay the call to the bot');
        this.#outcome.className = `outcome ${ok ? 'ok' : 'failed'}`;
        if (ok) this.#followUntil = Date.now() + FOLLOW_FOR_MS;
        this.#poller.start();
        this.#poller.setInterval(FOLLOW_REFRESH_MS);
    }

    #showProblem(err: unknown, action: string): void {
        const failure = err instanceof ApiError ? err.failure : { status: 0, networkError: String(err) };
        this.#problem.textContent = problemInWords(failure, action);
        this.#problem.hidden = false;
    }
}

/** What Graph's call record says, when the app fetched it (CALL_RECORDS=on), as rows of the summary. */
function callRecordRows(summary: CallSummaryView): Array<[string, string | Node]> {
    if (summary.callRecordStatus === undefined) return [];
    if (summary.callRecordStatus !== 'fetched') {
        const words = { pending: 'not there yet: Graph has it 15 to 150 minutes after the call', notFound: 'Graph had none', forbidden: 'Graph refused the app' }[
            summary.callRecordStatus
        ];
        return [["Graph's call record", `${words}${summary.callRecordError === undefined ? '' : ` (${summary.callRecordError})`}`]];
    }
    const rows: Array<[string, string | Node]> = [
        ["Graph's call record", `version ${summary.callRecordVersion ?? '?'}, ${summary.callType ?? 'unknown type'}, ${(summary.modalities ?? []).join(' + ') || 'no modality'}`],
        ["Graph's duration", summary.durationSeconds === undefined ? '–' : formatDuration(summary.durationSeconds * 1000)],
        [
            'Quality',
            h(
                'span',
                { class: `quality quality-${summary.quality ?? 'unknown'}` },
                `${summary.quality ?? 'unknown'}${summary.qualityReason === undefined ? '' : `: ${summary.qualityReason}`}`,
            ),
        ],
    ];
    const worst = [
        summary.worstPacketLossRate === undefined ? undefined : `packet loss ${(summary.worstPacketLossRate * 100).toFixed(1)}%`,
        summary.worstJitterMs === undefined ? undefined : `jitter ${Math.round(summary.worstJitterMs)} ms`,
        summary.worstRoundTripMs === undefined ? undefined : `round trip ${Math.round(summary.worstRoundTripMs)} ms`,
        summary.worstAudioDegradation === undefined ? undefined : `degradation ${summary.worstAudioDegradation.toFixed(2)} MOS`,
    ].filter((part) => part !== undefined);
    if (worst.length > 0)
        rows.push(['Worst stream figures', `${worst.join(', ')}; ${formatCount(summary.poorStreamCount ?? 0)} of ${formatCount(summary.streamCount ?? 0)} streams poor`]);
    return rows;
}

/** Each participant's quality verdict from the call record (the API gives the stored JSON parsed). */
function participantQualityOf(summary: CallSummaryView): ParticipantQualityView[] {
    const value: unknown = summary.participantQuality;
    const list = typeof value === 'string' ? safeJson(value) : value;
    return Array.isArray(list) ? list.filter((entry): entry is ParticipantQualityView => typeof entry === 'object' && entry !== null && typeof entry.id === 'string') : [];
}

function safeJson(text: string): unknown {
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return undefined;
    }
}

/** The relay to the bot, in words: where it stands, and its last attempt; nothing for a call it never relayed. */
function relayRows(summary: CallSummaryView, at: (iso: string | undefined) => string): Array<[string, string]> {
    if (summary.relayedThrough === undefined) return [];
    const failed = (summary.relayFailed ?? 0) > 0 ? `, ${formatCount(summary.relayFailed ?? 0)} dead-lettered` : '';
    const rows: Array<[string, string]> = [
        ['Relay to the bot', `delivered through event ${summary.relayedThrough} of ${summary.eventCount}, ${formatCount(summary.relayPending ?? 0)} pending${failed}`],
    ];
    if (summary.relayLastAttemptAt !== undefined) {
        const status = summary.relayLastStatus === 0 ? 'no answer' : `the bot answered ${summary.relayLastStatus ?? '?'}`;
        const next = summary.relayNextAttemptAt !== undefined && (summary.relayPending ?? 0) > 0 ? `; next attempt ${at(summary.relayNextAttemptAt)}` : '';
        rows.push(['Last delivery attempt', `${at(summary.relayLastAttemptAt)}, ${status}${summary.relayLastError === undefined ? '' : `: ${summary.relayLastError}`}${next}`]);
    }
    if (summary.relayReplayAt !== undefined) rows.push(['Last replay', `${at(summary.relayReplayAt)}, from event ${summary.relayReplayFrom ?? 1}`]);
    return rows;
}

function legend(): HTMLElement {
    const item = (shape: string, text: string) => h('li', {}, h('span', { class: `key key-${shape}`, 'aria-hidden': 'true' }), text);
    return h(
        'ul',
        { class: 'legend', 'aria-label': 'Legend' },
        item('call', 'notification about the call'),
        item('roster', 'participants (+joined −left)'),
        item('subResource', 'operation'),
        item('hangup', "hang-up (Graph's status)"),
        item('reconciliation', 'reconciliation'),
        item('ended', 'call ended'),
    );
}
