// Microsoft Graph's calls API (the hang-up's DELETE, the reconciler's GET and keepAlive's POST), reached through
// `@azure/core-rest-pipeline`: a bearer-token policy (token cached and refreshed by the policy), throttling
// retries that honour Retry-After, exponential retries on 5xx/408/network errors, one `client-request-id`
// per request (its retries share it), keep-alive connections, a user agent,
// and a deadline for the whole series of attempts. A log of the attempts tells what Graph last said when
// the deadline ends the series, so that the caller gets Graph's status instead of a bare timeout.

import {
    bearerTokenAuthenticationPolicy,
    createDefaultHttpClient,
    createPipelineFromOptions,
    createPipelineRequest,
    type HttpClient,
    type Pipeline,
    type PipelinePolicy,
    type PipelineRequest,
    type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { isCallChainId } from '../record/callModel';
import { normalizeCallState } from '../record/callState';
import type { GraphConfig } from '../settings/config';

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const USER_AGENT = 'teams-call-record/0.1';

/** One answer of Graph's, with what it said about itself. */
export interface GraphAnswer {
    status: number;
    graphRequestId?: string;
    errorCode?: string;
    errorMessage?: string;
    retryAfterSeconds?: number;
    /** The call's `state` in a 200 answer to a GET, in Graph's camelCase spelling. */
    callState?: string;
    /** The call's `callChainId` in a 200 answer to a GET: the id of its record in Graph after the call. */
    callChainId?: string;
}

/** How a request about one call ended: Graph's final answer, or why there was none. */
export type GraphCallOutcome =
    | {
          kind: 'answered';
          clientRequestId: string;
          /** Requests sent to Graph, retries included. */
          attempts: number;
          answer: GraphAnswer;
          /** An earlier attempt got no answer, so it may have ended the call before this answer (a 404, say). */
          earlierAttemptUnanswered: boolean;
      }
    | {
          kind: 'unreachable';
          clientRequestId: string;
          attempts: number;
          reason: string;
          /** No token: the request never left the app. */
          tokenFailure: boolean;
          /** Graph's answer to the last attempt, when it answered one and the deadline then cut the retries short. */
          lastAnswer?: GraphAnswer;
      };

/** How a hang-up ended. */
export type HangupOutcome = GraphCallOutcome;

/** A GET with its JSON body: `body` is the parsed answer of a 200 (undefined when it is not JSON). */
export type GraphJsonOutcome = GraphCallOutcome & { body?: unknown };

export class GraphCallsClient {
    private readonly config: GraphConfig;
    private readonly pipeline: Pipeline;

    constructor(config: GraphConfig, credential: TokenCredential) {
        this.config = config;
        this.pipeline = createPipelineFromOptions({
            retryOptions: { maxRetries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 8000 },
            userAgentOptions: { userAgentPrefix: USER_AGENT },
            telemetryOptions: { clientRequestIdHeaderName: 'client-request-id' },
        });
        // Outside the retry phase: one token per series of attempts, cached across hang-ups.
        this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: GRAPH_SCOPE }));
        // Inside the retry loop, so it sees every attempt's answer or error, also the ones the retries swallow.
        this.pipeline.addPolicy(attemptLogPolicy, { afterPhase: 'Retry' });
    }

    /** The Graph URL of one call, with the id encoded into the configured path template. */
    callUrl(callId: string): string {
        return this.config.baseUrl + this.config.callPathTemplate.replace('{callId}', encodeURIComponent(callId));
    }

    /**
     * `DELETE` the call. Never throws: every way it can end is an outcome the caller maps and records.
     *
     * @example
     * const outcome = await graph.deleteCall('57dab8b1-894c-409a-b240-bd8beae78896');
     */
    deleteCall(callId: string): Promise<HangupOutcome> {
        return this.send('DELETE', this.callUrl(callId));
    }

    /**
     * `GET` the call: what Graph knows of it now (the reconciler's question). Never throws, like `deleteCall`;
     * a 200 answer carries the call's `state`.
     *
     * @example
     * const outcome = await graph.getCall(callId); // { kind: 'answered', answer: { status: 200, callState: 'established', ... } }
     */
    getCall(callId: string): Promise<GraphCallOutcome> {
        return this.send('GET', this.callUrl(callId));
    }

    /**
     * `POST .../keepAlive`: tells Graph the bot still wants the call (Graph ends a call that gets none within 45
     * minutes). Never throws; `200` while the call lives, `404` once it has ended.
     *
     * @example
     * const outcome = await graph.keepAlive(callId); // { kind: 'answered', answer: { status: 200, ... } }
     */
    keepAlive(callId: string): Promise<GraphCallOutcome> {
        return this.send('POST', `${this.callUrl(callId)}/keepAlive`);
    }

    /**
     * `GET` a path below `GRAPH_BASE_URL` (or an `@odata.nextLink` Graph gave, which must be on Graph's own origin:
     * the token goes nowhere else), with the answer's JSON body. Never throws, like the others.
     *
     * @example
     * const outcome = await graph.getJson(`/communications/callRecords/${id}?$expand=sessions($expand=segments)`);
     */
    async getJson(pathOrUrl: string): Promise<GraphJsonOutcome> {
        const base = new URL(this.config.baseUrl);
        const url = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(this.config.baseUrl + pathOrUrl);
        if (url.origin !== base.origin) {
            return { kind: 'unreachable', clientRequestId: '', attempts: 0, reason: `not sent: ${url.origin} is not Graph (${base.origin})`, tokenFailure: false };
        }
        return this.send('GET', url.href, true);
    }

    private async send(method: 'DELETE' | 'GET' | 'POST', url: string, withBody = false): Promise<GraphJsonOutcome> {
        const request = createPipelineRequest({
            url,
            method,
            // keepAlive takes no body; an empty one says so with Content-Length: 0.
            ...(method === 'POST' ? { body: '' } : {}),
            // The whole series: token, attempts and the waits between them. An attempt cut off by it is not
            // retried, so the answer comes at the deadline at the latest.
            abortSignal: AbortSignal.timeout(this.config.timeoutMs),
        });
        const clientRequestId = request.requestId;
        const attempts: Attempt[] = [];
        attemptLogs.set(request, attempts);
        try {
            const response = await this.pipeline.sendRequest(httpClient(), request);
            return {
                kind: 'answered',
                clientRequestId,
                attempts: attempts.length,
                answer: graphAnswer(response),
                earlierAttemptUnanswered: attempts.slice(0, -1).some((attempt) => attempt.response === undefined),
                ...(withBody && response.status === 200 ? { body: jsonOf(response.bodyAsText ?? undefined) } : {}),
            };
        } catch (err) {
            // What Graph last did before the deadline (or the last network error) says more than the abort itself.
            const last = attempts.filter((attempt) => !isAbort(attempt.error)).at(-1);
            return {
                kind: 'unreachable',
                clientRequestId,
                attempts: attempts.length,
                reason: describeFailure(err, last?.error, attempts.length, this.config.timeoutMs),
                // Nothing was sent: the bearer policy got no token (refused, no credential, or too slow).
                tokenFailure: attempts.length === 0,
                ...(last?.response ? { lastAnswer: graphAnswer(last.response) } : {}),
            };
        } finally {
            attemptLogs.delete(request);
        }
    }
}

