// The OpenAPI 3.1 description of every HTTP function (GET /api/openapi.json). Built from the same
// constants the app checks requests with (call id rule, page size, states, body limit), so the rules it
// states cannot drift from the code; the tests check real answers against it (test/support/openApi.ts).

import { APP_ROLES, type AppRole } from '../access/appRoles';
import { SIGN_IN_PATH } from '../access/signInPaths';
import { SCRIPTED_REQUEST_HEADER } from '../access/crossSiteGuard';
import { MAX_REASON_LENGTH } from '../access/requester';
import { EVENT_FIELDS, SUMMARY_FIELDS, type FieldList, type FieldSpec } from '../record/callFields';
import { CALL_ID_PATTERN } from '../callId';
import { EVENT_KIND } from '../record/callModel';
import { KNOWN_CALL_STATES } from '../record/callState';
import { PROBLEM_CONTENT_TYPE } from '../problem';
import { DEFAULT_TOP, MAX_TOP } from '../query/queryOptions';
import { CALLBACK_BODY_LIMIT } from '../requestBody';
import { PARTICIPANT_FIELDS } from '../participants/participantModel';

export type OpenApiDocument = Record<string, unknown> & { openapi: string; paths: Record<string, Record<string, unknown>> };

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string) => ({ $ref: `#/components/responses/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } };
const problem = (description: string, headers?: Record<string, unknown>) => ({ description, content: problemContent, ...(headers ? { headers } : {}) });
const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

const callIdParameter = {
    name: 'callId',
    in: 'path',
    required: true,
    description: "Graph's call id: 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit. Anything else is a 400.",
    schema: { type: 'string', pattern: CALL_ID_PATTERN.source, minLength: 1, maxLength: 128 },
};
const topParameter = {
    name: 'top',
    in: 'query',
    description: `Items per page, 1 to ${MAX_TOP}; a page may hold fewer and still carry a continuationToken.`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_TOP, default: DEFAULT_TOP },
};
const tokenParameter = {
    name: 'continuationToken',
    in: 'query',
    description: 'The continuationToken of the previous page of the same query; a token of another query, or a damaged one, is a 400.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$', maxLength: 4096 },
};
const reasonSchema = { type: 'string', maxLength: MAX_REASON_LENGTH };
const reasonDescription = `Why: kept with the request on the history event (requestReason). At most ${MAX_REASON_LENGTH} characters; give it here or in the body, not both.`;
const instantSchema = {
    anyOf: [
        { type: 'string', format: 'date', description: 'A date: midnight UTC.' },
        { type: 'string', format: 'date-time', description: 'A date-time with Z or an offset; a time without a zone is refused.' },
    ],
};

/**
 * Who may call an operation: a function key (API_AUTH=functionKey), or a principal App Service Authentication
 * signed in (API_AUTH=entra) holding `role` (OpenAPI 3.1 lets a non-OAuth scheme list the roles it requires).
 */
const securedBy = (role?: AppRole) => {
    const roles = role === undefined ? [] : [role];
    return [{ functionKey: [] }, { functionKeyQuery: [] }, { entraBearer: roles }, { entraSession: roles }];
};

const readResponses = (ok: unknown, extra: Record<string, unknown> = {}) => ({
    200: ok,
    400: response('BadRequest'),
    401: response('Unauthorized'),
    403: response('Forbidden'),
    ...extra,
    500: response('InternalError'),
    503: response('StorageUnavailable'),
});

function paths(): Record<string, Record<string, unknown>> {
    return {
        '/calls': {
            get: {
                operationId: 'listCalls',
                summary: 'List calls, newest first by start',
                description:
                    'One page of call summaries, newest first by firstEventAt. since/until bound the start (since inclusive, until exclusive). ' +
                    'Unknown or repeated query parameters are a 400, so a misspelt filter is never read as "no such calls".',
                parameters: [
                    {
                        name: 'state',
                        in: 'query',
                        description: `Only calls whose current callState is this state, in any letter case: ${KNOWN_CALL_STATES.join(', ')}.`,
                        schema: { type: 'string', pattern: '^[A-Za-z]{1,64}$', examples: ['established', 'terminated'] },
                    },
                    {
                        name: 'active',
                        in: 'query',
                        description: 'true: only calls that have not ended (not terminated, not deleted); false: only ended calls.',
                        schema: { type: 'boolean' },
                    },
                    { name: 'since', in: 'query', description: 'Only calls that started at or after this instant.', schema: instantSchema },
                    { name: 'until', in: 'query', description: 'Only calls that started before this instant; later than since.', schema: instantSchema },
                    {
                        name: 'relay',
                        in: 'query',
                        description: 'failed: only calls with notifications the relay dead-lettered (relayFailed above 0), read from their own index, never a table scan.',
                        schema: { type: 'string', enum: ['failed'] },
                    },
                    topParameter,
                    tokenParameter,
                ],
                responses: readResponses({ description: 'One page of calls.', content: json(ref('CallListPage')) }),
            },
        },
        '/calls/{callId}': {
            parameters: [callIdParameter],
            get: {
                operationId: 'getCall',
                summary: "One call's summary",
                responses: readResponses({ description: "The call's summary row.", content: json(ref('CallSummary')) }, { 404: problem('Nothing is recorded for this call.') }),
            },
            delete: {
                operationId: 'endCall',
                summary: "Hang up the bot's leg of a call through Microsoft Graph",
                description:
                    'Calls Graph DELETE /communications/calls/{callId}, retrying throttling and server errors within about 30 s. ' +
                    "Every attempt is recorded in the call's history as a hangupRequest event, with who asked (requestedBy*, from the signed-in principal or " +
                    '"functionKey", never from the request) and the reason given (requestReason). With API_AUTH=entra the request must carry ' +
                    `Content-Type: application/json (with the body) or an ${SCRIPTED_REQUEST_HEADER} header, so that no form on another site can send it. ` +
                    'The route takes the rest of the path as the call id (x-rest-of-path), so DELETE /calls, /calls/ and /calls/a/b are answered too: 400.',
                // The function's route is `calls/{*callId}` (a catch-all), which OpenAPI paths cannot say.
                'x-rest-of-path': 'callId',
                security: securedBy(APP_ROLES.operate),
                parameters: [{ name: 'reason', in: 'query', description: reasonDescription, schema: reasonSchema }],
                requestBody: {
                    required: false,
                    description: 'The reason, as an alternative to ?reason= (give it in one place only).',
                    content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { reason: reasonSchema } } } },
                },
                responses: {
                    204: { description: 'Graph ended the call (Graph answered 204).' },
                    400: response('BadRequest'),
                    401: response('Unauthorized'),
                    403: response('Forbidden'),
                    404: problem('Graph has no such call (its error code, e.g. 8522, and request-id are in detail).'),
                    413: problem('The body is larger than a reason needs.'),
                    415: problem('The body is not JSON (Content-Type).'),
                    500: response('InternalError'),
                    502: problem("Graph refused the app's token or permissions, could not be reached, or refused the hang-up; detail names Graph's error code and request-id."),
                    503: problem('Graph kept throttling or failing after the retries; try again after Retry-After.', retryAfter),
                },
            },
        },
        '/calls/{callId}/history': {
            parameters: [callIdParameter],
            get: {
                operationId: 'listCallHistory',
                summary: "One page of a call's history, in sequence order",
                parameters: [topParameter, tokenParameter],
                responses: readResponses({ description: 'One page of history events.', content: json(ref('HistoryPage')) }, { 404: problem('The call has no history.') }),
            },
        },
        '/calls/{callId}/participants': {
            parameters: [callIdParameter],
            get: {
                operationId: 'listParticipants',
                summary: "Everyone the call had, from Graph's participant notifications",
                description:
                    'The roster the participants notifications kept: those in the call now (inCall) and everyone who left, with leftAt, in the order they joined. ' +
                    'With PARTICIPANT_DETAILS=ids there are no display names and phone numbers are masked.',
                responses: readResponses({ description: "The call's roster.", content: json(ref('ParticipantList')) }, { 404: problem('Nothing is recorded for this call.') }),
            },
        },
        '/calls/{callId}/relay': {
            parameters: [callIdParameter],
            post: {
                operationId: 'relayCall',
                summary: "Deliver a call's notifications to the bot again (replay)",
                description:
                    'From fromSequence (rounded down to the first notification of the request it went in, so every webhook-id comes again with the ' +
                    "same notifications), in order, signed as before, through the relay's retry queue: the answer comes once the replay is scheduled. " +
                    'Dead-lettered notifications are tried again, with RELAY_MAX_AGE_HOURS counted from now. JSON only (a cross-site form cannot send it). ' +
                    "Every replay is recorded in the call's history as a relayReplay event, with who asked (requestedBy*, from the signed-in principal or " +
                    '"functionKey", never from the request) and the reason given (requestReason).',
                security: securedBy(APP_ROLES.operate),
                parameters: [{ name: 'reason', in: 'query', description: reasonDescription, schema: reasonSchema }],
                requestBody: {
                    required: true,
                    content: {
                        'application/json': {
                            schema: {
                                type: 'object',
                                additionalProperties: false,
                                properties: {
                                    fromSequence: { type: 'integer', minimum: 1, default: 1, description: 'The first history sequence to deliver again.' },
                                    reason: reasonSchema,
                                },
                            },
                        },
                    },
                },
                responses: {
                    202: { description: 'The replay is scheduled.', content: json(ref('ReplayScheduled')) },
                    400: response('BadRequest'),
                    401: response('Unauthorized'),
                    403: response('Forbidden'),
                    404: problem('Nothing is recorded for this call.'),
                    409: problem('The relay is off: RELAY_URL is not set.'),
                    413: problem('The body is larger than it can be.'),
                    415: problem('The body is not application/json.'),
                    500: response('InternalError'),
                    503: response('StorageUnavailable'),
                },
            },
        },
        '/callback': {
            post: {
                operationId: 'callNotifications',
                summary: "The bot's calling webhook: Graph posts call notifications here",
                description:
                    `Reads the body once (at most ${CALLBACK_BODY_LIMIT} bytes), verifies the bearer token, then stores every notification before answering 202. ` +
                    'Redeliveries are recognised and counted, not stored again; notifications that name no call are kept as rejected events.',
                security: [{ callbackToken: [] }],
                requestBody: {
                    required: true,
                    content: { 'application/json': { schema: ref('NotificationCollection') } },
                },
                responses: {
                    202: { description: 'Everything in the POST is durably stored.', content: json(ref('CallbackSummary')) },
                    400: response('BadRequest'),
                    401: problem('The bearer token is missing or does not verify; nothing was stored.', {
                        'WWW-Authenticate': { description: 'Bearer, with the error.', required: true, schema: { type: 'string' } },
                    }),
                    413: problem(`The body is larger than ${CALLBACK_BODY_LIMIT} bytes.`),
                    415: problem('The body is not JSON (Content-Type).'),
                    500: response('InternalError'),
                    503: problem(
                        'Nothing is acknowledged, so Graph redelivers (storing again is idempotent): the table or the call-ended queue failed, the call is ' +
                            "being written by too many instances at once, or the callback token's signing keys cannot be fetched now.",
                        retryAfter,
                    ),
                },
            },
        },
        '/console': {
            get: {
                operationId: 'console',
                summary: 'The operator console (an HTML page)',
                description:
                    'API_AUTH=functionKey: open it with ?code=<function key>; the page removes the key from the address bar and sends it as x-functions-key on its API requests. ' +
                    `API_AUTH=entra: a person who is not signed in is sent to ${SIGN_IN_PATH} and back. ` +
                    'Never cached; its Content-Security-Policy allows only this origin.',
                responses: {
                    200: {
                        description: 'The page.',
                        headers: {
                            'Content-Security-Policy': { required: true, schema: { type: 'string' } },
                            'Cache-Control': { required: true, schema: { type: 'string', const: 'no-cache' } },
                        },
                        content: { 'text/html': { schema: { type: 'string' } } },
                    },
                    302: {
                        description: `API_AUTH=entra, not signed in: to ${SIGN_IN_PATH}, which signs the person in and sends them back here.`,
                        headers: { Location: { required: true, schema: { type: 'string', pattern: `^${SIGN_IN_PATH.replace(/\./g, '\\.')}\\?post_login_redirect_uri=` } } },
                    },
                    401: response('Unauthorized'),
                    403: response('Forbidden'),
                    500: response('InternalError'),
                },
            },
        },
        '/console/assets/{name}': {
            get: {
                operationId: 'consoleAssets',
                summary: "The console's script, style sheet and icon (anonymous: they hold no data)",
                security: [],
                parameters: [{ name: 'name', in: 'path', required: true, description: 'A hashed file name the page names.', schema: { type: 'string' } }],
                responses: {
                    200: {
                        description: 'The file, cacheable for a year (its name changes with its content).',
                        headers: { 'Cache-Control': { required: true, schema: { type: 'string', const: 'public, max-age=31536000, immutable' } } },
                        content: {
                            'text/javascript': { schema: { type: 'string' } },
                            'text/css': { schema: { type: 'string' } },
                            'image/svg+xml': { schema: { type: 'string' } },
                        },
                    },
                    404: problem('No such asset (a page from an older deployment: reload it).'),
                    500: response('InternalError'),
                },
            },
        },
        '/doctor': {
            get: {
                operationId: 'doctor',
                summary: "Check the deployment from inside: the app's settings, storage, signing keys, Graph token and permissions, telemetry",
                description:
                    "calls doctor's checks, run by the app with its own settings and identity (the managed identity in Azure); `calls doctor --app <url>` prints them. " +
                    'Each check is ok, fail (with what to do) or skip (with why). 200 whatever they find; ok is false when one failed. Nothing secret is in the answer. ' +
                    `It needs ${APP_ROLES.operate}: it spends Graph tokens, sends the bot a signed test delivery, and describes how the app is wired.`,
                security: securedBy(APP_ROLES.operate),
                responses: {
                    200: { description: 'The checks and their verdicts, in the order they ran.', content: json(ref('DoctorReport')) },
                    401: response('Unauthorized'),
                    403: response('Forbidden'),
                    500: response('InternalError'),
                },
            },
        },
        '/openapi.json': {
            get: {
                operationId: 'openapi',
                summary: 'This description',
                responses: {
                    200: { description: 'The OpenAPI 3.1 document.', content: json({ type: 'object', required: ['openapi', 'paths'] }) },
                    401: response('Unauthorized'),
                    403: response('Forbidden'),
                    500: response('InternalError'),
                },
            },
        },
        '/me': {
            get: {
                operationId: 'whoAmI',
                summary: 'Who the app takes the caller for, and the app roles they hold',
                description: 'Any signed-in principal may ask, with or without a role (a page uses it to say who is signed in and offer only what they may do).',
                security: securedBy(),
                responses: {
                    200: {
                        description: 'The caller.',
                        headers: { 'Cache-Control': { required: true, schema: { type: 'string', const: 'no-store' } } },
                        content: json(ref('SignedIn')),
                    },
                    401: response('Unauthorized'),
                    500: response('InternalError'),
                },
            },
        },
    };
}

/** What a field says beyond its type, in the document. */
const FIELD_DESCRIPTIONS: Record<string, string> = {
    callState: "Latest state by the state rules, in Graph's camelCase spelling.",
    duplicateCount: 'Redeliveries recognised and not stored again.',
    hangupStatus: "Graph's status for the last hang-up attempt; absent when Graph did not answer it.",
    kind: 'notification, hangupRequest, rejected or reconciliation.',
    resultMessage: "For hangupRequest and reconciliation events: Graph's answer in words.",
    resourceData: "The notification's resourceData as Graph sent it (outside input); the raw text when it was cut (resourceDataTruncated).",
    httpStatus: "hangupRequest and reconciliation events: Graph's HTTP status.",
    truncatedFields: 'Fields stored cut because they were longer than the table holds.',
    closedBy: 'Who ended the call: a Graph notification, or the reconciler or keepAlive when Graph no longer had the call.',
    keptAliveAt: 'The last keepAlive Graph answered 200 to (KEEP_ALIVE_MINUTES).',
    keepAliveStatus: "Graph's status to the last keepAlive sent.",
    checkedBy: 'reconciliation events: who asked Graph, the reconciler (GET) or keepAlive (POST keepAlive).',
    callRecordStatus:
        "Graph's call record after the call (CALL_RECORDS=on): pending, fetched, notFound (not there within CALL_RECORD_GIVE_UP_HOURS) or forbidden (CallRecords.Read.All missing).",
    callRecordError: 'Why the call record is not (yet) there: what Graph answered to the last fetch.',
    callRecordBlob: 'Where the whole call record is kept: <container>/<callId>/<version>.json in Blob Storage.',
    durationSeconds: "Graph's end minus Graph's start, in seconds.",
    quality: "The call's quality by Microsoft's Call Quality Dashboard thresholds: poor when any stream is poor.",
    qualityReason: 'Why, in words: the worst stream, e.g. "audio from Ada lost 12% of packets (poor above 10%)".',
    worstPacketLossRate: 'The highest average packet loss rate (0 to 1) of any stream.',
    participantQuality: "Each participant's verdict by the streams they sent, poor first (the stored text when it was cut).",
    participantCount: 'In the call now, as Graph last listed them (the bot included).',
    maxParticipants: 'The most participants the call had at once.',
    callChainId: "Graph's callChainId: the id of the call's record in Graph after the call.",
    joinedAt: 'When a roster first listed the participant (the receive time).',
    leftAt: 'When a roster first showed the participant gone.',
    leftReason: 'removedState.reason as Graph sent it, removed, or notInRoster.',
    notification: 'The notification as Graph sent it, with resourceData null in its place (the relay rebuilds it from both); the raw text when it was cut.',
    relayedThrough: 'The relay to the bot: every event up to this sequence is delivered, dead-lettered, or not a notification.',
    relayPending: 'Notifications stored and not yet delivered to the bot or dead-lettered.',
    relayFailed: 'Notifications dead-lettered (not delivered within RELAY_MAX_AGE_HOURS) and not delivered since.',
    relayBatchEnd: 'The request being attempted holds the notifications after relayedThrough up to this sequence.',
    relayNextAttemptAt: "When that request's next attempt is due.",
    relayLastStatus: "The bot's HTTP status on the last attempt; 0 when it did not answer.",
    relayLastError: "The last attempt's failure, with a short excerpt of the bot's answer; absent once a later attempt succeeded.",
    relayOwner: "An opaque token: which callback or retry message carries this call's relay on.",
    relayBatch: 'The sequence of the first notification of the request this one went in: its webhook-id is {callId}/{relayBatch}.',
    relayStatus: "The bot's HTTP status on the last attempt of that request; 0 when it did not answer.",
    relayOutcome: 'delivered, or failed once dead-lettered; absent while pending.',
    relayError: "The last failure of that request, with a short excerpt of the bot's answer.",
    requestedByKind:
        'Requests someone made of the app (hangupRequest, relayReplay): who asked, from the signed-in principal, the function key or the command line (calls relay replay), never from the request.',
    requestedById: "A person's Entra object id, an application's client id, or the command line's account@machine; absent for the function key.",
    requestedByName: "A person's display name or UPN; an application's name when its token gave one.",
    requestReason: 'The reason given with the request, if any.',
};

/** A field's JSON schema from its description in callFields.ts. */
function fieldSchema(name: string, spec: FieldSpec): Record<string, unknown> {
    const described = FIELD_DESCRIPTIONS[name] === undefined ? {} : { description: FIELD_DESCRIPTIONS[name] };
    if (name === 'kind') return { ...described, enum: Object.values(EVENT_KIND) };
    if (name === 'closedBy') return { ...described, enum: ['graph', 'reconciler', 'keepAlive'] };
    if (name === 'checkedBy') return { ...described, enum: ['reconciler', 'keepAlive'] };
    if (name === 'callRecordStatus') return { ...described, enum: ['pending', 'fetched', 'notFound', 'forbidden'] };
    if (name === 'quality') return { ...described, enum: ['good', 'poor', 'unknown'] };
    if (name === 'participantQuality') return { ...described, type: ['array', 'string'], items: ref('ParticipantQuality') };
    if (name === 'relayOutcome') return { ...described, enum: ['delivered', 'failed'] };
    if (name === 'requestedByKind') return { ...described, enum: ['user', 'application', 'functionKey', 'commandLine'] };
    if (spec.json === 'parsed') return described;
    switch (spec.column) {
        case 'int':
            return { ...described, type: 'integer' };
        case 'double':
            return { ...described, type: 'number' };
        case 'boolean':
            return { ...described, type: 'boolean' };
        case 'datetime':
            return { ...described, type: 'string', format: 'date-time' };
        case 'names':
            return { ...described, type: 'array', items: { type: 'string' } };
        default:
            return { ...described, type: 'string', ...(spec.limit === undefined ? {} : { maxLength: spec.limit }) };
    }
}

/** An object of the listed fields and no others; those with a fallback are always there. */
function recordSchema(description: string, keys: Record<string, unknown>, fields: FieldList): Record<string, unknown> {
    const properties: Record<string, unknown> = { ...keys };
    for (const [name, spec] of Object.entries(fields)) properties[name] = fieldSchema(name, spec);
    const required = [
        ...Object.keys(keys),
        ...Object.entries(fields)
            .filter(([, spec]) => spec.fallback !== undefined)
            .map(([name]) => name),
    ];
    return { type: 'object', description, required, additionalProperties: false, properties };
}

function schemas(): Record<string, unknown> {
    const text = { type: 'string' };
    return {
        Problem: {
            type: 'object',
            description: 'RFC 9457 problem details; never a stack trace.',
            required: ['type', 'title', 'status', 'detail'],
            additionalProperties: false,
            properties: {
                type: { type: 'string', examples: ['about:blank'] },
                title: text,
                status: { type: 'integer', minimum: 400, maximum: 599 },
                detail: text,
                instance: text,
            },
        },
        CallSummary: recordSchema(
            'The summary row of a call (README, table layout). A call is ended when callState is terminated or deleted is true.',
            { callId: { type: 'string', pattern: CALL_ID_PATTERN.source } },
            SUMMARY_FIELDS,
        ),
        CallEvent: recordSchema('One history event, in sequence order (1, 2, 3, ... without gaps).', {}, EVENT_FIELDS),
        Participant: recordSchema(
            'One participant the call had (a participant row, see the table layout). inCall: listed by Graph and not gone, in a call that has not ended.',
            { key: { type: 'string', description: "The row's key: Graph's participant id, or ~ and a hash of the identity when Graph sent no id." }, inCall: { type: 'boolean' } },
            PARTICIPANT_FIELDS,
        ),
        ParticipantQuality: {
            type: 'object',
            description: "One participant's quality verdict from Graph's call record.",
            required: ['id', 'quality', 'streams', 'poorStreams'],
            properties: {
                id: text,
                kind: text,
                name: text,
                quality: { enum: ['good', 'poor', 'unknown'] },
                reason: text,
                streams: { type: 'integer', minimum: 0 },
                poorStreams: { type: 'integer', minimum: 0 },
            },
        },
        ParticipantList: {
            type: 'object',
            required: ['callId', 'participants'],
            additionalProperties: false,
            properties: {
                callId: text,
                participantCount: { type: 'integer', minimum: 0, description: 'In the call now, as Graph last listed them (the bot included).' },
                maxParticipants: { type: 'integer', minimum: 0, description: 'The most participants the call had at once.' },
                participants: { type: 'array', items: ref('Participant') },
            },
        },
        CallListPage: {
            type: 'object',
            required: ['calls'],
            additionalProperties: false,
            properties: { calls: { type: 'array', items: ref('CallSummary') }, continuationToken: text },
        },
        HistoryPage: {
            type: 'object',
            required: ['callId', 'events'],
            additionalProperties: false,
            properties: { callId: text, events: { type: 'array', items: ref('CallEvent') }, continuationToken: text },
        },
        ReplayScheduled: {
            type: 'object',
            required: ['callId', 'fromSequence', 'relayedThrough', 'relayPending'],
            additionalProperties: false,
            properties: {
                callId: text,
                fromSequence: { type: 'integer', minimum: 1, description: 'The first sequence that goes again: the start of the request the asked-for one went in.' },
                relayedThrough: { type: 'integer', minimum: 0, description: "The relay's cursor after the rewind." },
                relayPending: { type: 'integer', minimum: 0, description: 'Notifications now waiting to be delivered.' },
            },
        },
        SignedIn: {
            type: 'object',
            required: ['apiAuth', 'kind', 'roles'],
            additionalProperties: false,
            properties: {
                apiAuth: { enum: ['functionKey', 'entra'], description: "The app's API_AUTH." },
                kind: { enum: ['user', 'application', 'functionKey'] },
                id: { type: 'string', description: "A person's Entra object id, an application's client id; absent for the function key." },
                name: { type: 'string' },
                roles: {
                    type: 'array',
                    items: { enum: Object.values(APP_ROLES) },
                    description: `The app roles held, ${APP_ROLES.operate} including ${APP_ROLES.read}; a function key holds both.`,
                },
            },
        },
        CallbackSummary: {
            type: 'object',
            required: ['accepted', 'duplicates', 'rejected'],
            additionalProperties: false,
            properties: {
                accepted: { type: 'integer', minimum: 0, description: 'Notifications stored as new history events.' },
                duplicates: { type: 'integer', minimum: 0, description: 'Redeliveries recognised and not stored again.' },
                rejected: { type: 'integer', minimum: 0, description: 'Notifications no call could be found for, kept in the _unrouted partition.' },
            },
        },
        DoctorReport: {
            type: 'object',
            required: ['ok', 'checks'],
            additionalProperties: false,
            properties: {
                ok: { type: 'boolean', description: 'No check failed.' },
                checks: {
                    type: 'array',
                    items: {
                        type: 'object',
                        required: ['id', 'title', 'status', 'detail'],
                        additionalProperties: false,
                        properties: {
                            id: { type: 'string', examples: ['settings', 'table', 'graph-permissions'] },
                            title: text,
                            status: { enum: ['ok', 'fail', 'skip'] },
                            detail: text,
                            action: { type: 'string', description: 'What to do about a failure.' },
                        },
                    },
                },
            },
        },
        NotificationCollection: {
            type: 'object',
            required: ['value'],
            properties: {
                value: {
                    type: 'array',
                    items: {
                        type: 'object',
                        description: 'A Graph change notification; the @odata.type wrapper may be missing.',
                        properties: {
                            changeType: { type: 'string', description: 'created, updated or deleted, in any letter case.' },
                            resourceUrl: { type: 'string', description: 'v1.0: /communications/calls/{id}[/participants|/operations/{id}]' },
                            resource: { type: 'string', description: 'beta: /app/calls/{id}...' },
                            resourceData: { type: ['object', 'array'] },
                        },
                    },
                },
            },
        },
    };
}

/**
 * The app's version from package.json: a literal require relative to the compiled file (dist/shared/http), so the
 * esbuild bundle of `npm run package` carries it too.
 */
function appVersion(): string {
    return (require('../../../package.json') as { version?: string }).version ?? '0.0.0';
}

/**
 * @param serverUrl where the API is, e.g. `/api` (relative to the document) or `https://app.azurewebsites.net/api`
 *
 * @example
 * jsonAnswer(200, openApiDocument('/api'))
 */
export function openApiDocument(serverUrl: string): OpenApiDocument {
    return {
        openapi: '3.1.0',
        info: {
            title: 'Teams call record',
            version: appVersion(),
            description:
                'Call control and a durable call record for Teams calling bots: hang up calls through Microsoft Graph, ' +
                "ingest the notifications Graph posts to the bot's callback, and read every call's state and history. " +
                'Every error is application/problem+json (RFC 9457).',
        },
        servers: [{ url: serverUrl }],
        security: securedBy(APP_ROLES.read),
        paths: paths(),
        components: {
            schemas: schemas(),
            securitySchemes: {
                functionKey: {
                    type: 'apiKey',
                    in: 'header',
                    name: 'x-functions-key',
                    description: 'API_AUTH=functionKey: a function key or the host key of the Function App. It names no one: the audit records "functionKey".',
                },
                functionKeyQuery: { type: 'apiKey', in: 'query', name: 'code', description: 'The same key as a query parameter (how the console is opened).' },
                entraBearer: {
                    type: 'http',
                    scheme: 'bearer',
                    bearerFormat: 'JWT',
                    description:
                        'API_AUTH=entra: an Entra access token for the app registration (scope api://<AUTH_CLIENT_ID>/.default for an application with client credentials), ' +
                        `validated by App Service Authentication; the roles listed are app roles (${APP_ROLES.read}, ${APP_ROLES.operate}) the token must carry.`,
                },
                entraSession: {
                    type: 'apiKey',
                    in: 'cookie',
                    name: 'AppServiceAuthSession',
                    description: `API_AUTH=entra: the session App Service Authentication keeps after a person signs in at ${SIGN_IN_PATH}; the roles listed are app roles assigned to them.`,
                },
                callbackToken: {
                    type: 'http',
                    scheme: 'bearer',
                    bearerFormat: 'JWT',
                    description: "RS256 token Graph signs for the bot: iss one of CALLBACK_ISSUERS, aud the bot's app id, a tid claim.",
                },
            },
            headers: {
                RetryAfter: { description: 'Seconds to wait before trying again.', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
            },
            responses: {
                BadRequest: problem('The request is malformed: a bad call id, an unknown, repeated or malformed query parameter, a bad body.'),
                Unauthorized: {
                    description:
                        'API_AUTH=functionKey: the function key is missing or wrong, answered by the Functions host with no body (the local host checks no keys). ' +
                        'API_AUTH=entra: no signed-in principal, answered by App Service Authentication or by the app (problem+json, WWW-Authenticate: Bearer); ' +
                        'the app trusts client-principal headers only when the platform reports App Service Authentication on.',
                    content: problemContent,
                    // The Functions host refuses a key before the app runs, with no body at all (what the console gets in Azure).
                    'x-host-answers-without-body': true,
                },
                Forbidden: problem(
                    'API_AUTH=entra: the signed-in principal lacks the app role this needs (detail names it), or a state-changing request carries neither ' +
                        `Content-Type: application/json nor ${SCRIPTED_REQUEST_HEADER}. App Service Authentication answers 403 itself for a tenant it does not allow.`,
                ),
                InternalError: problem('An unexpected failure; detail names the invocation id to quote.'),
                StorageUnavailable: problem('Table Storage could not be reached; nothing was lost, try again after Retry-After.', retryAfter),
            },
        },
    };
}
