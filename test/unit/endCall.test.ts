// The hang-up use case without I/O: every outcome of the Graph client becomes the right error (or none) and
// the right hangupRequest event. The integration test drives the same paths through the real pipeline.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptySummary, type CallSummary, type NewCallEvent } from '../../shared/record/callModel';
import { endCall, type EndCallDependencies } from '../../shared/graph/endCall';
import { BadRequestError, CallRecordError } from '../../shared/errors';
import type { GraphCallOutcome, HangupOutcome } from '../../shared/graph/graphCalls';
import { requestAudit, type RequestAudit } from '../../shared/access/requester';

const CALL = 'c0ffee00-1111-4222-8333-444455556666';
const CLIENT_REQUEST_ID = '7a3e2b10-0000-4000-8000-000000000001';
const GRAPH_REQUEST_ID = '9b4f3c21-0000-4000-8000-000000000002';
const NOW = new Date('2026-05-04T10:00:00.000Z');

interface Run {
    error: unknown;
    events: NewCallEvent[];
    graphCalls: string[];
    logged: unknown[][];
}

interface RunOptions {
    callId?: string;
    storeFails?: boolean;
    audit?: RequestAudit;
    /** Call records on: the chain id is read from Graph before the hang-up when the record has none. */
    readChainId?: boolean;
    /** The call's summary as the store has it (none: nothing recorded). */
    summary?: CallSummary;
    /** What Graph answers the GET of the call. */
    getOutcome?: GraphCallOutcome;
}

/** Runs endCall against a Graph client that gives `outcome` and a store that keeps (or refuses) the events. */
async function run(outcome: HangupOutcome, options: RunOptions = {}): Promise<Run> {
    const result: Run = { error: undefined, events: [], graphCalls: [], logged: [] };
    const deps: EndCallDependencies = {
        graph: {
            deleteCall: async (callId) => {
                result.graphCalls.push(callId);
                return outcome;
            },
            getCall: async (callId) => {
                result.graphCalls.push(`GET ${callId}`);
                return options.getOutcome ?? answered(404);
            },
        },
        store: {
            appendCallEvents: async (callId, events) => {
                if (options.storeFails) throw new Error('storage is down');
                result.events.push(...events);
                return { stored: events.map((event, i) => ({ ...event, callId, sequence: i + 1 })), duplicates: 0, outcomes: [] };
            },
            getCallSummary: async () => {
                if (options.storeFails) throw new Error('storage is down');
                return options.summary;
            },
        },
        log: { warn: (...args) => result.logged.push(args), error: (...args) => result.logged.push(args) },
        now: () => NOW,
        ...(options.readChainId === undefined ? {} : { readChainId: options.readChainId }),
    };
    try {
        await endCall(options.callId ?? CALL, deps, options.audit ?? requestAudit({ kind: 'functionKey' }));
    } catch (err) {
        result.error = err;
    }
    return result;
}

function answered(status: number, more: Partial<Extract<HangupOutcome, { kind: 'answered' }>['answer']> = {}, attempts = 1, earlierAttemptUnanswered = false): HangupOutcome {
    return { kind: 'answered', clientRequestId: CLIENT_REQUEST_ID, attempts, earlierAttemptUnanswered, answer: { status, graphRequestId: GRAPH_REQUEST_ID, ...more } };
}

function failure(result: Run, status: number): CallRecordError {
    assert.ok(result.error instanceof CallRecordError, `expected a ${status}, got ${String(result.error)}`);
    assert.equal(result.error.status, status);
    assert.ok(result.error.detail.includes(CLIENT_REQUEST_ID), result.error.detail);
    return result.error;
}

