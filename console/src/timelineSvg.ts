// Draws a timeline model (timelineModel.ts) as SVG: one lane per state with the call's state as a step
// line, a row with one mark per event, hang-up and reconciliation marks with Graph's status, the moment
// the call ended, gap lengths and clock times. The arrow keys move a selection from event to event.

import { h, s } from './dom';
import { formatClock, formatClockMs, formatDuration } from './format';
import { isLabelled, type TimelineMark, type TimelineModel } from './timelineModel';

const LANE_HEIGHT = 22;
const TOP = 18;
const LABEL_WIDTH = 118;

export interface TimelineHandlers {
    /** A mark was chosen (click, or the arrow keys). */
    onSelect(sequence: number): void;
    /** Enter on the selected mark. */
    onOpen(sequence: number): void;
}

export class TimelineView {
    readonly element: HTMLElement;
    readonly #model: TimelineModel;
    readonly #scroller: HTMLElement;
    readonly #ring: SVGCircleElement;
    readonly #bySequence = new Map<number, TimelineMark>();
    #selected: number | undefined;

    constructor(model: TimelineModel, handlers: TimelineHandlers) {
        this.#model = model;
        const marksY = TOP + Math.max(1, model.lanes.length) * LANE_HEIGHT + 16;
        const height = marksY + 48;
        this.#ring = s('circle', { class: 'selection', r: 8, cx: -20, cy: marksY });
        const svg = s(
            'svg',
            { class: 'timeline', width: Math.ceil(model.width), height, viewBox: `0 0 ${Math.ceil(model.width)} ${height}`, 'aria-hidden': 'true' },
            this.#lanes(model.width),
            ...model.steps.map((step, i) => {
                const y = laneY(step.lane);
                const next = model.steps[i + 1];
                const live = model.liveUntil !== undefined && i === model.steps.length - 1;
                return s(
                    'g',
                    { class: `step${live ? ' live' : ''}` },
                    s('line', { x1: step.x1, x2: step.x2, y1: y, y2: y }),
                    next === undefined ? null : s('line', { class: 'riser', x1: step.x2, x2: step.x2, y1: y, y2: laneY(next.lane) }),
                );
            }),
            model.ended === undefined
                ? null
                : s(
                      'g',
                      { class: 'ended' },
                      s('line', { x1: model.ended.x, x2: model.ended.x, y1: 4, y2: marksY + 10 }),
                      s(
                          'text',
                          // Near the right edge the label goes to the left of the line.
                          model.ended.x > model.width - 110 ? { x: model.ended.x - 4, y: 12, 'text-anchor': 'end' } : { x: model.ended.x + 4, y: 12 },
                          `ended (${model.ended.by === 'graph' ? 'Graph' : model.ended.by})`,
                      ),
                  ),
            model.liveUntil === undefined
                ? null
                : s(
                      'g',
                      { class: 'now' },
                      s('line', { x1: model.liveUntil.x, x2: model.liveUntil.x, y1: 4, y2: marksY + 10 }),
                      s('text', { x: model.liveUntil.x - 4, y: 12, 'text-anchor': 'end' }, 'now'),
                  ),
            s('line', { class: 'axis', x1: 0, x2: model.width, y1: marksY + 12, y2: marksY + 12 }),
            ...model.gaps.map((gap) =>
                isLabelled(gap) ? s('text', { class: 'gap', x: (gap.x1 + gap.x2) / 2, y: marksY + 26, 'text-anchor': 'middle' }, formatDuration(gap.ms)) : null,
            ),
            ...model.ticks.map((tick) => s('text', { class: 'tick', x: tick.x, y: marksY + 42, 'text-anchor': 'start' }, formatClock(tick.at))),
            s('g', { class: 'marks' }, ...model.marks.map((mark) => this.#mark(mark, marksY, handlers))),
            this.#ring,
        );
        this.#scroller = h(
            'div',
            {
                class: 'timeline-scroll',
                tabindex: 0,
                role: 'group',
                'aria-label': `Timeline of ${model.marks.length} events. Left and right arrows step through them, Enter shows the event's JSON.`,
            },
            svg,
        );
        this.#scroller.addEventListener('keydown', (event) => this.#onKey(event, handlers));
        this.element = h(
            'div',
            { class: 'timeline-box' },
            s(
                'svg',
                { class: 'lanes', width: LABEL_WIDTH, height, 'aria-hidden': 'true' },
                ...model.lanes.map((lane, i) => s('text', { x: LABEL_WIDTH - 8, y: laneY(i) + 4, 'text-anchor': 'end' }, lane)),
                s('text', { x: LABEL_WIDTH - 8, y: marksY + 4, 'text-anchor': 'end' }, 'events'),
                s('text', { x: LABEL_WIDTH - 8, y: marksY + 26, 'text-anchor': 'end', class: 'tick' }, 'gap'),
            ),
            this.#scroller,
        );
    }

    /** Shows the selection ring on an event and scrolls it into view. */
    select(sequence: number): void {
        const mark = this.#bySequence.get(sequence);
        if (mark === undefined) return;
        this.#selected = sequence;
        this.#ring.setAttribute('cx', String(mark.x));
        const { scrollLeft, clientWidth } = this.#scroller;
        if (mark.x < scrollLeft + 20 || mark.x > scrollLeft + clientWidth - 20) this.#scroller.scrollLeft = Math.max(0, mark.x - clientWidth / 2);
    }

    #lanes(width: number): SVGGElement {
        return s('g', { class: 'lane-lines' }, ...this.#model.lanes.map((_, i) => s('line', { x1: 0, x2: width, y1: laneY(i), y2: laneY(i) })));
    }

    #mark(mark: TimelineMark, y: number, handlers: TimelineHandlers): SVGGElement {
        this.#bySequence.set(mark.sequence, mark);
        const tone = mark.ok === undefined ? '' : mark.ok ? ' ok' : ' failed';
        const group = s('g', { class: `mark mark-${mark.shape}${tone}`, 'data-sequence': mark.sequence }, s('title', {}, describeMark(mark)), shapeOf(mark, y));
        if ((mark.shape === 'hangup' || mark.shape === 'reconciliation') && mark.httpStatus !== undefined) {
            group.append(s('text', { class: 'status', x: mark.x, y: y - 9, 'text-anchor': 'middle' }, String(mark.httpStatus)));
        }
        if (mark.joined !== undefined || mark.left !== undefined) {
            group.append(
                s(
                    'text',
                    { class: 'roster-change', x: mark.x, y: y - 9, 'text-anchor': 'middle' },
                    mark.joined === undefined ? null : s('tspan', { class: 'joined' }, `+${mark.joined}`),
                    mark.joined !== undefined && mark.left !== undefined ? ' ' : null,
                    mark.left === undefined ? null : s('tspan', { class: 'left' }, `−${mark.left}`),
                ),
            );
        }
        group.addEventListener('click', () => {
            this.select(mark.sequence);
            handlers.onSelect(mark.sequence);
        });
        return group;
    }

