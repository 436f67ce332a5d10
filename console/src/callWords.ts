// Words for how a call ended and what Graph said to its hang-up, shared by the list and the call view.

import { isEnded, type CallSummaryView } from './apiTypes';

/**
 * Who closed the call, in words (`closedBy`; records written before the reconciler existed have none).
 *
 * @example
 * closedByText({ callState: 'terminated', deleted: true, closedBy: 'reconciler' }) // 'the reconciler (Graph no longer knew the call)'
 */
export function closedByText(summary: Pick<CallSummaryView, 'callState' | 'deleted' | 'closedBy' | 'reconcileStatus'>): string {
    if (!isEnded(summary)) return 'still active';
    if (summary.closedBy === 'reconciler') {
        return summary.reconcileStatus === 404 ? 'the reconciler (Graph no longer knew the call)' : 'the reconciler';
    }
    if (summary.closedBy === 'keepAlive') return 'keepAlive (Graph no longer knew the call)';
    // Without the reconciler's mark only Graph can have ended it.
    return "Graph's notification";
}

/** Graph's answer to the last hang-up, in words. */
export function hangUpStatusText(status: number | undefined, requestedAt: string | undefined): string {
    if (requestedAt === undefined) return 'never asked';
    if (status === undefined) return 'no answer from Graph';
    if (status >= 200 && status < 300) return `Graph accepted it (${status})`;
    if (status === 404) return 'Graph had no such call (404)';
    if (status === 401 || status === 403) return `Graph refused the app (${status})`;
    if (status === 429 || status >= 500) return `Graph was throttling or failing (${status})`;
    return `Graph answered ${status}`;
}
