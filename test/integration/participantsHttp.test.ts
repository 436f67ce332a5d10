// GET /api/calls/{callId}/participants through the local host, over real HTTP, with the call simulator as Graph:
// rosters whole and as deltas, a late stale one, participants who leave, and PARTICIPANT_DETAILS=ids. Every answer
// is checked against the OpenAPI document.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { ParticipantListJson } from '../../shared/participants/participantQueries';
import type { CallSummaryJson } from '../../shared/query/callJson';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

describe('participants through the local host', () => {
    const tableName = uniqueTableName('people');
    let sim: RunningSimulator;
    let host: HostProcess;
    let masked: HostProcess;

    before(async () => {
        sim = await startSimulator({ port: 0, tls: testTls() });
        const env = { ...simulatorAppSettings(sim), CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName };
        [host, masked] = await Promise.all([startHostProcess({ env }), startHostProcess({ env: { ...env, PARTICIPANT_DETAILS: 'ids' } })]);
    });
    after(async () => {
        await Promise.all([host?.stop(), masked?.stop()]);
        await sim?.stop();
    });

    async function json<T>(on: HostProcess, path: string, status = 200): Promise<T> {
        const response = await checkedFetch(`${on.baseUrl}${path}`);
        assert.equal(response.status, status, `${path}: ${await response.clone().text()}`);
        return (await response.json()) as T;
    }

    test('full rosters, deltas and a late stale roster give who is in the call and who left, and when', async () => {
        // prepare: a call the bot placed, then people joining and leaving as Graph tells it
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback` });
        await sim.settled();
        sim.roster(call.id, {
            join: [
                { id: 'ada', name: 'Ada Lovelace' },
                { id: 'alan', name: 'Alan Turing' },
                { id: 'phone-1', kind: 'phone', identityId: '+14255550123' },
            ],
        });
        await sim.settled();
        const muted = sim.roster(call.id, { mute: ['alan'], as: 'delta' });
        await sim.settled();
        sim.roster(call.id, { leave: ['ada'] });
        await sim.settled();
        sim.roster(call.id, { unmute: ['alan'], as: 'delta' });
        await sim.settled();

        // act: the whole roster as it was when Alan was muted (Ada still there) arrives late: a stale roster
        sim.roster(call.id, { resendVersion: muted.version });
        await sim.settled();
        const list = await json<ParticipantListJson>(host, `/calls/${call.id}/participants`);
        const summary = await json<CallSummaryJson>(host, `/calls/${call.id}`);

        // assess
        const byKey = new Map(list.participants.map((participant) => [participant.key, participant]));
        assert.equal(list.participants.length, 4, 'the bot and three people');
        assert.equal(byKey.get('ada')?.inCall, false, 'the stale roster does not bring Ada back');
        assert.equal(byKey.get('ada')?.leftReason, 'notInRoster', 'a full roster says who left by leaving them out');
        assert.equal(byKey.get('alan')?.isMuted, false, 'the stale roster does not mute Alan again');
        assert.equal(byKey.get('alan')?.displayName, 'Alan Turing');
        assert.equal(byKey.get('phone-1')?.phoneNumber, '+14255550123');
        assert.equal(byKey.get('phone-1')?.identityKind, 'phone');
        assert.ok(
            list.participants.some((participant) => participant.identityKind === 'application' && participant.inCall),
            'the bot is listed',
        );
        assert.equal(list.participantCount, 3);
        assert.equal(list.maxParticipants, 4);
        assert.equal(summary.participantCount, 3);
        assert.equal(summary.maxParticipants, 4);
        assert.ok((byKey.get('ada')?.leftAt ?? '') > (byKey.get('ada')?.joinedAt ?? ''));
        assert.equal(summary.eventCount, 7, 'two call notifications and five rosters, the stale one included, are in the history');
        assert.equal(summary.duplicateCount, 0);
    });

    test('when the call ends nobody is in it any more; PARTICIPANT_DETAILS=ids shows no names and masks numbers', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback` });
        await sim.settled();
        sim.roster(call.id, {
            join: [
                { id: 'grace', name: 'Grace Hopper' },
                { id: 'caller', kind: 'phone', identityId: '+442071234567' },
            ],
        });
        await sim.settled();

        // act
        const hangUp = await checkedFetch(`${host.baseUrl}/calls/${call.id}`, { method: 'DELETE' });
        assert.equal(hangUp.status, 204);
        await sim.settled();
        const full = await json<ParticipantListJson>(host, `/calls/${call.id}/participants`);
        const ids = await json<ParticipantListJson>(masked, `/calls/${call.id}/participants`);

        // assess
        assert.ok(full.participants.every((participant) => !participant.inCall));
        assert.equal(full.participants.find((participant) => participant.key === 'grace')?.displayName, 'Grace Hopper');
        assert.ok(ids.participants.every((participant) => participant.displayName === undefined));
        assert.equal(ids.participants.find((participant) => participant.key === 'caller')?.phoneNumber, '+44********67');
        assert.ok(!JSON.stringify(ids).includes('2071234567'));
        assert.ok(!JSON.stringify(ids).includes('Grace'));
    });

    test('an unknown call is a 404 problem, a bad id a 400, an unknown query parameter a 400', async () => {
        await json(host, '/calls/no-such-call/participants', 404);
        await json(host, '/calls/bad%20id/participants', 400);
        await json(host, '/calls/no-such-call/participants?top=5', 400);
    });
});
