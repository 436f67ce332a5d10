// What the relay tells the telemetry about each request to the bot: its kind, what became of it, the bot's answer
// bucketed (a status class, never the bot's text), and how long it took; and, once the record says so, the
// notifications it settled (delivered or dead-lettered).

import { METRICS, type SPANS } from '../telemetry/catalogue';
import { record, type MetricAttributes, type SpanRecorder } from '../telemetry/telemetry';

export type RelayAttemptKind = MetricAttributes<typeof METRICS.relayDeliveries>['attempt'];
export type RelayResult = MetricAttributes<typeof METRICS.relayDeliveries>['result'];
type BotStatus = MetricAttributes<typeof METRICS.relayDeliveries>['bot_status'];

/**
 * The bot's answer as the metrics bucket it: 0 (no connection, no answer in time) is `no_answer`.
 *
 * @example
 * botStatusOf(401) // '401': the bot refuses the signature (RELAY_SECRET)
 */
export function botStatusOf(status: number): BotStatus {
    if (status <= 0) return 'no_answer';
    if (status >= 200 && status < 300) return '2xx';
    if (status >= 300 && status < 400) return '3xx';
    if (status === 401 || status === 403 || status === 404 || status === 429 || status === 503) return String(status) as BotStatus;
    if (status >= 500) return 'other_5xx';
    return 'other_4xx';
}

/** One request to the bot: counted, timed, and said on its span. */
export function recordAttempt(
    span: SpanRecorder<typeof SPANS.relayAttempt>,
    attempt: { kind: RelayAttemptKind; result: RelayResult; status: number; notifications: number; number: number; durationMs: number },
): void {
    const botStatus = botStatusOf(attempt.status);
    record(METRICS.relayDeliveries, { attempt: attempt.kind, result: attempt.result, bot_status: botStatus });
    record(METRICS.relayDuration, { attempt: attempt.kind, result: attempt.result }, attempt.durationMs);
    span.set({ attempt: attempt.kind, result: attempt.result, bot_status: botStatus, notifications: attempt.notifications, attempt_number: attempt.number });
}

/** Notifications the record now says are delivered or dead-lettered. */
export function recordSettled(outcome: MetricAttributes<typeof METRICS.relayNotifications>['outcome'], notifications: number): void {
    if (notifications > 0) record(METRICS.relayNotifications, { outcome }, notifications);
}