// One keep-alive HTTP client for the process: connections to Graph are reused across invocations.
let sharedHttpClient: HttpClient | undefined;
function httpClient(): HttpClient {
    sharedHttpClient ??= createDefaultHttpClient();
    return sharedHttpClient;
}

/** One request that went to Graph: its answer, or the error that stopped it. */
interface Attempt {
    response?: PipelineResponse;
    error?: unknown;
}

const attemptLogs = new WeakMap<PipelineRequest, Attempt[]>();
const attemptLogPolicy: PipelinePolicy = {
    name: 'graphAttemptLogPolicy',
    async sendRequest(request, next) {
        const attempts = attemptLogs.get(request);
        try {
            const response = await next(request);
            attempts?.push({ response });
            return response;
        } catch (err) {
            attempts?.push({ error: err });
            throw err;
        }
    },
};

function graphAnswer(response: PipelineResponse): GraphAnswer {
    const error = graphError(response.bodyAsText ?? undefined);
    const graphRequestId = response.headers.get('request-id') ?? error?.requestId;
    const { callState, callChainId } = response.status === 200 ? callResourceOf(response.bodyAsText ?? undefined) : {};
    return {
        status: response.status,
        ...(callState ? { callState } : {}),
        ...(callChainId ? { callChainId } : {}),
        ...(graphRequestId ? { graphRequestId } : {}),
        ...(error?.code ? { errorCode: error.code } : {}),
        ...(error?.message ? { errorMessage: error.message } : {}),
        ...retryAfterOf(response),
    };
}

