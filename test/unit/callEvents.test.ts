// The call-ended CloudEvent: its fields, the base64 a queue trigger decodes, a size the queue accepts
// whatever the summary holds, and the message decoded back as a consumer reads it (anything else refused
// with a reason: a consumer must not mistake another message for one).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callEndedEvent, decodeQueueMessage, encodeQueueMessage, MAX_QUEUE_MESSAGE_BYTES } from '../../shared/lifecycle/callEvents';
import { emptySummary, type CallSummary } from '../../shared/record/callModel';
import { LONG_TEXT, SHORT_TEXT } from '../../shared/record/callFields';

const ended: CallSummary = {
    ...emptySummary('c1'),
    callState: 'terminated',
    deleted: true,
    eventCount: 4,
    closedBy: 'graph',
    firstEventAt: new Date('2026-12-01T10:00:00Z'),
    lastEventAt: new Date('2026-12-01T10:05:00Z'),
};

function decoded(message: string): Record<string, unknown> {
    return JSON.parse(Buffer.from(message, 'base64').toString('utf8')) as Record<string, unknown>;
}

describe('call-ended CloudEvent', () => {
    test('CloudEvents 1.0 fields, the stable id, and the summary JSON as data, base64-encoded', () => {
        const message = encodeQueueMessage(callEndedEvent(ended, new Date('2026-12-01T10:05:01Z')));

        assert.deepEqual(decoded(message), {
            specversion: '1.0',
            id: 'c1/ended',
            type: 'teams-call-record.call.ended',
            source: '/api/calls',
            subject: 'c1',
            time: '2026-12-01T10:05:01.000Z',
            datacontenttype: 'application/json',
            data: {
                callId: 'c1',
                callState: 'terminated',
                deleted: true,
                eventCount: 4,
                duplicateCount: 0,
                firstEventAt: '2026-12-01T10:00:00.000Z',
                lastEventAt: '2026-12-01T10:05:00.000Z',
                closedBy: 'graph',
            },
        });
    });

    test('a summary with the longest values the table holds still fits a queue message: the longest are cut and named', () => {
        // Graph's resultInfo.message at its stored limit, in characters that take 3 bytes in UTF-8 and grow by a third in base64.
        const huge: CallSummary = {
            ...ended,
            resultMessage: '\u20ac'.repeat(LONG_TEXT),
            terminationReason: '\u20ac'.repeat(SHORT_TEXT),
            tenantId: 't'.repeat(SHORT_TEXT),
            truncatedFields: ['resultMessage'],
        };

        const message = encodeQueueMessage(callEndedEvent(huge, new Date()));

        assert.ok(Buffer.byteLength(message) <= MAX_QUEUE_MESSAGE_BYTES, `${Buffer.byteLength(message)} bytes`);
        const data = decoded(message).data as Record<string, unknown>;
        assert.ok(String(data.resultMessage).length < LONG_TEXT && String(data.resultMessage).length > 1000);
        assert.ok((data.resultMessage as string).startsWith('\u20ac\u20ac'));
        assert.deepEqual(data.truncatedFields, ['resultMessage']);
        assert.equal(data.terminationReason, huge.terminationReason, 'what fits is kept whole');
        assert.equal(data.callState, 'terminated');
    });
});

describe('decodeQueueMessage', () => {
    test('gives back the event the app encoded', () => {
        // prepare
        const event = callEndedEvent(
            { callId: 'c1', callState: 'terminated', deleted: true, eventCount: 5, duplicateCount: 0, closedBy: 'graph', resultMessage: 'Ünïcode ✓' },
            new Date('2026-12-01T09:00:00Z'),
        );

        // act
        const decoded = decodeQueueMessage(encodeQueueMessage(event));

        // assess
        assert.deepEqual(decoded, { event });
    });

    test('refuses what is not base64, not JSON, or not a call-ended CloudEvent, and says which', () => {
        const refused = (text: string, reason: RegExp) => {
            const decoded = decodeQueueMessage(text);
            assert.ok('problem' in decoded && reason.test(decoded.problem), `${text}: ${JSON.stringify(decoded)}`);
        };
        const base64 = (value: string) => Buffer.from(value).toString('base64');

        refused('{"type":"teams-call-record.call.ended"}', /not base64/);
        refused('aGVsbG8gd29ybGQ=', /does not hold JSON/);
        refused(base64('{"type":"something.else","id":"x","subject":"x","data":{}}'), /not a CloudEvent of type teams-call-record\.call\.ended/);
        refused(base64('{"type":"teams-call-record.call.ended","id":"x","subject":"x"}'), /with an id, a subject and data/);
        refused(base64('[1,2]'), /not a CloudEvent/);
    });
});