    #onKey(event: KeyboardEvent, handlers: TimelineHandlers): void {
        const marks = this.#model.marks;
        if (marks.length === 0) return;
        const index = this.#selected === undefined ? -1 : marks.findIndex((mark) => mark.sequence === this.#selected);
        let next: number | undefined;
        if (event.key === 'ArrowRight') next = Math.min(marks.length - 1, index + 1);
        else if (event.key === 'ArrowLeft') next = Math.max(0, index === -1 ? 0 : index - 1);
        else if (event.key === 'Home') next = 0;
        else if (event.key === 'End') next = marks.length - 1;
        else if (event.key === 'Enter' && this.#selected !== undefined) {
            event.preventDefault();
            handlers.onOpen(this.#selected);
            return;
        }
        const mark = next === undefined ? undefined : marks[next];
        if (mark === undefined) return;
        event.preventDefault();
        this.select(mark.sequence);
        handlers.onSelect(mark.sequence);
    }
}

function laneY(lane: number): number {
    return TOP + lane * LANE_HEIGHT + LANE_HEIGHT / 2;
}

function shapeOf(mark: TimelineMark, y: number): SVGElement {
    const { x } = mark;
    switch (mark.shape) {
        case 'call':
            return s('circle', { cx: x, cy: y, r: 4 });
        case 'subResource':
            return s('circle', { cx: x, cy: y, r: 3, class: 'hollow' });
        case 'roster':
            return s('rect', { x: x - 3.5, y: y - 3.5, width: 7, height: 7, class: 'hollow' });
        case 'hangup':
            return s('path', { d: `M${x} ${y - 6}L${x + 6} ${y}L${x} ${y + 6}L${x - 6} ${y}Z` });
        case 'reconciliation':
            return s('rect', { x: x - 5, y: y - 5, width: 10, height: 10 });
        default:
            return s('path', { d: `M${x - 4} ${y - 4}L${x + 4} ${y + 4}M${x + 4} ${y - 4}L${x - 4} ${y + 4}`, class: 'cross' });
    }
}

function rosterWords(mark: TimelineMark): string {
    const parts = [mark.joined === undefined ? undefined : `${mark.joined} joined`, mark.left === undefined ? undefined : `${mark.left} left`].filter(Boolean);
    return parts.length === 0 ? '' : `: ${parts.join(', ')}`;
}

/** The tooltip of a mark. */
function describeMark(mark: TimelineMark): string {
    const what =
        mark.shape === 'hangup'
            ? `hang-up, Graph answered ${mark.httpStatus ?? 'nothing'}`
            : mark.shape === 'reconciliation'
              ? `reconciliation, Graph answered ${mark.httpStatus ?? 'nothing'}`
              : mark.shape === 'roster'
                ? `participants${rosterWords(mark)}`
                : `${mark.kind}${mark.shape === 'subResource' ? ' (an operation)' : ''}${mark.callState ? `: ${mark.callState}` : ''}`;
    const gap = mark.gapMs > 0 ? `, ${formatDuration(mark.gapMs)} after the previous event` : '';
    return `#${mark.sequence} ${what} at ${formatClockMs(mark.at)}${gap}`;
}