function jsonOf(body: string | undefined): unknown {
    if (!body) return undefined;
    try {
        return JSON.parse(body) as unknown;
    } catch {
        return undefined;
    }
}

/** The `state` and `callChainId` of a call resource (`{"@odata.type":"#microsoft.graph.call","state":"established","callChainId":"...",...}`). */
function callResourceOf(body: string | undefined): { callState?: string; callChainId?: string } {
    if (!body) return {};
    try {
        const { state, callChainId } = JSON.parse(body) as { state?: unknown; callChainId?: unknown };
        return {
            ...(typeof state === 'string' && /^[A-Za-z]{1,64}$/.test(state) ? { callState: normalizeCallState(state) } : {}),
            ...(isCallChainId(callChainId) ? { callChainId } : {}),
        };
    } catch {
        return {};
    }
}

/** Graph's error body: `{"error":{"code":"9997","message":"...","innerError":{"request-id":"..."}}}`. */
function graphError(body: string | undefined): { code?: string; message?: string; requestId?: string } | undefined {
    if (!body) return undefined;
    try {
        const error = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } }).error;
        if (typeof error !== 'object' || error === null) return undefined;
        const requestId = error.innerError?.['request-id'];
        return {
            ...(typeof error.code === 'string' || typeof error.code === 'number' ? { code: String(error.code) } : {}),
            ...(typeof error.message === 'string' ? { message: error.message } : {}),
            ...(typeof requestId === 'string' ? { requestId } : {}),
        };
    } catch {
        return undefined;
    }
}

function retryAfterOf(response: PipelineResponse): { retryAfterSeconds?: number } {
    const header = response.headers.get('retry-after');
    if (header === undefined) return {};
    const seconds = /^\d+$/.test(header.trim()) ? Number(header) : (Date.parse(header) - Date.now()) / 1000;
    return Number.isFinite(seconds) ? { retryAfterSeconds: Math.max(1, Math.ceil(seconds)) } : {};
}

function isAbort(err: unknown): boolean {
    return err instanceof Error && err.name === 'AbortError';
}

/**
 * @param err what the pipeline threw
 * @param lastError the error of the last attempt that was not cut off by the deadline
 */
function describeFailure(err: unknown, lastError: unknown, attempts: number, timeoutMs: number): string {
    const seconds = Math.round(timeoutMs / 1000);
    if (attempts === 0) {
        return isAbort(err) ? `no token within ${seconds} s` : tokenProblem(err);
    }
    if (isAbort(err)) {
        return lastError === undefined ? `no answer within ${seconds} s` : `${networkProblem(lastError)}; gave up after ${attempts} attempts at the ${seconds} s time bound`;
    }
    return `${networkProblem(err)} (${attempts} ${attempts === 1 ? 'attempt' : 'attempts'})`;
}

function networkProblem(err: unknown): string {
    const code = (err as { code?: unknown } | undefined)?.code;
    const message = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err);
    return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Entra's reason (`AADSTS7000215: Invalid client secret provided. ...`) when there is one, else the first line. */
function tokenProblem(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const entra = /AADSTS\d+:[^\r\n]*/.exec(message)?.[0];
    return entra ?? `${err instanceof Error ? `${err.name}: ` : ''}${message.split(/\r?\n/)[0] ?? ''}`;
}
