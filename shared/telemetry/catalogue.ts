// Every metric and span the app writes, described once: name, unit, what it counts, its attributes and the values
// they take. The code records through these entries only (telemetry.ts types every call against them), the local
// summary and docs/operations.md follow them, and test/infra holds every alert and workbook query against them.
// Attributes are few and bounded by design: never a call id, a tenant or anything else that grows with traffic.
//
// A new capability adds its instruments here (one entry each) and one call where the thing happens.

/** One attribute: its bounded values, or, when the set is bounded by the app itself (function names), a description of it. */
interface AttributeDefinition {
    readonly description: string;
    /** Every value it takes; absent when the values are the app's own names (bounded, not listed here). */
    readonly values?: readonly string[];
    /** Set on some data points only (e.g. the reason of a 401). */
    readonly optional?: true;
}

export interface MetricDefinition {
    readonly name: string;
    /** `counter`: a count per export interval; `histogram`: sum, count, min and max per interval; `gauge`: the last value. */
    readonly kind: 'counter' | 'histogram' | 'gauge';
    /** UCUM, as OpenTelemetry writes units: `ms`, `{request}`. */
    readonly unit: string;
    /** A few words for the local summary. */
    readonly label: string;
    /** A counter whose attribute values overlap (a closed call was checked too): the summary shows each, never their sum. */
    readonly overlapping?: true;
    readonly description: string;
    readonly attributes: Readonly<Record<string, AttributeDefinition>>;
}

interface SpanAttributeDefinition {
    readonly description: string;
    readonly type: 'string' | 'number';
    readonly values?: readonly string[];
}

export interface SpanDefinition {
    readonly name: string;
    readonly description: string;
    /** The span this one is a child of, when it is one (the callback's steps are children of `callback`). */
    readonly parent?: string;
    readonly attributes: Readonly<Record<string, SpanAttributeDefinition>>;
}

/** The answers `POST /api/callback` gives, as the `status` attribute says them. */
const CALLBACK_STATUSES = ['202', '400', '401', '413', '415', '500', '503'] as const;

/** Why a callback was refused (401) or could not be stored now (503). */
const CALLBACK_REASONS = [
    // 401: the token is missing or proven wrong; Graph gives up on the notification.
    'no_token',
    'not_bearer',
    'expired',
    'not_yet_valid',
    'audience',
    'issuer',
    'claim',
    'no_tenant',
    'tenant_not_allowed',
    'algorithm',
    'unknown_key',
    'signature',
    'malformed',
    // 503: something the app depends on failed; Graph delivers again.
    'storage',
    'signing_keys',
    'call_events_queue',
    'contention',
    'storage_refuses_call',
] as const;

/** Graph's answer to a hang-up, bucketed: the statuses that call for different actions keep their own value. */
const GRAPH_STATUSES = ['2xx', '401', '403', '404', '429', 'other_4xx', '5xx', 'unreachable', 'no_token'] as const;

/** How a request reached the bot: the callback's own first attempt, a retry message, or a replay someone asked for. */
const RELAY_ATTEMPTS = ['inline', 'retry', 'replay'] as const;

/** What became of a request to the bot: accepted (2xx), failed and to be retried, or failed for the last time (dead-lettered). */
const RELAY_RESULTS = ['delivered', 'failed', 'dead_lettered'] as const;

/** The bot's answer, bucketed: 401/403 mean it refuses the signature (RELAY_SECRET), 429/503 that it wants to be left alone a while. */
const BOT_STATUSES = ['2xx', '3xx', '401', '403', '404', '429', 'other_4xx', '503', 'other_5xx', 'no_answer'] as const;

/** The groups of routes `authorize()` guards (every route but the callback and the console's assets). */
const ACCESS_ROUTES = ['calls', 'hangup', 'replay', 'console', 'openapi', 'me', 'doctor'] as const;

/** Why a request to the API was refused (401: no principal the app can trust; 403: not allowed). */
const ACCESS_REASONS = [
    // 401
    'platform_off',
    'no_principal',
    'unreadable',
    // 403
    'missing_role',
    'cross_site',
] as const;

