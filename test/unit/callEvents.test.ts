// The call-ended message as a consumer reads it: base64 of the CloudEvent JSON, decoded back to exactly what
// the app queued, and anything else refused with a reason (a consumer must not mistake another message for one).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callEndedEvent, decodeQueueMessage, encodeQueueMessage } from '../../shared/callEvents';

describe('decodeQueueMessage', () => {
    test('gives back the event the app encoded', () => {
        // prepare
        const event = callEndedEvent({ callId: 'c1', callState: 'terminated', deleted: true, eventCount: 5, duplicateCount: 0, closedBy: 'graph', resultMessage: 'Ünïcode ✓' }, new Date('2026-12-01T09:00:00Z'));

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
