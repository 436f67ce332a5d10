// Graph's call record in the summary: ISO 8601 durations, the Call Quality Dashboard's stream classification, the facts
// and verdicts of a whole record (Microsoft's documented example among the inputs), the fetch schedule, and the state
// rule that a lower version never replaces a higher one.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callRecordFacts, type ParticipantQuality } from '../../shared/callRecords/callRecordFacts';
import { attemptAt, nextAttempt, parseFetchMessage } from '../../shared/callRecords/fetchSchedule';
import { classifyStream, durationMs, mediaKindOf } from '../../shared/callRecords/streamQuality';
import { planAppend, DEFAULT_MARKER_ROW_CAPACITY } from '../../shared/record/appendPlan';
import { SUMMARY_FIELDS, type CallRecordFacts } from '../../shared/record/callFields';
import { emptySummary, type CallSummary, type NewCallEvent } from '../../shared/record/callModel';
import { encodeColumns } from '../../shared/record/tableEntities';
import { CALL_RECORD_PARTICIPANTS, CALL_RECORD_WITH_SESSIONS } from '../fixtures/graphDocs';

const ENDED = new Date('2026-12-01T10:00:00Z');

describe('ISO 8601 durations as Graph writes them', () => {
    test('seconds with fractions, minutes, hours, days, weeks; null and nonsense are no duration', () => {
        assert.equal(durationMs('PT0.016S'), 16);
        assert.equal(durationMs('PT1M2.5S'), 62_500);
        assert.equal(durationMs('P1DT2H'), 93_600_000);
        assert.equal(durationMs('P1W'), 604_800_000);
        assert.equal(durationMs('-PT1S'), -1000);
        for (const value of [null, undefined, '', 'P', 'PT', '16ms', 16]) assert.equal(durationMs(value), undefined, String(value));
    });
});

describe("the Call Quality Dashboard's stream classification", () => {
    test('audio is poor past any one of its five thresholds, and says why, the worst first', () => {
        assert.equal(
            classifyStream({ media: 'audio', from: 'Ada', packetLossRate: 0.1, jitterMs: 30, roundTripMs: 500, audioDegradation: 1.0, concealedRatio: 0.07 }).quality,
            'good',
        );
        const poor = classifyStream({ media: 'audio', from: '+14*******23', packetLossRate: 0.12, jitterMs: 90 });
        assert.equal(poor.quality, 'poor');
        assert.deepEqual(poor.reasons, ['audio from +14*******23 had 90 ms jitter (poor above 30 ms)', 'audio from +14*******23 lost 12% of packets (poor above 10%)']);
        assert.equal(classifyStream({ media: 'audio', from: 'x', roundTripMs: 501 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'audio', from: 'x', audioDegradation: 1.01 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'audio', from: 'x', concealedRatio: 0.08 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'audio', from: 'x' }).quality, 'unclassified', 'no metric reported');
    });

    test('video takes the first metric reported: frame loss, then frame rate, then packet loss after FEC; screen sharing needs 2 fps', () => {
        assert.equal(classifyStream({ media: 'video', from: 'x', frameLossPercent: 51, frameRate: 30 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'video', from: 'x', frameLossPercent: 10, frameRate: 1 }).quality, 'good', 'frame loss decides first');
        assert.equal(classifyStream({ media: 'video', from: 'x', frameRate: 6 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'screenSharing', from: 'x', frameRate: 6 }).quality, 'good');
        assert.equal(classifyStream({ media: 'video', from: 'x', postFecPacketLossRate: 0.2 }).quality, 'poor');
        assert.equal(classifyStream({ media: 'video', from: 'x' }).quality, 'unclassified');
        assert.equal(classifyStream({ media: 'other', from: 'x', packetLossRate: 0.5 }).quality, 'unclassified');
        assert.deepEqual(['main-audio', 'main-video', 'applicationsharing-video', 'data'].map(mediaKindOf), ['audio', 'video', 'screenSharing', 'other']);
    });
});

