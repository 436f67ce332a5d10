// How Microsoft Graph answers: correlation headers on every response and its `{"error":{code,message,innerError}}`
// body, with the codes the calls API uses for each status.

import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { header, sendEmpty, sendJson, type Exchange } from './http';

/** The ids Graph puts on an answer: its own `request-id`, and the caller's `client-request-id` echoed (or the same). */
export interface GraphCorrelation {
    requestId: string;
    clientRequestId: string;
}

export interface GraphErrorDetails {
    code?: string;
    message?: string;
    retryAfterSeconds?: number;
    headers?: OutgoingHttpHeaders;
}

/** The error Graph's calls API gives for each status; 403 and 404 use its numeric call codes. */
const GRAPH_ERRORS: Record<number, { code: string; message: string }> = {
    400: { code: 'BadRequest', message: 'The request is invalid.' },
    401: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
    403: { code: '7503', message: 'Application is not registered in our store.' },
    404: { code: '9997', message: 'Call not found.' },
    405: { code: 'MethodNotAllowed', message: 'The method is not allowed for this resource.' },
    429: { code: 'TooManyRequests', message: 'Too many requests. Please retry again later.' },
    500: { code: 'UnknownError', message: 'An internal server error occurred.' },
    502: { code: 'BadGateway', message: 'Bad gateway.' },
    503: { code: 'serviceNotAvailable', message: 'The service is temporarily unavailable. Please retry again later.' },
    504: { code: 'GatewayTimeout', message: 'The gateway timed out.' },
};

export function graphCorrelation(ex: Exchange): GraphCorrelation {
    const requestId = randomUUID();
    return { requestId, clientRequestId: header(ex.req, 'client-request-id') ?? requestId };
}

function graphHeaders(correlation: GraphCorrelation): OutgoingHttpHeaders {
    return {
        'request-id': correlation.requestId,
        'client-request-id': correlation.clientRequestId,
        'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Local', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'call-simulator' } }),
        'strict-transport-security': 'max-age=31536000',
    };
}

export function sendGraphJson(ex: Exchange, correlation: GraphCorrelation, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
    sendJson(ex.res, status, body, { ...graphHeaders(correlation), ...headers });
}

export function sendGraphEmpty(ex: Exchange, correlation: GraphCorrelation, status: number): void {
    sendEmpty(ex.res, status, graphHeaders(correlation));
}

/**
 * Any status as Graph would send it: 2xx without a body, errors with Graph's error body, `Retry-After` when given.
 *
 * @example
 * sendGraphStatus(ex, correlation, 429, { retryAfterSeconds: 1 })
 */
export function sendGraphStatus(ex: Exchange, correlation: GraphCorrelation, status: number, details: GraphErrorDetails = {}): void {
    if (status < 300) {
        sendGraphEmpty(ex, correlation, status);
        return;
    }
    const known = GRAPH_ERRORS[status] ?? { code: STATUS_CODES[status]?.replace(/\s+/g, '') ?? 'UnknownError', message: STATUS_CODES[status] ?? 'Error.' };
    const body = {
        error: {
            code: details.code ?? known.code,
            message: details.message ?? known.message,
            innerError: {
                // Graph's innerError date has no fraction and no zone.
                date: new Date().toISOString().slice(0, 19),
                'request-id': correlation.requestId,
                'client-request-id': correlation.clientRequestId,
            },
        },
    };
    const headers: OutgoingHttpHeaders = { ...details.headers };
    if (details.retryAfterSeconds !== undefined) headers['retry-after'] = String(details.retryAfterSeconds);
    if (status === 401) {
        headers['www-authenticate'] =
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';
    }
    sendGraphJson(ex, correlation, status, body, headers);
}
