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
    callEndedMessages: {
        name: 'callrecord.call_ended.messages',
        kind: 'counter',
        unit: '{message}',
        label: 'call-ended messages',
        description: 'Call-ended CloudEvents put on the queue (failed: the write that ended the call was answered 503 and is retried).',
        attributes: {
            result: { description: 'whether the queue took the message', values: ['queued', 'failed'] },
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
    callbackAnswer: {
        name: 'callback.answer',
        parent: 'callback',
        description: 'The answer: 202 with the counts, or the problem that says what went wrong.',
        attributes: {
            status: { description: 'the HTTP status answered', type: 'string', values: CALLBACK_STATUSES },
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
