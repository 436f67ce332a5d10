// The API's JSON: camelCase fields, ISO times, numbers for Int64 columns, resourceData parsed back.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { callEventJson, callListPageJson, callSummaryJson, historyPageJson } from '../../shared/query/callJson';
import { eventFromEntity, summaryFromEntity } from '../../shared/record/tableEntities';

const at = new Date('2026-11-29T10:00:00.000Z');

describe('callSummaryJson', () => {
    test('an entity with Int64 (bigint) columns becomes JSON numbers and ISO times', () => {
        const summary = summaryFromEntity({
            partitionKey: 'call-1',
            rowKey: 'state',
            etag: 'W/"x"',
            callState: 'terminated',
            resultCode: 500n,
            resultSubcode: 5_000_000_000n,
            eventCount: 12n,
            duplicateCount: 1,
            deleted: true,
            lastEventAt: at,
            hangupStatus: 204,
        });

        const json = callSummaryJson(summary);

        assert.deepEqual(JSON.parse(JSON.stringify(json)), {
            callId: 'call-1',
            callState: 'terminated',
            resultCode: 500,
            resultSubcode: 5_000_000_000,
            deleted: true,
            eventCount: 12,
            duplicateCount: 1,
            lastEventAt: '2026-11-29T10:00:00.000Z',
            hangupStatus: 204,
        });
    });

    test('unknown fields are left out, not null', () => {
        assert.deepEqual(callSummaryJson({ callId: 'c', deleted: false, eventCount: 0, duplicateCount: 0 }), {
            callId: 'c',
            deleted: false,
            eventCount: 0,
            duplicateCount: 0,
        });
    });
});

describe('callEventJson', () => {
    const entity = (fields: Record<string, unknown>) => ({
        partitionKey: 'call-1',
        rowKey: 'event-0000000001',
        etag: 'e',
        sequence: 1,
        kind: 'notification',
        receivedAt: at,
        ...fields,
    });

    test('resourceData comes back as the JSON it was', () => {
        const json = callEventJson(eventFromEntity(entity({ resourceData: '{"state":"established","n":[1,2]}', changeType: 'updated', graphEtag: 'W/"3"' })));

        assert.deepEqual(json, {
            sequence: 1,
            kind: 'notification',
            receivedAt: '2026-11-29T10:00:00.000Z',
            changeType: 'updated',
            graphEtag: 'W/"3"',
            resourceData: { state: 'established', n: [1, 2] },
        });
    });

    test('a cut resourceData that no longer parses stays raw and flagged', () => {
        const cut = '{"state":"established","blob":"xxxx';
        const json = callEventJson(eventFromEntity(entity({ resourceData: cut, resourceDataTruncated: true })));

        assert.equal(json.resourceData, cut);
        assert.equal(json.resourceDataTruncated, true);
    });

    test('hang-up fields as numbers, no callId (the page names the call)', () => {
        const json = callEventJson(eventFromEntity(entity({ kind: 'hangupRequest', httpStatus: 404n, graphRequestId: 'r-1', sequence: 7n })));

        assert.equal(json.sequence, 7);
        assert.equal(json.httpStatus, 404);
        assert.equal(json.graphRequestId, 'r-1');
        assert.equal('callId' in json, false);
    });
});

describe('pages', () => {
    test('the continuation token is present only when there is one', () => {
        assert.deepEqual(historyPageJson({ callId: 'c', events: [] }), { callId: 'c', events: [] });
        assert.deepEqual(callListPageJson({ calls: [], continuationToken: 't' }), { calls: [], continuationToken: 't' });
    });
});

describe('cut values', () => {
    test('truncatedFields is a list in the JSON, on summaries and events', () => {
        const summary = summaryFromEntity({ partitionKey: 'c', rowKey: 'state', etag: 'e', deleted: false, eventCount: 1, duplicateCount: 0, truncatedFields: 'resultMessage' });
        const event = eventFromEntity({
            partitionKey: 'c',
            rowKey: 'event-0000000001',
            etag: 'e',
            sequence: 1,
            kind: 'notification',
            receivedAt: at,
            resourceData: '{"a',
            resourceDataTruncated: true,
            truncatedFields: 'resourceData,resourceUrl',
        });

        assert.deepEqual(callSummaryJson(summary).truncatedFields, ['resultMessage']);
        assert.deepEqual(callEventJson(event).truncatedFields, ['resourceData', 'resourceUrl']);
        assert.equal(callEventJson(event).resourceDataTruncated, true);
    });
});
