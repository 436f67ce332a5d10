// The host's admin API for running a non-HTTP function on demand: `POST /admin/functions/{name}` with
// `{"input": "..."}`, answered 202 at once while the function runs in the background, as the Functions host's
// FunctionsController.Invoke does. A timer's handler gets the Timer object the host builds for such a run (its
// recorded schedule status, never past due); other triggers get the input string. Runs asked for this way do not
// wait for each other or for a scheduled run: the host calls the function directly, not through the timer's listener.

import { randomUUID } from 'node:crypto';
import { problemOf, type HttpAnswer } from '../../shared/problem';
import type { FunctionAppRegistry, RegisteredFunction } from './coreApi';
import type { RpcTypedData } from './coreTypes';
import { HOST_CALL_REASON } from './hostLog';
import { invokeFunction } from './invocation';
import { httpTriggerOf } from './routeTable';
import { traceContextOf } from './rpcRequest';
import { timerTriggerData } from './timerInfo';
import type { TimerListener } from './timerListener';

const ADMIN_FUNCTION_PATH = /^\/admin\/functions\/([^/]+)\/?$/i;

export interface AdminRequest {
    method: string;
    /** Still percent-encoded, without the query. */
    rawPath: string;
    contentType: string | undefined;
    body: Buffer;
}

export class AdminApi {
    readonly #registry: FunctionAppRegistry;
    /** By lower-cased function name. */
    readonly #timers: ReadonlyMap<string, TimerListener>;
    readonly #runInBackground: (run: Promise<unknown>) => void;

    /** @param runInBackground keeps track of a started run, so that shutdown can wait for it */
    constructor(registry: FunctionAppRegistry, timers: Iterable<TimerListener>, runInBackground: (run: Promise<unknown>) => void) {
        this.#registry = registry;
        this.#timers = new Map([...timers].map((listener) => [listener.timer.name.toLowerCase(), listener]));
        this.#runInBackground = runInBackground;
    }

    /** True when the path is the admin API's (whatever the method); the request is answered by `answer`. */
    handles(rawPath: string): boolean {
        return ADMIN_FUNCTION_PATH.test(rawPath);
    }

    answer(request: AdminRequest): HttpAnswer {
        const encodedName = ADMIN_FUNCTION_PATH.exec(request.rawPath)?.[1] ?? '';
        const name = safeDecode(encodedName);
        const path = `/admin/functions/${encodedName}`;
        if (request.method.toUpperCase() !== 'POST') {
            // As for functions' routes, the host has no answer for other methods here but 404 (see server.ts).
            return problemOf(404, 'Not found', `No function answers ${request.method} ${path}; POST runs a function.`);
        }
        const fn = name === undefined ? undefined : this.#find(name);
        if (fn === undefined) {
            return problemOf(404, 'Not found', `There is no function named "${name ?? encodedName}". The host runs: ${this.#names()}.`);
        }
        if (httpTriggerOf(fn) !== undefined) {
            return problemOf(
                400,
                'Bad request',
                `${fn.metadata.name} is an HTTP function: call it on its route. The admin API runs functions with other triggers (timers, queues, ...).`,
            );
        }
        const input = readInput(request);
        if (typeof input !== 'string') return input;
        const invocationId = randomUUID();
        this.#runInBackground(
            invokeFunction(this.#registry, fn, {
                invocationId,
                reason: HOST_CALL_REASON,
                triggerData: this.#triggerData(fn, input),
                traceContext: traceContextOf(),
            }),
        );
        return { status: 202, headers: {}, body: '' };
    }

    #find(name: string): RegisteredFunction | undefined {
        // The host looks functions up by name without regard to case.
        return [...this.#registry.functions.values()].find((fn) => fn.metadata.name.toLowerCase() === name.toLowerCase());
    }

    #names(): string {
        return [...this.#registry.functions.values()].map((fn) => fn.metadata.name).join(', ') || 'no functions';
    }

    #triggerData(fn: RegisteredFunction, input: string): RpcTypedData {
        const timer = this.#timers.get(fn.metadata.name.toLowerCase());
        // For a timer the input is not used: its binding builds the Timer object (TimerTriggerBinding.BindAsync).
        return timer !== undefined ? timerTriggerData(timer.manualRunStatus(), false) : { string: input };
    }
}

/** `{"input": "..."}` (input may be absent or null), or the problem that explains what is wrong. */
function readInput(request: AdminRequest): string | HttpAnswer {
    const usage = `Send {"input": "..."} as application/json, e.g. curl -X POST -H 'content-type: application/json' -d '{"input":""}' <host>/admin/functions/<name>.`;
    const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
        return problemOf(415, 'Unsupported media type', `The body must be JSON, with Content-Type: application/json (not ${mediaType ?? 'none'}). ${usage}`);
    }
    let body: unknown;
    try {
        body = JSON.parse(request.body.toString('utf8'));
    } catch {
        return problemOf(400, 'Bad request', `The body is not JSON. ${usage}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        return problemOf(400, 'Bad request', `The body must be a JSON object. ${usage}`);
    }
    const input = (body as Record<string, unknown>).input;
    if (input !== undefined && input !== null && typeof input !== 'string') {
        return problemOf(400, 'Bad request', `"input" must be a string (a queue message's text, for example), not ${JSON.stringify(input)}. ${usage}`);
    }
    return input ?? '';
}

function safeDecode(text: string): string | undefined {
    try {
        return decodeURIComponent(text);
    } catch {
        return undefined;
    }
}