describe('endCall outcome mapping', () => {
    test('Graph 204: no error, and the event carries status, ids and time', async () => {
        // act
        const result = await run(answered(204));

        // assess
        assert.equal(result.error, undefined);
        assert.deepEqual(result.events, [
            {
                requestedByKind: 'functionKey',
                kind: 'hangupRequest',
                receivedAt: NOW,
                resourceUrl: `/communications/calls/${CALL}`,
                clientRequestId: CLIENT_REQUEST_ID,
                resultMessage: 'Graph answered 204.',
                httpStatus: 204,
                graphRequestId: GRAPH_REQUEST_ID,
            },
        ]);
    });

    test('who asked and why go on the event, whatever Graph answered', async () => {
        // prepare
        const audit = requestAudit({ kind: 'user', id: 'b1f9a7c2-0000-4000-8000-0000000000aa', name: 'Ada Lovelace' }, 'caller asked to be dropped');

        // act
        const results = [
            await run(answered(204), { audit }),
            await run(answered(404), { audit }),
            await run({ kind: 'unreachable', clientRequestId: CLIENT_REQUEST_ID, attempts: 0, reason: 'no token', tokenFailure: true }, { audit }),
        ];

        // assess
        for (const result of results) {
            assert.equal(result.events.length, 1);
            const { requestedByKind, requestedById, requestedByName, requestReason } = result.events[0] ?? {};
            assert.deepEqual(
                { requestedByKind, requestedById, requestedByName, requestReason },
                { requestedByKind: 'user', requestedById: 'b1f9a7c2-0000-4000-8000-0000000000aa', requestedByName: 'Ada Lovelace', requestReason: 'caller asked to be dropped' },
            );
        }
    });

    test('Graph 404: 404 naming the code and request-id; after an unanswered attempt it says the call may have ended then', async () => {
        // act
        const plain = await run(answered(404, { errorCode: '9997', errorMessage: 'Call not found.' }));
        const afterRetry = await run(answered(404, { errorCode: '9997' }, 2, true));

        // assess
        const error = failure(plain, 404);
        assert.match(error.detail, /Graph answered 404 9997 "Call not found"/);
        assert.ok(error.detail.includes(GRAPH_REQUEST_ID));
        assert.doesNotMatch(error.detail, /earlier attempt/);
        assert.match(failure(afterRetry, 404).detail, /the last of 2 attempts.*An earlier attempt got no answer and may have ended it/);
        assert.equal(plain.events[0]?.httpStatus, 404);
    });

    test('Graph 401 and 403: 502 saying the token or permissions were refused', async () => {
        for (const status of [401, 403]) {
            // act
            const result = await run(answered(status, { errorCode: 'InvalidAuthenticationToken' }));

            // assess
            const error = failure(result, 502);
            assert.match(error.detail, /token or its permissions were refused/);
            assert.match(error.detail, /InvalidAuthenticationToken/);
            assert.ok(error.detail.includes(GRAPH_REQUEST_ID));
        }
    });

    test("Graph 429 or 5xx after retries: 503 with Graph's Retry-After, or 5 s when it gave none", async () => {
        // act
        const throttled = await run(answered(429, { retryAfterSeconds: 42 }, 6));
        const broken = await run(answered(500, {}, 6));
        const notImplemented = await run(answered(501));

        // assess
        assert.equal(failure(throttled, 503).headers['Retry-After'], '42');
        assert.match(failure(throttled, 503).detail, /429 \(the last of 6 attempts\)/);
        assert.equal(failure(broken, 503).headers['Retry-After'], '5');
        assert.equal(failure(notImplemented, 503).headers['Retry-After'], '5');
    });

    test('other Graph refusals (400): 502 that quotes Graph', async () => {
        // act
        const result = await run(answered(400, { errorCode: 'BadRequest', errorMessage: 'The request is invalid.' }));

        // assess
        assert.match(failure(result, 502).detail, /Graph answered 400 BadRequest "The request is invalid"/);
    });

    test("the time bound cut retries after Graph answered 503: 503, and the event keeps Graph's last status and request-id", async () => {
        // act
        const result = await run({
            kind: 'unreachable',
            clientRequestId: CLIENT_REQUEST_ID,
            attempts: 4,
            reason: 'no answer within 30 s',
            tokenFailure: false,
            lastAnswer: { status: 503, graphRequestId: GRAPH_REQUEST_ID, retryAfterSeconds: 7 },
        });

        // assess
        const error = failure(result, 503);
        assert.equal(error.headers['Retry-After'], '7');
        assert.match(error.detail, /the time bound stopped the retries/);
        assert.equal(result.events[0]?.httpStatus, 503);
        assert.equal(result.events[0]?.graphRequestId, GRAPH_REQUEST_ID);
    });

    test('no answer at all: 502, and the event has no status, only our client-request-id and the reason', async () => {
        // act
        const result = await run({ kind: 'unreachable', clientRequestId: CLIENT_REQUEST_ID, attempts: 1, reason: 'no answer within 30 s', tokenFailure: false });

        // assess
        const error = failure(result, 502);
        assert.equal(error.title, 'Graph unreachable');
        assert.match(error.detail, /no answer within 30 s.*may or may not have ended/);
        const [event] = result.events;
        assert.equal(event?.httpStatus, undefined);
        assert.equal(event?.graphRequestId, undefined);
        assert.equal(event?.clientRequestId, CLIENT_REQUEST_ID);
        assert.equal(event?.resultMessage, 'Graph could not be reached: no answer within 30 s.');
    });

    test('no token: 502 saying the app could not get a Graph token, and which settings to check', async () => {
        // act
        const result = await run({
            kind: 'unreachable',
            clientRequestId: CLIENT_REQUEST_ID,
            attempts: 0,
            reason: 'AADSTS7000215: Invalid client secret provided.',
            tokenFailure: true,
        });

        // assess
        const error = failure(result, 502);
        assert.equal(error.title, 'No Graph token');
        assert.match(error.detail, /could not get a Graph token, so Graph was not called: AADSTS7000215/);
        assert.match(error.detail, /AZURE_TENANT_ID, AZURE_CLIENT_ID/);
    });

    test('recording fails: the Graph outcome still decides the answer, and an error is logged', async () => {
        // act
        const succeeded = await run(answered(204), { storeFails: true });
        const notFound = await run(answered(404), { storeFails: true });

        // assess
        assert.equal(succeeded.error, undefined);
        failure(notFound, 404);
        for (const result of [succeeded, notFound]) {
            assert.equal(result.logged.length, 1);
            assert.match(String(result.logged[0]?.[0]), new RegExp(`HANG-UP NOT RECORDED: call ${CALL}.* by function key .*${CLIENT_REQUEST_ID}`));
            assert.match(String(result.logged[0]?.[1]), /storage is down/);
        }
    });

    test("call records on: a call without a callChainId is read from Graph before the hang-up, and the event carries Graph's chain id", async () => {
        // prepare
        const chainId = 'f6ae1338-4b2a-4aaf-80f9-80d9f2833afb';
        const live = { ...emptySummary(CALL), callState: 'established', eventCount: 2 };

        // act
        const unknown = await run(answered(204), { readChainId: true, summary: live, getOutcome: answered(200, { callState: 'established', callChainId: chainId }) });
        const neverSeen = await run(answered(204), { readChainId: true, getOutcome: answered(200, { callChainId: chainId }) });

        // assess: GET first, then DELETE
        for (const result of [unknown, neverSeen]) {
            assert.equal(result.error, undefined);
            assert.deepEqual(result.graphCalls, [`GET ${CALL}`, CALL]);
            assert.equal(result.events[0]?.callChainId, chainId);
        }
    });

    test('no GET before the hang-up when the record has the chain id, the call has ended, or call records are off; a failed GET does not stop the hang-up', async () => {
        // prepare
        const live = { ...emptySummary(CALL), callState: 'established', eventCount: 2 };
        const withChain = { ...live, callChainId: 'f6ae1338-4b2a-4aaf-80f9-80d9f2833afb' };
        const ended = { ...live, callState: 'terminated' };

        // act
        const known = await run(answered(204), { readChainId: true, summary: withChain });
        const over = await run(answered(404), { readChainId: true, summary: ended });
        const off = await run(answered(204), { summary: live });
        const refused = await run(answered(204), { readChainId: true, summary: live, getOutcome: answered(403) });
        const storeDown = await run(answered(204), { readChainId: true, storeFails: true });

        // assess
        assert.deepEqual(known.graphCalls, [CALL]);
        assert.deepEqual(over.graphCalls, [CALL]);
        assert.deepEqual(off.graphCalls, [CALL]);
        assert.deepEqual(refused.graphCalls, [`GET ${CALL}`, CALL]);
        assert.equal(refused.error, undefined);
        assert.equal(refused.events[0]?.callChainId, undefined);
        assert.deepEqual(storeDown.graphCalls, [CALL]);
        assert.equal(storeDown.error, undefined);
    });

    test('a bad id is refused before Graph or the store is asked', async () => {
        // act
        const result = await run(answered(204), { callId: '../users' });

        // assess
        assert.ok(result.error instanceof BadRequestError);
        assert.deepEqual(result.graphCalls, []);
        assert.deepEqual(result.events, []);
    });
});
