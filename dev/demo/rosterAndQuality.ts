// Act four of `npm run demo`: who was in a call, and how well. The simulator's Graph adds three people to a call
// and later lets one leave (a delta roster); the app's roster (GET /api/calls/{id}/participants) follows. After the
// hang-up, with CALL_RECORDS=on, the call's end has put the first call-record fetch on its queue, due
// CALL_RECORD_DELAY_MINUTES later. The demo does not wait a quarter of an hour: it moves the simulator's clock on
// (Graph's record appears 15 simulated minutes after a call) and runs the fetch now through the host's admin API,
// with the message the queue would deliver. The summary then has Graph's call record and its quality verdict.

import { formatParticipantQuality, formatParticipants, formatSummary } from '../../cli/timeline';
import { participantListFromJson } from '../../shared/participants/participantQueries';
import { callSummaryFromJson, type CallSummaryJson } from '../../shared/query/callJson';
import { fetchMessageJson } from '../../shared/callRecords/fetchSchedule';
import type { CallRecordsConfig } from '../../shared/settings/config';
import { DemoError } from './client';
import { isEnded, type DemoSession } from './session';

const FETCHER = 'fetchCallRecords';
/** When the simulator's Graph has a call's record, in simulated minutes after the call (its default). */
const GRAPH_RECORD_DELAY_MINUTES = 15;

const PEOPLE = [
    { id: 'ada', kind: 'user', name: 'Ada Lovelace' },
    { id: 'grace', kind: 'guest', name: 'Grace Hopper' },
    // Her audio loses 12% of its packets: poor, by the Call Quality Dashboard's 10%.
    { id: 'caller', kind: 'phone', identityId: '+14255550123', quality: { packetLossRate: 0.12 } },
];

/** Plays act four, numbering its steps from 18; the call's id. */
export async function showRosterAndQuality(session: DemoSession, callRecords: { config?: CallRecordsConfig; settingsFile: string }, say: (line?: string) => void): Promise<string> {
    const callId = await session.placeCall(`${session.targets.api}/callback`);
    await session.waitForCall(callId, 'established', (summary) => summary.callState === 'established' || isEnded(summary));
    await session.changeRoster(callId, { join: PEOPLE });
    const joined = await session.waitForCall(callId, 'with four participants', (summary) => summary.participantCount === PEOPLE.length + 1);
    say(`18. Placed a fourth call, ${callId}; the simulator's Graph added three people to it (POST ${session.rosterUrl(callId)}).`);
    say(`    Graph sent the whole roster; the app recorded ${joined.participantCount ?? 0} participants, the bot among them.`);

    await session.changeRoster(callId, { leave: ['ada'], as: 'delta' });
    const left = await session.waitForCall(callId, 'with three participants', (summary) => summary.participantCount === PEOPLE.length);
    say(`19. Ada left; Graph sent only what changed (a deltaParticipants roster). Now ${left.participantCount ?? 0} in the call, ${left.maxParticipants ?? 0} at most:`);
    say(`    GET ${session.callUrl(callId)}/participants`);
    say(formatParticipants(participantListFromJson(await session.participants(callId), callSummaryFromJson(left))).trimEnd());

    await session.hangUp(callId);
    const ended = await session.waitForCall(callId, 'terminated', (summary) => summary.callState === 'terminated');
    say(`20. Hung up through the app: DELETE ${session.callUrl(callId)} -> 204.`);
    const config = callRecords.config;
    if (config === undefined) {
        say(`    Graph's call record after the call is off (CALL_RECORDS is not "on" in ${callRecords.settingsFile}):`);
        say("    set CALL_RECORDS=on there and restart npm start to see the call's quality here.");
        return callId;
    }
    say(`    The call's end put the first fetch of Graph's call record on queue ${config.queue.queueName}, visible in`);
    say(`    ${config.delayMinutes} minutes (CALL_RECORD_DELAY_MINUTES); the summary says callRecordStatus ${ended.callRecordStatus ?? '-'}.`);

    await session.advanceClock(GRAPH_RECORD_DELAY_MINUTES);
    const endedAt = ended.lastEventAt === undefined ? new Date() : new Date(ended.lastEventAt);
    await session.runFunction(FETCHER, fetchMessageJson({ callId, attempt: 1, endedAt }));
    say(`21. Moved the simulator's clock on ${GRAPH_RECORD_DELAY_MINUTES} minutes, so its Graph has the call's record, and ran the fetch now instead`);
    say(`    of in a quarter of an hour: POST ${session.adminUrl}/functions/${FETCHER} with the queue's message.`);
    const fetched = await waitForRecord(session, callId);
    say(`22. The app fetched Graph's call record with its sessions and participants, kept the whole JSON in Blob Storage`);
    say(`    (${fetched.callRecordBlob ?? '-'}), and judged each stream against the Call Quality Dashboard's thresholds:`);
    say();
    const summary = callSummaryFromJson(fetched);
    say(`Summary: GET ${session.callUrl(callId)}`);
    say(`${formatSummary(summary)}${formatParticipantQuality(summary)}`.trimEnd());
    return callId;
}

/** Waits for the fetch to settle the call record; a refusal or a miss is the demo's failure, with what the app said. */
async function waitForRecord(session: DemoSession, callId: string): Promise<CallSummaryJson> {
    const settled = await session.waitForCall(callId, "with Graph's call record", (summary) => summary.callRecordStatus !== 'pending' || (summary.callRecordAttempts ?? 0) > 0);
    if (settled.callRecordStatus !== 'fetched') {
        throw new DemoError(
            `The app did not get Graph's call record: callRecordStatus ${settled.callRecordStatus ?? '-'}: ${settled.callRecordError ?? 'no reason recorded'} See the [functions] lines of the npm start terminal.`,
        );
    }
    return settled;
}
