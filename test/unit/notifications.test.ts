// Parsing of callback bodies: the beta and v1.0 shapes, sub-resources and unattributable notifications.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UNROUTED_PARTITION } from '../../shared/record/callModel';
import { dedupeKeyOf } from '../../shared/callback/dedupeKey';
import { BadRequestError } from '../../shared/errors';
import { parseNotifications } from '../../shared/callback/notifications';
import { SEED_CALL_ID, seedSequence, v1Notification } from '../fixtures/notifications';

const delivery = { receivedAt: new Date('2026-11-29T10:00:00Z'), tenantId: 'tenant-1' };

function only(body: unknown) {
    const routed = parseNotifications(body, delivery);
    assert.equal(routed.length, 1);
    return routed[0]!;
}

describe('parseNotifications', () => {
    test('the beta "Delete call" sequence: /app/calls/, callState, terminationReason, etag', () => {
        const [terminating, terminated, deleted] = seedSequence().map(only);

        assert.equal(terminating!.partition, SEED_CALL_ID);
        assert.equal(terminating!.event.resourceUrl, `/communications/calls/${SEED_CALL_ID}`);
        assert.equal(terminating!.event.changeType, 'updated');
        assert.equal(terminating!.event.callState, 'terminating');
        assert.equal(terminating!.event.graphEtag, 'W/"5445"');
        assert.equal(terminating!.event.resourceKind, 'call');
        assert.equal(terminated!.event.callState, 'terminated');
        assert.equal(terminated!.event.terminationReason, 'AppInitiated');
        assert.equal(deleted!.event.changeType, 'deleted');
        assert.equal(deleted!.event.tenantId, 'tenant-1');
    });

    test('v1.0 shape with resourceUrl, state and resultInfo with numeric codes', () => {
        const { partition, event } = only(v1Notification('call-1', 'deleted', 'terminated', { resultInfo: { code: 200, subcode: 7000, message: 'Ended by bot' } }));

        assert.equal(partition, 'call-1');
        assert.equal(event.callState, 'terminated');
        assert.equal(event.resultCode, 200);
        assert.equal(event.resultSubcode, 7000);
        assert.equal(event.resultMessage, 'Ended by bot');
        assert.equal(event.graphEtag, undefined);
    });

    test('resultInfo codes sent as strings become numbers; non-numeric ones are dropped', () => {
        const { event } = only(v1Notification('call-1', 'updated', 'terminated', { resultInfo: { code: '404', subcode: ' 560404 ', message: 'x' } }));
        assert.equal(event.resultCode, 404);
        assert.equal(event.resultSubcode, 560404);

        const odd = only(v1Notification('call-1', 'updated', 'terminated', { resultInfo: { code: 'n/a', subcode: 1.5 } })).event;
        assert.equal(odd.resultCode, undefined);
        assert.equal(odd.resultSubcode, undefined);
    });

    test('a notification with both resource and resourceUrl uses resourceUrl', () => {
        const body = {
            value: [
                {
                    changeType: 'deleted',
                    resource: '/app/calls/old-id',
                    resourceUrl: '/communications/calls/new-id',
                    resourceData: { state: 'terminated', callChainId: 'chain-9' },
                },
            ],
        };
        const { partition, event } = only(body);
        assert.equal(partition, 'new-id');
        assert.equal(event.chainId, 'chain-9');
    });

    test('enum values compare case-insensitively and are stored in camelCase', () => {
        const { event } = only({ value: [{ changeType: 'Updated', resourceUrl: '/communications/calls/c1', resourceData: { state: 'Terminated' } }] });
        assert.equal(event.changeType, 'updated');
        assert.equal(event.callState, 'terminated');

        const accepted = only({ value: [{ changeType: 'UPDATED', resourceUrl: '/communications/calls/c1', resourceData: { state: 'TRANSFERACCEPTED' } }] });
        assert.equal(accepted.event.callState, 'transferAccepted');
    });

    test('an unknown future state is kept, with Graph-style lower-case first letter', () => {
        const { event } = only(v1Notification('c1', 'updated', 'QuantumEntangled'));
        assert.equal(event.callState, 'quantumEntangled');
    });

    test('a participants array belongs to the call but carries no call state', () => {
        const body = {
            value: [
                {
                    changeType: 'updated',
                    resourceUrl: '/communications/calls/c1/participants',
                    resourceData: [
                        { '@odata.type': '#microsoft.graph.participant', id: 'p1', info: { identity: { user: { id: 'u1' } } } },
                        { '@odata.type': '#microsoft.graph.participant', id: 'p2' },
                    ],
                },
            ],
        };
        const { partition, event } = only(body);
        assert.equal(partition, 'c1');
        assert.equal(event.resourceKind, 'participants');
        assert.equal(event.callState, undefined);
        assert.deepEqual(JSON.parse(event.resourceData!), body.value[0]!.resourceData);
    });

    test('an operation completion belongs to the call and keeps its resultInfo', () => {
        const body = {
            value: [
                {
                    changeType: 'deleted',
                    resourceUrl: '/communications/calls/c1/operations/op-7',
                    resourceData: {
                        '@odata.type': '#microsoft.graph.playPromptOperation',
                        status: 'completed',
                        resultInfo: { code: 200, subcode: 0, message: 'Action completed' },
                    },
                },
            ],
        };
        const { partition, event } = only(body);
        assert.equal(partition, 'c1');
        assert.equal(event.resourceKind, 'operation');
        assert.equal(event.resourceUrl, '/communications/calls/c1/operations/op-7');
        assert.equal(event.callState, undefined);
        assert.equal(event.resultCode, 200);
    });

    test('a resourceUrl without its leading slash (as Graph documents hold-music operations) belongs to the call, not to _unrouted', () => {
        for (const [resourceUrl, kind, stored] of [
            ['communications/calls/c2/operations/op-9', 'operation', '/communications/calls/c2/operations/op-9'],
            ['communications/calls/c2', 'call', '/communications/calls/c2'],
            ['app/calls/c2/participants', 'participants', '/communications/calls/c2/participants'],
            ['v1.0/communications/calls/c2', 'call', '/communications/calls/c2'],
            ['https://graph.microsoft.com/beta/app/calls/c2', 'call', '/communications/calls/c2'],
            ['/communications/calls/c2/operations/op-9', 'operation', '/communications/calls/c2/operations/op-9'],
        ] as const) {
            const { partition, event } = only({ value: [{ changeType: 'deleted', resourceUrl, resourceData: { status: 'completed' } }] });
            assert.equal(partition, 'c2', resourceUrl);
            assert.equal(event.kind, 'notification', resourceUrl);
            assert.equal(event.resourceKind, kind, resourceUrl);
            assert.equal(event.resourceUrl, stored, resourceUrl);
        }
        // Without the slash the prefix must still be a whole segment.
        assert.equal(only({ value: [{ changeType: 'updated', resourceUrl: 'xcommunications/calls/c2', resourceData: {} }] }).partition, UNROUTED_PARTITION);
    });

    test('notifications without a call go to _unrouted as rejected, whole notification kept', () => {
        const body = {
            value: [
                { changeType: 'updated', resourceData: { state: 'established' } },
                { changeType: 'updated', resourceUrl: '/users/u1', resourceData: {} },
                { changeType: 'updated', resourceUrl: "/communications/calls/' or 1 eq 1", resourceData: {} },
                42,
            ],
        };
        const routed = parseNotifications(body, delivery);
        assert.deepEqual(
            routed.map((r) => r.partition),
            Array(4).fill(UNROUTED_PARTITION),
        );
        assert.deepEqual(
            routed.map((r) => r.event.kind),
            Array(4).fill('rejected'),
        );
        assert.match(routed[0]!.event.rejectReason!, /no resourceUrl/);
        assert.match(routed[1]!.event.rejectReason!, /not a call/);
        assert.match(routed[2]!.event.rejectReason!, /no valid call id/);
        assert.deepEqual(JSON.parse(routed[1]!.event.resourceData!), body.value[1]);
        assert.equal(routed[3]!.event.resourceData, '42');
    });

    test('the dedupe key ignores key order and differs for different notifications', () => {
        const a = { changeType: 'updated', resourceUrl: '/communications/calls/c1', resourceData: { state: 'established', x: 1 } };
        const b = { resourceData: { x: 1, state: 'established' }, resourceUrl: '/communications/calls/c1', changeType: 'updated' };
        const c = { ...a, resourceData: { state: 'hold', x: 1 } };
        assert.equal(dedupeKeyOf(a), dedupeKeyOf(b));
        assert.notEqual(dedupeKeyOf(a), dedupeKeyOf(c));
        assert.match(dedupeKeyOf(a), /^[0-9a-f]{64}$/);
        assert.equal(only({ value: [a] }).event.dedupeKey, dedupeKeyOf(a));
    });

    test('bodies that are not a notification collection are refused', () => {
        for (const body of [null, 'text', [], {}, { value: {} }, { value: 'x' }]) {
            assert.throws(() => parseNotifications(body, delivery), BadRequestError, JSON.stringify(body));
        }
        assert.deepEqual(parseNotifications({ value: [] }, delivery), []);
    });

    test('a body nested thousands of levels deep is a 400, not a stack overflow answered 500 on every redelivery', () => {
        const deep = JSON.parse(`{"value":[${'['.repeat(5000)}${']'.repeat(5000)}]}`) as unknown;
        const deepData = JSON.parse(`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}]}`) as unknown;

        assert.throws(
            () => parseNotifications(deep, delivery),
            (err: unknown) => err instanceof BadRequestError && /nested/.test(err.message),
        );
        assert.throws(() => parseNotifications(deepData, delivery), BadRequestError);
        // Graph's own shapes are a handful of levels deep; far more than that is still fine.
        const nested = JSON.parse(`{"value":[{"resourceUrl":"/communications/calls/c1","resourceData":${'{"a":'.repeat(60)}1${'}'.repeat(60)}}]}`) as unknown;
        assert.equal(parseNotifications(nested, delivery).length, 1);
    });
});