describe("a call record's facts", () => {
    test("Microsoft's documented record: its id, version, times and duration, organizer, counts; one stream with jitter only", () => {
        // act
        const facts = callRecordFacts({ record: CALL_RECORD_WITH_SESSIONS, sessions: CALL_RECORD_WITH_SESSIONS.sessions, participants: CALL_RECORD_PARTICIPANTS }, 'full');

        // assess
        assert.equal(facts.callRecordStatus, 'fetched');
        assert.equal(facts.callRecordId, 'e523d2ed-2966-4b6b-925b-754a88034cc5');
        assert.equal(facts.callRecordVersion, 1);
        assert.equal(facts.callType, 'peerToPeer');
        assert.deepEqual(facts.modalities, ['audio']);
        assert.deepEqual(facts.graphStartedAt, new Date('2020-02-25T18:52:21.2169889Z'));
        assert.equal(facts.durationSeconds, 25.55);
        assert.equal(facts.organizerId, '821809f5-0000-0000-0000-3b5136c0e777');
        assert.equal(facts.organizerName, 'Abbie Wilkins');
        assert.equal(facts.sessionCount, 1);
        assert.equal(facts.callRecordParticipantCount, 2);
        assert.equal(facts.streamCount, 1);
        assert.equal(facts.worstJitterMs, 16);
        assert.equal(facts.worstAudioDegradation, undefined, 'null is no figure');
        assert.equal(facts.quality, 'good', '16 ms jitter is inside the threshold');
        const byParticipant = JSON.parse(facts.participantQuality ?? '[]') as ParticipantQuality[];
        assert.deepEqual(
            byParticipant.map((p) => [p.name, p.quality, p.streams]),
            [
                ['Abbie Wilkins', 'good', 1],
                ['Owen Franklin', 'unknown', 0],
            ],
        );
    });

    test('a poor stream makes the call and its sender poor, with the reason; PARTICIPANT_DETAILS=ids names nobody', () => {
        // prepare: the documented record, with Abbie's stream losing 12% of its packets
        const record = structuredClone(CALL_RECORD_WITH_SESSIONS);
        const stream = record.sessions[0]!.segments[0]!.media[0]!.streams[0]! as Record<string, unknown>;
        stream.averagePacketLossRate = 0.12;
        stream.averageRoundTripTime = 'PT0.2S';

        // act
        const full = callRecordFacts({ record, sessions: record.sessions, participants: CALL_RECORD_PARTICIPANTS }, 'full');
        const ids = callRecordFacts({ record, sessions: record.sessions, participants: CALL_RECORD_PARTICIPANTS }, 'ids');

        // assess
        assert.equal(full.quality, 'poor');
        assert.equal(full.qualityReason, 'audio from Abbie Wilkins lost 12% of packets (poor above 10%)');
        assert.equal(full.worstPacketLossRate, 0.12);
        assert.equal(full.worstRoundTripMs, 200);
        assert.equal(full.poorStreamCount, 1);
        assert.equal((JSON.parse(full.participantQuality ?? '[]') as ParticipantQuality[])[0]?.quality, 'poor');
        assert.equal(ids.qualityReason, 'audio from 821809f5-0000-0000-0000-3b5136c0e777 lost 12% of packets (poor above 10%)');
        assert.equal(ids.organizerName, undefined);
        assert.ok(!JSON.stringify(ids).includes('Abbie'));
    });

    test('a record whose streams report nothing the dashboard classifies by is unknown, and says so', () => {
        const facts = callRecordFacts({ record: { id: 'r', version: 2, type: 'groupCall' }, sessions: [], participants: [] }, 'full');
        assert.equal(facts.quality, 'unknown');
        assert.match(String(facts.qualityReason), /no stream reported/);
    });
});