export const METRICS = {
    callbackRequests: {
        name: 'callrecord.callback.requests',
        kind: 'counter',
        unit: '{request}',
        label: 'callbacks',
        description: 'Every POST /api/callback, by the answer it got. A 401 means Graph gave up on what it sent; a 503 makes Graph deliver again.',
        attributes: {
            status: { description: 'the HTTP status answered', values: CALLBACK_STATUSES },
            reason: { description: 'why a 401 refused the token, or what a 503 could not reach', values: CALLBACK_REASONS, optional: true },
        },
    },
    callbackDuration: {
        name: 'callrecord.callback.duration',
        kind: 'histogram',
        unit: 'ms',
        label: 'acknowledged in',
        description: 'Acknowledgement latency: from the callback reaching the function to its answer (the 202 comes after everything is stored).',
        attributes: {
            status: { description: 'the HTTP status answered', values: CALLBACK_STATUSES },
        },
    },
    notifications: {
        name: 'callrecord.notifications',
        kind: 'counter',
        unit: '{notification}',
        label: 'notifications',
        description: 'Notifications in the callbacks that were answered 202, by what became of each.',
        attributes: {
            outcome: {
                description:
                    'stored as a new event; a redelivery recognised and not stored again; or stored as a rejected event (no call to attribute it to, or refused by the table)',
                values: ['stored', 'duplicate', 'rejected'],
            },
        },
    },
    hangups: {
        name: 'callrecord.hangups',
        kind: 'counter',
        unit: '{request}',
        label: 'hang-ups',
        description: 'DELETE /api/calls/{id} that reached the point of asking Graph, by what Graph answered last.',
        attributes: {
            graph_status: {
                description: "Graph's last answer (401/403: the app's token or permissions were refused), or why there was none",
                values: GRAPH_STATUSES,
            },
        },
    },
    reconcilerCalls: {
        name: 'callrecord.reconciler.calls',
        kind: 'counter',
        unit: '{call}',
        label: 'reconciler',
        overlapping: true,
        description:
            'What the reconciler did with the calls it looked at: checked with Graph, and of those closed (Graph had no such call), changed, unchanged or deferred; mended: ended calls whose index or call-ended event was put right.',
        attributes: {
            outcome: { description: 'what happened to the call', values: ['checked', 'closed', 'changed', 'unchanged', 'deferred', 'mended'] },
        },
    },
    reconcilerRuns: {
        name: 'callrecord.reconciler.runs',
        kind: 'counter',
        unit: '{run}',
        label: 'reconciler runs',
        description: 'Reconciler runs, by how they ended: refused means Graph answered 401 or 403 and the run stopped without changing anything.',
        attributes: {
            result: { description: 'how the run ended', values: ['completed', 'refused'] },
        },
    },
    activeCalls: {
        name: 'callrecord.calls.active',
        kind: 'gauge',
        unit: '{call}',
        label: 'active calls',
        description: 'Calls not ended, as the call index lists them, counted at each reconciler run.',
        attributes: {},
    },
    purged: {
        name: 'callrecord.purge.deleted',
        kind: 'counter',
        unit: '{item}',
        label: 'purged',
        description: 'What the retention purge deleted: ended calls, their rows, and unrouted notifications.',
        attributes: {
            item: { description: 'what was deleted', values: ['call', 'row', 'unrouted_row'] },
        },
    },
    callEventMessages: {
        name: 'callrecord.call_events.messages',
        kind: 'counter',
        unit: '{message}',
        label: 'call-event messages',
        description:
            'CloudEvents put on the call-events queue (CALL_EVENTS_QUEUE): a call ended, or its call record is there (failed: the write that asked for it was answered 503 and is retried).',
        attributes: {
            type: { description: 'call_ended: teams-call-record.call.ended; record_available: teams-call-record.call.recordAvailable', values: ['call_ended', 'record_available'] },
            result: { description: 'whether the queue took the message', values: ['queued', 'failed'] },
        },
    },
    keepAliveRequests: {
        name: 'callrecord.keepalive.requests',
        kind: 'counter',
        unit: '{request}',
        label: 'keepAlives',
        description: 'keepAlives sent to Graph for active calls (KEEP_ALIVE_MINUTES), by what Graph answered last: 404 closes the call, 401/403 stop the run.',
        attributes: {
            graph_status: { description: "Graph's last answer, bucketed as the hang-ups'", values: GRAPH_STATUSES },
        },
    },
    keepAliveRuns: {
        name: 'callrecord.keepalive.runs',
        kind: 'counter',
        unit: '{run}',
        label: 'keepAlive runs',
        description: 'keepAlive runs, by how they ended: refused means Graph answered 401 or 403 and the run stopped.',
        attributes: {
            result: { description: 'how the run ended', values: ['completed', 'refused'] },
        },
    },
    callRecordFetches: {
        name: 'callrecord.call_records.fetches',
        kind: 'counter',
        unit: '{fetch}',
        label: 'call record fetches',
        description:
            "Tries to fetch Graph's call record of an ended call (CALL_RECORDS=on), by what came of each: found; not_yet (404: Graph has none yet, the next try is scheduled); " +
            'not_found (given up after CALL_RECORD_GIVE_UP_HOURS, or no chain id to ask with); forbidden (401/403: CallRecords.Read.All missing); throttled (429: the same try after Retry-After); ' +
            'failed (5xx or no answer: the next try is scheduled); skipped (the record is settled already, or a refresh found nothing newer).',
        attributes: {
            result: { description: 'what came of the try', values: ['found', 'not_yet', 'not_found', 'forbidden', 'throttled', 'failed', 'skipped'] },
        },
    },
    relayDeliveries: {
        name: 'callrecord.relay.deliveries',
        kind: 'counter',
        unit: '{request}',
        label: 'relay requests',
        description:
            'Requests the relay sent the bot (RELAY_URL), each with one or more notifications of one call: by how it was sent and what became of it. ' +
            'failed: the bot did not accept it and a retry is due; dead_lettered: it failed for the last time (RELAY_MAX_AGE_HOURS).',
        attributes: {
            attempt: { description: "inline: the callback's own first attempt; retry: a retry message; replay: a replay someone asked for", values: RELAY_ATTEMPTS },
            result: { description: 'what became of the request', values: RELAY_RESULTS },
            bot_status: { description: "the bot's answer, bucketed (no_answer: no connection, or no answer in time)", values: BOT_STATUSES },
        },
    },
    relayDuration: {
        name: 'callrecord.relay.duration',
        kind: 'histogram',
        unit: 'ms',
        label: 'bot answered in',
        description: 'How long one request to the bot took, from sending it to its answer (or to the attempt giving up).',
        attributes: {
            attempt: { description: 'how the request was sent', values: RELAY_ATTEMPTS },
            result: { description: 'what became of the request', values: RELAY_RESULTS },
        },
    },
    relayNotifications: {
        name: 'callrecord.relay.notifications',
        kind: 'counter',
        unit: '{notification}',
        label: 'relayed notifications',
        description: 'Notifications the relay settled: delivered (the bot accepted the request they were in) or dead-lettered (the bot never did; the call goes on without them).',
        attributes: {
            outcome: { description: 'how the notification was settled', values: ['delivered', 'dead_lettered'] },
        },
    },
    relayBacklog: {
        name: 'callrecord.relay.backlog',
        kind: 'gauge',
        unit: '{message}',
        label: 'relay backlog',
        description:
            "Calls whose delivery waits for a retry: the relay's retry queue's approximate message count (one message per waiting call, and stale ones until the trigger drops them), " +
            'read at each reconciler run (one queue request, never a table scan).',
        attributes: {},
    },
    accessRefused: {
        name: 'callrecord.access.refused',
        kind: 'counter',
        unit: '{request}',
        label: 'API refused',
        description:
            'API requests the app refused in entra mode (API_AUTH=entra), by route group and reason: who asks is never recorded. ' +
            "(A missing function key is refused by the Functions host before the app runs; the callback's 401s are the callback's own metric.)",
        attributes: {
            route: { description: 'the group of routes asked for', values: ACCESS_ROUTES },
            status: { description: 'the HTTP status answered', values: ['401', '403'] },
            reason: {
                description:
                    'platform_off: App Service Authentication is not on, so no principal is trusted; no_principal: none on the request; unreadable: a principal header that cannot be read; ' +
                    'missing_role: the principal lacks the app role; cross_site: a state-changing request a form could have sent',
                values: ACCESS_REASONS,
            },
        },
    },
    functionFailures: {
        name: 'callrecord.function.failures',
        kind: 'counter',
        unit: '{invocation}',
        label: 'function failures',
        description: 'Invocations that threw, or answered 500 (a defect: every expected failure has its own answer).',
        attributes: {
            function: { description: "the function's name, as registered (callNotifications, reconcileCalls, ...)" },
        },
    },
} as const satisfies Record<string, MetricDefinition>;

