// Act two of `npm run demo`: a call whose end never reaches the app (the simulator drops the terminating and
// terminated notifications) stays "established" in the record while Graph has forgotten it. The reconciler, run
// now through the host's admin API, asks Graph, gets 404 and closes the call; its call-ended event is then read
// back from the queue, decoded as a queue-triggered function gets it.

import type { QueueClient } from '@azure/storage-queue';
import { findCallEvent } from '../../cli/readCallEvents';
import type { CallSummaryJson } from '../../shared/query/callJson';
import { DemoError, type JsonResponse } from './client';
import { callReport } from './report';
import { isEnded, waitFor, type DemoSession } from './session';

const RECONCILER = 'reconcileCalls';

/** Plays act two, numbering its steps from 6; the call's id. */
export async function showStuckCall(session: DemoSession, queue: QueueClient | undefined, say: (line?: string) => void): Promise<string> {
    const { timeoutMs } = session.targets;
    const callId = await session.placeCall(`${session.targets.api}/callback`);
    await session.dropLastNotifications(callId, 2);
    say(`6. Placed a second call, ${callId}, and told the simulator to drop the two notifications that end it:`);
    say(`   PUT ${session.dropsUrl(callId)} {"last":2} -> 204.`);
    await session.waitForCall(callId, 'established', (summary) => summary.callState === 'established' || isEnded(summary));
    say('7. The app recorded the call as established.');

    await session.hangUp(callId);
    await session.waitForDropped(callId, 2);
    say(`8. Hung up through the app: DELETE ${session.callUrl(callId)} -> 204.`);
    say('   Graph ended the call, but its terminating and terminated notifications were dropped, never sent:');
    say('   nothing tells the app that the call is over.');

    const gone = await waitFor(async () => {
        const answer = await session.readGraphCall(callId);
        return answer.status === 404 ? answer : undefined;
    }, timeoutMs);
    if (gone === undefined) throw new DemoError(`The simulator's Graph still knows call ${callId} after its hang-up: GET ${session.graphCallUrl(callId)} does not answer 404.`);
    const stuck = await session.summary(callId);
    say('9. The record and Graph now disagree:');
    say(`     the app  GET ${session.callUrl(callId)} -> 200, callState ${stuck.callState ?? '-'}`);
    say(`     Graph    GET ${session.graphCallUrl(callId)} -> 404${graphError(gone)}`);

    const asked = Date.now();
    if (stuck.closedBy === 'reconciler') {
        // Its timer may fire between two steps of the demo (every 5 minutes by default, checking every active call here).
        say("10. The reconciler's own timer ran meanwhile and closed the call already.");
    } else {
        if (stuck.callState !== 'established') throw new DemoError(`The call should be stuck "established" in the record, but it is ${stuck.callState ?? 'without a state'}.`);
        await session.runFunction(RECONCILER);
        say(`10. Ran the reconciler now, through the host's admin API: POST ${session.adminUrl}/functions/${RECONCILER} {"input":""} -> 202.`);
        say('    It asks Graph about the active calls quiet for RECONCILE_AFTER_MINUTES (npm start sets 0 for its run, so');
        say('    this young call counts); its timer runs it on RECONCILE_SCHEDULE, every 5 minutes by default.');
    }
    const closed = await waitForClosed(session, callId);
    say(`11. Graph answered the reconciler 404, so the app closed the call: ${closed.callState ?? '-'}, closed by ${closed.closedBy ?? '-'}, with a`);
    say(`    reconciliation event in its history (${((Date.now() - asked) / 1000).toFixed(1)} s after the run was asked for).`);
    say();
    process.stdout.write(callReport(session.callUrl(callId), closed, await session.history(callId)));
    say();

    if (queue === undefined) {
        say('Call-ended events are off (CALL_EVENTS_QUEUE is empty), so there is no message to read back.');
        return callId;
    }
    const id = `${callId}/ended`;
    const found = await waitFor(() => findCallEvent(queue, id), timeoutMs);
    if (found?.event === undefined) {
        throw new DemoError(
            `The call-ended event ${id} is not on queue ${queue.name} within ${timeoutMs / 1000} s, although the call was closed; see the [functions] lines of the npm start terminal.`,
        );
    }
    say(`Call-ended event: read back from queue ${queue.name} (message ${found.messageId}, left there), base64-decoded as a`);
    say('queue-triggered function gets it:');
    say(JSON.stringify(found.event, null, 2));
    return callId;
}

/** Waits for the reconciler to close the call; on timeout, says why it may not have. */
async function waitForClosed(session: DemoSession, callId: string): Promise<CallSummaryJson> {
    let last: CallSummaryJson | undefined;
    const closed = await waitFor(async () => {
        last = await session.summary(callId);
        return last.closedBy === 'reconciler' ? last : undefined;
    }, session.targets.timeoutMs);
    if (closed !== undefined) return closed;
    const why =
        last?.reconciledAt !== undefined
            ? `The reconciler checked it at ${last.reconciledAt}, and Graph answered ${last.reconcileStatus ?? 'nothing'}, not 404.`
            : 'The reconciler did not check it: it asks Graph only about active calls quiet for RECONCILE_AFTER_MINUTES minutes. `npm start` sets 0 for its run unless the environment sets another value (its Ready block says so).';
    throw new DemoError(
        `The reconciler did not close call ${callId} within ${session.targets.timeoutMs / 1000} s: it is still ${last?.callState ?? 'unknown'}. ${why} Its run is logged in the npm start terminal ([functions] ... Reconciled: ...).`,
    );
}

/** ` (error 9997: Call not found.)` from Graph's error body. */
function graphError(answer: JsonResponse): string {
    const error = (answer.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.code !== 'string') return '';
    return `, error ${error.code}${typeof error.message === 'string' ? `: ${error.message}` : ''}`;
}
