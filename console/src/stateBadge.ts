// A call's state as a badge, coloured by whether the call is live, ending or ended.

import { isEnded, type CallSummaryView } from './apiTypes';
import { h } from './dom';

/** A state badge; the class names only the few states the style sheet colours. */
export function stateBadge(summary: Pick<CallSummaryView, 'callState' | 'deleted'>): HTMLElement {
    const state = summary.callState ?? 'unknown';
    const tone = isEnded(summary) ? 'ended' : state === 'terminating' ? 'ending' : state === 'unknown' ? 'unknown' : 'live';
    return h('span', { class: `state state-${tone}` }, state, summary.deleted && state !== 'terminated' ? ' (deleted)' : '');
}