export const SPANS = {
    callback: {
        name: 'callback',
        description: 'One POST /api/callback, from the function receiving it to its answer; a child of the host invocation span.',
        attributes: {
            status: { description: 'the HTTP status answered', type: 'string', values: CALLBACK_STATUSES },
            reason: { description: 'why a 401 or a 503', type: 'string', values: CALLBACK_REASONS },
            stored: { description: 'notifications stored', type: 'number' },
            duplicates: { description: 'redeliveries recognised', type: 'number' },
            rejected: { description: 'notifications stored as rejected events', type: 'number' },
        },
    },
    callbackVerify: {
        name: 'callback.verify',
        parent: 'callback',
        description: "Checking the callback's bearer token (the signing keys are fetched here when they are new or old).",
        attributes: {
            reason: { description: 'why the token was refused or could not be checked', type: 'string', values: CALLBACK_REASONS },
        },
    },
    callbackStore: {
        name: 'callback.store',
        parent: 'callback',
        description: "Storing the notifications, each call's in one transaction, and the call-ended messages of calls that ended.",
        attributes: {
            calls: { description: 'partitions written (calls, and _unrouted)', type: 'number' },
            notifications: { description: 'notifications in the body', type: 'number' },
        },
    },
    callbackRelay: {
        name: 'callback.relay',
        parent: 'callback',
        description:
            "With the relay on: the first attempt to deliver what the callback stored to the bot, within RELAY_INLINE_TIMEOUT_MS, one relay.attempt per request; the bot's failure is the relay's to retry, never the callback's.",
        attributes: {
            calls: { description: 'calls whose notifications were handed to the relay', type: 'number' },
        },
    },
    callbackAnswer: {
        name: 'callback.answer',
        parent: 'callback',
        description: 'The answer: 202 with the counts, or the problem that says what went wrong.',
        attributes: {
            status: { description: 'the HTTP status answered', type: 'string', values: CALLBACK_STATUSES },
        },
    },
    relayRetry: {
        name: 'relay.retry',
        description: "One message of the relay's retry queue (the relayRetries function): a call's delivery carried on, one relay.attempt per request.",
        attributes: {
            outcome: {
                description: 'delivered: the call caught up; waiting: an attempt failed and the next is queued; stale: the message no longer owned the call',
                type: 'string',
                values: ['delivered', 'waiting', 'stale'],
            },
            replay: { description: 'the message was sent by a replay', type: 'string', values: ['true', 'false'] },
        },
    },
    relayAttempt: {
        name: 'relay.attempt',
        description: 'One request to the bot: a child of callback.relay (the first attempt) or of relay.retry.',
        attributes: {
            attempt: { description: 'how the request was sent', type: 'string', values: RELAY_ATTEMPTS },
            result: { description: 'what became of it', type: 'string', values: RELAY_RESULTS },
            bot_status: { description: "the bot's answer, bucketed", type: 'string', values: BOT_STATUSES },
            notifications: { description: 'notifications in the request', type: 'number' },
            attempt_number: { description: 'the attempt of this request it was (1: the first)', type: 'number' },
        },
    },
    hangup: {
        name: 'hangup',
        description: 'One DELETE /api/calls/{id}: Graph asked to end the call, the attempt recorded in its history.',
        attributes: {
            graph_status: { description: "Graph's last answer, bucketed as the hang-ups metric", type: 'string', values: GRAPH_STATUSES },
            attempts: { description: 'requests sent to Graph, retries included', type: 'number' },
        },
    },
    reconcile: {
        name: 'reconcile',
        description: 'One reconciler run.',
        attributes: {
            active: { description: 'calls in the active index', type: 'number' },
            checked: { description: 'calls checked with Graph', type: 'number' },
            closed: { description: 'calls closed because Graph had no such call', type: 'number' },
            deferred: { description: 'calls left for the next run', type: 'number' },
            relay_backlog: { description: "with the relay on: the retry queue's approximate message count (callrecord.relay.backlog)", type: 'number' },
        },
    },
    keepAlive: {
        name: 'keepalive',
        description: 'One keepAlive run: a keepAlive for every active call, the longest without one first.',
        attributes: {
            active: { description: 'calls in the active index', type: 'number' },
            sent: { description: 'keepAlives sent', type: 'number' },
            kept_alive: { description: 'Graph answered 200', type: 'number' },
            closed: { description: 'calls closed because Graph had no such call', type: 'number' },
            deferred: { description: 'calls left for the next run', type: 'number' },
        },
    },
    purge: {
        name: 'purge',
        description: 'One retention purge run.',
        attributes: {
            calls: { description: 'ended calls deleted', type: 'number' },
            rows: { description: 'their rows deleted', type: 'number' },
        },
    },
} as const satisfies Record<string, SpanDefinition>;
