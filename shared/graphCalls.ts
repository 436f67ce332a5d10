// Microsoft Graph's calls API, reached through `@azure/core-rest-pipeline`: a bearer-token policy (token
// cached and refreshed by the policy), throttling retries that honour Retry-After, exponential retries
// on 5xx/408/network errors, one `client-request-id` per hang-up, keep-alive connections, a user agent,
// and a deadline for the whole series of attempts.

import {
    bearerTokenAuthenticationPolicy,
    createDefaultHttpClient,
    createPipelineFromOptions,
    createPipelineRequest,
    type HttpClient,
    type Pipeline,
    type PipelinePolicy,
    type PipelineResponse,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { GraphConfig } from './config';

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const USER_AGENT = 'teams-call-record/0.1';

/** What Graph answered to a hang-up, or why it did not. */
export type HangupOutcome =
    | { kind: 'answered'; status: number; graphRequestId?: string; clientRequestId: string; errorCode?: string; errorMessage?: string; retryAfterSeconds?: number }
    | { kind: 'unreachable'; clientRequestId: string; reason: string; lastStatus?: number; retryAfterSeconds?: number; tokenFailure: boolean };

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
        this.pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential, scopes: GRAPH_SCOPE }));
        // Closest to the wire, so it sees every attempt's answer, also the ones the retry policies swallow.
        this.pipeline.addPolicy(lastAnswerPolicy, { afterPhase: 'Retry' });
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
    async deleteCall(callId: string): Promise<HangupOutcome> {
        const request = createPipelineRequest({
            url: this.callUrl(callId),
            method: 'DELETE',
            abortSignal: AbortSignal.timeout(this.config.timeoutMs),
            // Stops one attempt that hangs, so the retries and the answer still fit in the deadline.
            timeout: this.config.timeoutMs,
        });
        const clientRequestId = request.requestId;
        try {
            const response = await this.pipeline.sendRequest(httpClient(), request);
            return answered(response, clientRequestId);
        } catch (err) {
            const last = lastAnswers.get(request);
            return {
                kind: 'unreachable',
                clientRequestId,
                reason: describeFailure(err, this.config.timeoutMs),
                tokenFailure: isTokenFailure(err),
                ...(last ? { lastStatus: last.status, ...retryAfterOf(last) } : {}),
            };
        } finally {
            lastAnswers.delete(request);
        }
    }
}

// One keep-alive HTTP client for the process: connections to Graph are reused across invocations.
let sharedHttpClient: HttpClient | undefined;
function httpClient(): HttpClient {
    sharedHttpClient ??= createDefaultHttpClient();
    return sharedHttpClient;
}

const lastAnswers = new WeakMap<object, PipelineResponse>();
const lastAnswerPolicy: PipelinePolicy = {
    name: 'graphLastAnswerPolicy',
    async sendRequest(request, next) {
        const response = await next(request);
        lastAnswers.set(request, response);
        return response;
    },
};

function answered(response: PipelineResponse, clientRequestId: string): HangupOutcome {
    const error = graphError(response.bodyAsText ?? undefined);
    const graphRequestId = response.headers.get('request-id') ?? error?.requestId;
    return {
        kind: 'answered',
        status: response.status,
        clientRequestId,
        ...(graphRequestId ? { graphRequestId } : {}),
        ...(error?.code ? { errorCode: error.code } : {}),
        ...(error?.message ? { errorMessage: error.message } : {}),
        ...retryAfterOf(response),
    };
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

function isTokenFailure(err: unknown): boolean {
    const name = err instanceof Error ? err.name : '';
    return name === 'AuthenticationError' || name === 'CredentialUnavailableError' || name === 'AggregateAuthenticationError';
}

function describeFailure(err: unknown, timeoutMs: number): string {
    if (err instanceof Error && (err.name === 'AbortError' || /abort/i.test(err.message))) {
        return `no answer within ${Math.round(timeoutMs / 1000)} s`;
    }
    if (isTokenFailure(err)) {
        return `no Graph token: ${(err as Error).message.split('\n')[0]}`;
    }
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return typeof code === 'string' ? `${code}: ${message}` : message ?? 'unknown network failure';
}
