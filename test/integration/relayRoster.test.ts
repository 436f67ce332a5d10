// The relay and the roster on the same call, through the local host: participants notifications are relayed to the
// bot like every other notification (the bot needs them: who joined, who is muted), as Graph sent them, in sequence
// order with the call's state changes, while the app keeps the roster from them; a roster too big for one transaction
// is delivered once, after the transaction that stores it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INVITE_ROSTER_NOTIFICATION } from '../fixtures/graphDocs';
import { v1Notification } from '../fixtures/notifications';
import { eventually, startRelayApp, type RelayApp } from '../support/relayApp';
import { partitionRows } from '../support/storage';

/** The call of Graph's documented roster notification (participant-invite.md, example 1). */
const DOCS_CALL = 'ab6233a5-20b7-4c5e-bea2-ce56c9776429';

/** A whole roster of `count` people for `callId`, each with a small participant object. */
function rosterBody(callId: string, count: number): { '@odata.type': string; value: unknown[] } {
    const resourceData = Array.from({ length: count }, (_, i) => ({
        '@odata.type': '#microsoft.graph.participant',
        id: `p${i}`,
        info: { identity: { user: { id: `u${i}`, displayName: `P${i}` } } },
        isMuted: false,
        isInLobby: false,
    }));
    return {
        '@odata.type': '#microsoft.graph.commsNotifications',
        value: [{ '@odata.type': '#microsoft.graph.commsNotification', changeType: 'updated', resourceUrl: `/communications/calls/${callId}/participants`, resourceData }],
    };
}

describe('relay and roster on the same calls', () => {
    let app: RelayApp;
    before(async () => {
        app = await startRelayApp();
    });
    after(() => app?.stop());

    async function settled(callId: string): Promise<Record<string, unknown>> {
        return eventually(
            `call ${callId} relayed`,
            async () => {
                const summary = await app.summary(callId);
                return summary?.relayPending === 0 ? summary : undefined;
            },
            30_000,
            () => app.hosts.map((host) => host.logs()).join('\n'),
        );
    }

    test("Graph's documented roster notification reaches the bot as Graph sent it, in order with the call's state, and keeps the roster", async () => {
        // prepare
        const bodies = [
            v1Notification(DOCS_CALL, 'updated', 'established'),
            INVITE_ROSTER_NOTIFICATION,
            v1Notification(DOCS_CALL, 'updated', 'established', { '@odata.etag': 'W/"2"' }),
        ];

        // act
        const answers: number[] = [];
        for (const body of bodies) answers.push((await app.post(body)).status);
        const summary = await settled(DOCS_CALL);

        // assess
        assert.deepEqual(answers, [202, 202, 202]);
        const received = app.bot.requests.filter((request) => request.callId === DOCS_CALL);
        assert.deepEqual(
            received.map((request) => [request.webhookId, request.first, request.last, request.verified, request.status]),
            [
                [`${DOCS_CALL}/1`, 1, 1, true, 200],
                [`${DOCS_CALL}/2`, 2, 2, true, 200],
                [`${DOCS_CALL}/3`, 3, 3, true, 200],
            ],
        );
        assert.deepEqual(
            JSON.parse(received[1]?.body ?? '{}'),
            { '@odata.type': '#microsoft.graph.commsNotifications', value: INVITE_ROSTER_NOTIFICATION.value },
            'the roster notification exactly as Graph sent it',
        );
        assert.deepEqual([summary.relayedThrough, summary.participantCount, summary.maxParticipants], [3, 1, 1]);
        const rows = await partitionRows(app.table, DOCS_CALL);
        assert.equal(rows.filter((row) => String(row.rowKey).startsWith('participant-')).length, 1);
        const events = rows.filter((row) => String(row.rowKey).startsWith('event-'));
        assert.deepEqual(
            events.map((event) => [event.relayBatch, event.relayOutcome]),
            [
                [1, 'delivered'],
                [2, 'delivered'],
                [3, 'delivered'],
            ],
        );
    });

    test('a roster bigger than one transaction is stored in stages and delivered once, whole, after it is stored', async () => {
        // prepare
        const callId = 'relay-roster-big-1';
        const big = rosterBody(callId, 120);

        // act
        const answers = [(await app.post(v1Notification(callId, 'updated', 'established'))).status, (await app.post(big)).status];
        const summary = await settled(callId);

        // assess
        assert.deepEqual(answers, [202, 202]);
        const received = app.bot.requests.filter((request) => request.callId === callId);
        assert.deepEqual(
            received.map((request) => [request.webhookId, request.attempt, request.status]),
            [
                [`${callId}/1`, 1, 200],
                [`${callId}/2`, 1, 200],
            ],
        );
        assert.deepEqual(JSON.parse(received[1]?.body ?? '{}').value, big.value, 'the whole roster, as sent');
        assert.equal(received[1]?.headers['x-call-record-truncated'], undefined);
        assert.deepEqual([summary.relayedThrough, summary.participantCount, summary.stagedCommit], [2, 120, undefined]);
        const rows = await partitionRows(app.table, callId);
        assert.equal(rows.filter((row) => String(row.rowKey).startsWith('participant-')).length, 120);
    });
    test('a state change and a roster in one POST go as one request in their order; a delta goes as sent; a redelivered roster is not sent again', async () => {
        // prepare: Graph's one POST with the call's state and its first roster, then a delta (Ada muted), redelivered
        const callId = 'relay-roster-delta-1';
        const established = v1Notification(callId, 'updated', 'established').value[0];
        const firstRoster = rosterBody(callId, 2).value[0];
        const delta = {
            '@odata.type': '#microsoft.graph.commsNotifications',
            value: [
                {
                    '@odata.type': '#microsoft.graph.commsNotification',
                    changeType: 'updated',
                    resourceUrl: `/communications/calls/${callId}/participants`,
                    resourceData: {
                        '@odata.type': '#microsoft.graph.deltaParticipants',
                        sequenceNumber: 2,
                        participants: [{ '@odata.type': '#microsoft.graph.participant', id: 'p0', info: { identity: { user: { id: 'u0', displayName: 'P0' } } }, isMuted: true }],
                    },
                },
            ],
        };

        // act
        const answers = [
            (await app.post({ '@odata.type': '#microsoft.graph.commsNotifications', value: [established, firstRoster] })).status,
            (await app.post(delta)).status,
            (await app.post(delta)).status,
            (await app.post(v1Notification(callId, 'deleted', 'terminated'))).status,
        ];
        const summary = await settled(callId);

        // assess
        assert.deepEqual(answers, [202, 202, 202, 202]);
        const received = app.bot.requests.filter((request) => request.callId === callId);
        assert.deepEqual(
            received.map((request) => [request.webhookId, request.first, request.last, request.verified]),
            [
                [`${callId}/1`, 1, 2, true],
                [`${callId}/3`, 3, 3, true],
                [`${callId}/4`, 4, 4, true],
            ],
        );
        assert.deepEqual(received[0]?.notifications, [established, firstRoster], 'the state change first, then the roster, as in the POST');
        assert.deepEqual(received[1]?.notifications, delta.value, 'the delta as Graph sent it');
        assert.deepEqual([summary.eventCount, summary.relayedThrough, summary.participantCount], [4, 4, 2]);
        const muted = (await partitionRows(app.table, callId)).filter((row) => String(row.rowKey).startsWith('participant-') && row.isMuted === true);
        assert.equal(muted.length, 1);
    });
});
