// Graph's last answer to a request about a call, bucketed the way the metrics say it (hang-ups, keepAlives): the
// statuses that call for different actions keep their own value (401/403: the app's permissions; 404: no such
// call; 429 and 5xx: later), and no answer says whether a token was ever had.

import type { METRICS } from '../telemetry/catalogue';
import type { MetricAttributes } from '../telemetry/telemetry';
import type { GraphCallOutcome } from './graphCalls';

export type GraphStatus = MetricAttributes<typeof METRICS.hangups>['graph_status'];

/**
 * @example
 * graphStatusOf(await graph.keepAlive(callId)) // '2xx', '404', 'unreachable', ...
 */
export function graphStatusOf(outcome: GraphCallOutcome): GraphStatus {
    const answer = outcome.kind === 'answered' ? outcome.answer : outcome.lastAnswer;
    if (answer === undefined) return outcome.kind === 'unreachable' && outcome.tokenFailure ? 'no_token' : 'unreachable';
    const { status } = answer;
    if (status === 401 || status === 403 || status === 404 || status === 429) return String(status) as GraphStatus;
    if (status >= 200 && status < 300) return '2xx';
    return status >= 500 ? '5xx' : 'other_4xx';
}
