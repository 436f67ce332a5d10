// The console's only way to the app: who is signed in, the read API, the hang-up and the relay's replay, with the
// function key sent as `x-functions-key` (API_AUTH=functionKey) or the sign-in session's cookie (API_AUTH=entra).
// Every answer that is not a success becomes an ApiError that knows its words.

import type { SignedInJson } from '../../shared/access/authorize';
import type { CallListPageView, CallSummaryView, HistoryPageView, ParticipantListView } from './apiTypes';
import type { ApiFailure } from './problemText';

export class ApiError extends Error {
    readonly failure: ApiFailure;

    constructor(failure: ApiFailure) {
        super(`${failure.status} ${failure.title ?? ''} ${failure.detail ?? failure.networkError ?? ''}`.trim());
        this.name = 'ApiError';
        this.failure = failure;
    }
}

export interface CallFilter {
    state?: string;
    active?: boolean;
    since?: string;
    until?: string;
    top?: number;
}

export class ConsoleApi {
    readonly #base: string;
    readonly #functionKey: string | undefined;
    /** How the app checks callers, once `me` has said so: it decides how a 401 is put in words. */
    #apiAuth: SignedInJson['apiAuth'] | undefined;

    constructor(base: string, functionKey: string | undefined) {
        this.#base = base;
        this.#functionKey = functionKey;
    }

    /** Who the app takes this page's user for, and the app roles they hold. */
    async me(): Promise<SignedInJson> {
        const me = await this.#json<SignedInJson>('/me', {});
        this.#apiAuth = me.apiAuth;
        return me;
    }

    listCalls(filter: CallFilter, continuationToken?: string): Promise<CallListPageView> {
        return this.#json('/calls', {
            state: filter.state,
            active: filter.active === undefined ? undefined : String(filter.active),
            since: filter.since,
            until: filter.until,
            top: filter.top === undefined ? undefined : String(filter.top),
            continuationToken,
        });
    }

    getCall(callId: string): Promise<CallSummaryView> {
        return this.#json(`/calls/${encodeURIComponent(callId)}`, {});
    }

    history(callId: string, top: number, continuationToken?: string): Promise<HistoryPageView> {
        return this.#json(`/calls/${encodeURIComponent(callId)}/history`, { top: String(top), continuationToken });
    }

    participants(callId: string): Promise<ParticipantListView> {
        return this.#json(`/calls/${encodeURIComponent(callId)}/participants`, {});
    }

    /**
     * Resolves with Graph's outcome, success or not (both are shown in words); rejects only when nothing came back.
     * The reason goes in a JSON body, whose content type (and the X-Requested-With header) no other site's form can send.
     */
    async hangUp(callId: string, reason: string | undefined): Promise<ApiFailure> {
        const response = await this.#fetch('DELETE', `/calls/${encodeURIComponent(callId)}`, {}, reason === undefined ? undefined : { reason });
        return response.ok ? { status: response.status } : this.#failureOf(response);
    }

    /** Asks the app to deliver the call's notifications to the bot again; resolves with the answer, success or not. */
    async replay(callId: string, fromSequence: number, reason?: string): Promise<{ failure: ApiFailure; pending?: number; from?: number }> {
        const response = await this.#fetch('POST', `/calls/${encodeURIComponent(callId)}/relay`, {}, { fromSequence, ...(reason === undefined ? {} : { reason }) });
        if (!response.ok) return { failure: await this.#failureOf(response) };
        const answer = (await response.json().catch(() => ({}))) as { relayPending?: unknown; fromSequence?: unknown };
        return {
            failure: { status: response.status },
            ...(typeof answer.relayPending === 'number' ? { pending: answer.relayPending } : {}),
            ...(typeof answer.fromSequence === 'number' ? { from: answer.fromSequence } : {}),
        };
    }

    async #json<T>(path: string, query: Record<string, string | undefined>): Promise<T> {
        const response = await this.#fetch('GET', path, query);
        if (!response.ok) throw new ApiError(await this.#failureOf(response));
        try {
            return (await response.json()) as T;
        } catch {
            throw new ApiError({ status: response.status, detail: 'The answer was not JSON; is something in front of the app rewriting it?' });
        }
    }

    async #failureOf(response: Response): Promise<ApiFailure> {
        const failure = await failureOf(response);
        return this.#apiAuth === undefined ? failure : { ...failure, apiAuth: this.#apiAuth };
    }

    async #fetch(method: string, path: string, query: Record<string, string | undefined>, body?: object): Promise<Response> {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, value);
        const search = params.size > 0 ? `?${params}` : '';
        const headers: Record<string, string> = {
            accept: 'application/json',
            ...(this.#functionKey === undefined ? {} : { 'x-functions-key': this.#functionKey }),
            ...(method === 'GET' ? {} : { 'x-requested-with': 'XMLHttpRequest' }),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        };
        try {
            return await fetch(`${this.#base}${path}${search}`, {
                method,
                headers,
                ...(body === undefined ? {} : { body: JSON.stringify(body) }),
                cache: 'no-store',
                credentials: 'same-origin',
            });
        } catch (err) {
            throw new ApiError({ status: 0, networkError: err instanceof Error ? err.message : String(err) });
        }
    }
}

/** The problem+json body when there is one; Azure's own 401 for a bad key, for example, has no body. */
async function failureOf(response: Response): Promise<ApiFailure> {
    const retryAfter = Number(response.headers.get('retry-after'));
    const failure: ApiFailure = {
        status: response.status,
        ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterSeconds: retryAfter } : {}),
    };
    const type = response.headers.get('content-type') ?? '';
    if (!/json/i.test(type)) return failure;
    try {
        const body = (await response.json()) as { title?: unknown; detail?: unknown };
        return {
            ...failure,
            ...(typeof body.title === 'string' ? { title: body.title } : {}),
            ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
        };
    } catch {
        return failure;
    }
}