describe('the fetch schedule', () => {
    const schedule = { delayMinutes: 15, giveUpHours: 6 };
    const minutesAfter = (date: Date) => (date.getTime() - ENDED.getTime()) / 60_000;

    test('15, then 30, 60, 120 minutes apart, the last one at the give-up time; then none', () => {
        assert.deepEqual(
            [1, 2, 3, 4, 5, 6].map((attempt) => minutesAfter(attemptAt(schedule, ENDED, attempt))),
            [15, 45, 105, 225, 360, 360],
        );
        const tries: number[] = [];
        for (let message = { callId: 'c1', attempt: 1, endedAt: ENDED }; ; ) {
            tries.push(minutesAfter(attemptAt(schedule, ENDED, message.attempt)));
            const next = nextAttempt(schedule, message);
            if (next === undefined) break;
            message = { ...message, attempt: next.attempt };
        }
        assert.deepEqual(tries, [15, 45, 105, 225, 360]);
    });

    test('messages read back as sent; anything else is no fetch', () => {
        assert.deepEqual(parseFetchMessage({ callId: 'c1', attempt: 2, endedAt: ENDED.toISOString(), refresh: true }), { callId: 'c1', attempt: 2, endedAt: ENDED, refresh: true });
        assert.deepEqual(parseFetchMessage(JSON.stringify({ callId: 'c1', attempt: 1, endedAt: ENDED.toISOString() })), { callId: 'c1', attempt: 1, endedAt: ENDED });
        for (const bad of [
            null,
            'x',
            { callId: 'a/b', attempt: 1, endedAt: ENDED.toISOString() },
            { callId: 'c1', attempt: 0, endedAt: ENDED.toISOString() },
            { callId: 'c1', attempt: 1, endedAt: 'soon' },
        ]) {
            assert.equal(parseFetchMessage(bad), undefined, JSON.stringify(bad));
        }
    });
});

describe('the call record in the state rules', () => {
    const ended: CallSummary = { ...emptySummary('c1'), callState: 'terminated', eventCount: 3, callRecordStatus: 'pending' };
    const event = (facts: CallRecordFacts): NewCallEvent => ({ kind: 'callRecord', receivedAt: ENDED, resourceData: encodeColumns(SUMMARY_FIELDS, facts) });
    const plan = (summary: CallSummary, facts: CallRecordFacts) => planAppend(summary, [event(facts)], new Map(), { windowSeconds: 600, rowCapacity: DEFAULT_MARKER_ROW_CAPACITY });

    test('a 404 "not yet" is recorded on the summary only; a fetched record is an event; a lower version never replaces a higher one', () => {
        const pending = plan(ended, { callRecordStatus: 'pending', callRecordAttempts: 1, callRecordError: 'not yet' });
        assert.deepEqual(pending.outcomes, [{ outcome: 'unchanged' }]);
        assert.equal(pending.summary.callRecordAttempts, 1);

        const two = plan(pending.summary, { callRecordStatus: 'fetched', callRecordVersion: 2, quality: 'poor', qualityReason: 'why', worstJitterMs: 40.5 });
        assert.deepEqual(two.outcomes, [{ outcome: 'stored', sequence: 4 }]);
        assert.equal(two.summary.quality, 'poor');
        assert.equal(two.summary.worstJitterMs, 40.5);
        assert.equal(two.summary.callRecordError, undefined, 'a fetched record replaces every call record field');

        const one = plan(two.summary, { callRecordStatus: 'fetched', callRecordVersion: 1, quality: 'good' });
        assert.deepEqual(one.outcomes, [{ outcome: 'unchanged' }]);
        assert.equal(one.summary.quality, 'poor');
        assert.equal(plan(two.summary, { callRecordStatus: 'notFound' }).summary.callRecordStatus, 'fetched', 'nothing undoes a fetched record');

        const three = plan(one.summary, { callRecordStatus: 'fetched', callRecordVersion: 3, quality: 'good' });
        assert.equal(three.summary.callRecordVersion, 3);
        assert.equal(three.summary.qualityReason, undefined);
    });
});
