// The roster: what Graph's participants notifications say (Microsoft's documented examples among them), and how
// rosters change the participant rows, whatever order they are committed in.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseNotifications } from '../../shared/callback/notifications';
import { PARTICIPANT_FIELDS, type Participant, type ParticipantSeen, type RosterChange } from '../../shared/participants/participantModel';
import { maskPhoneNumber, rosterChangeOf } from '../../shared/participants/rosterNotifications';
import { applyRosterChange } from '../../shared/participants/rosterRules';
import { emptySummary, type CallSummary, type NewCallEvent } from '../../shared/record/callModel';
import { RowSet } from '../../shared/record/derivedRows';
import { INVITE_MULTIPLE_ROSTER_NOTIFICATION, INVITE_ROSTER_NOTIFICATION, LISTED_PARTICIPANTS } from '../fixtures/graphDocs';

const CALL = 'c0ffee00-1111-4111-8111-000000000001';
const t = (second: number) => new Date(Date.UTC(2026, 11, 1, 10, 0, second));

function eventsOf(body: unknown, at = t(0)): NewCallEvent[] {
    return parseNotifications(body, { receivedAt: at }).map(({ event }) => event);
}

function rosterBody(resourceData: unknown, changeType = 'updated', path = 'participants'): unknown {
    return { value: [{ changeType, resourceUrl: `/communications/calls/${CALL}/${path}`, resourceData }] };
}

/** A Graph participant as the simulator (and Graph) sends it. */
function graphParticipant(id: string, fields: { name?: string; kind?: string; sequence?: number; muted?: boolean; removed?: string } = {}): Record<string, unknown> {
    const kind = fields.kind ?? 'user';
    return {
        '@odata.type': '#microsoft.graph.participant',
        id,
        info: {
            '@odata.type': '#microsoft.graph.participantInfo',
            identity: { '@odata.type': '#microsoft.graph.identitySet', [kind]: { id: `${kind}-${id}`, displayName: fields.name ?? `Person ${id}`, tenantId: 'tenant-1' } },
        },
        isMuted: fields.muted ?? false,
        isInLobby: false,
        ...(fields.sequence === undefined ? {} : { rosterSequenceNumber: fields.sequence }),
        ...(fields.removed === undefined ? {} : { removedState: { reason: fields.removed } }),
    };
}

/** A call's roster as committed rosters leave it: the summary and the rows, applied in the given order. */
class RosterTable {
    summary: CallSummary = emptySummary(CALL);
    rows = new Map<string, Participant>();
    sequence = 0;

    apply(at: Date, change: RosterChange): void {
        const set = new RowSet(this.rows, true);
        this.sequence += 1;
        this.summary = applyRosterChange(this.summary, this.sequence, { receivedAt: at }, change, set);
        for (const { key, row } of set.entries()) this.rows.set(key, row);
    }

    /** Who is in, and what is known of each, without the times and bookkeeping that depend on arrival. */
    picture(): Array<Record<string, unknown>> {
        return [...this.rows]
            .map(([key, { joinedAt: _j, leftAt, updatedAt: _u, sequence: _s, ...rest }]) => ({ key, present: leftAt === undefined, ...rest }))
            .map((row) => Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))))
            .sort((a, b) => String(a.key).localeCompare(String(b.key)));
    }
}

function full(participants: ParticipantSeen[]): RosterChange {
    return { shape: 'full', participants };
}

function seen(key: string, fields: Partial<ParticipantSeen> = {}): ParticipantSeen {
    return { key, participantId: key, identityKind: 'user', identityId: `user-${key}`, ...fields };
}

describe('rosterChangeOf: what a participants notification says', () => {
    test("Microsoft's invite example: the roster as an array, the bot with a null id, keyed by its identity", () => {
        // prepare
        const [event] = eventsOf(INVITE_ROSTER_NOTIFICATION);

        // act
        const change = rosterChangeOf(event!, 'full');

        // assess
        assert.equal(change?.shape, 'full');
        assert.equal(change.participants.length, 1);
        const [bot] = change.participants;
        assert.equal(bot?.identityKind, 'application');
        assert.equal(bot?.identityId, '278405a3-f568-4b3e-b684-009193463064');
        assert.equal(bot?.tenantId, '72f988bf-86f1-41af-91ab-2d7cd011db47');
        assert.equal(bot?.participantId, undefined);
        assert.match(bot?.key ?? '', /^~[0-9a-f]{32}$/);
        assert.equal(bot?.isMuted, false);
    });

    test("Microsoft's multiple-invite example on .../operations/participants is a roster too", () => {
        const [event] = eventsOf(INVITE_MULTIPLE_ROSTER_NOTIFICATION);
        const change = rosterChangeOf(event!, 'full');
        assert.equal(change?.shape, 'full');
        assert.deepEqual(
            change.participants.map((p) => [p.identityKind, p.identityId]),
            [
                ['application', '7e1b4346-85a6-4bdd-abe3-d11c5d420efe'],
                ['user', '1e126418-44a0-4a94-a6f8-0efe1ad71acb'],
            ],
        );
    });

    test("Microsoft's listed participants: Graph's participant ids are the keys, a null display name is no name", () => {
        const [event] = eventsOf(rosterBody(LISTED_PARTICIPANTS));
        const change = rosterChangeOf(event!, 'full');
        assert.deepEqual(
            change?.participants.map((p) => [p.key, p.displayName]),
            [
                ['a7ebfb2d-871e-419c-87af-27290b22e8db', undefined],
                ['1e126418-44a0-4a94-a6f8-0efe1ad71acb', 'Test Participant'],
            ],
        );
    });

    test('a deltaParticipants roster: its participants carry the delta sequence number unless they have their own', () => {
        const [event] = eventsOf(
            rosterBody({
                '@odata.type': '#microsoft.graph.deltaParticipants',
                sequenceNumber: 12,
                participants: [graphParticipant('p1'), graphParticipant('p2', { sequence: 9, removed: 'left' })],
            }),
        );
        const change = rosterChangeOf(event!, 'full');
        assert.equal(change?.shape, 'delta');
        assert.equal(change.sequenceNumber, 12);
        assert.deepEqual(
            change.participants.map((p) => [p.key, p.rosterSequenceNumber, p.removedReason]),
            [
                ['p1', 12, undefined],
                ['p2', 9, 'left'],
            ],
        );
    });

    test('a deleted roster notification says those listed left; one participant on its own path is a delta of one', () => {
        const [deleted] = eventsOf(rosterBody([graphParticipant('p1')], 'deleted'));
        assert.deepEqual(rosterChangeOf(deleted!, 'full')?.shape, 'removed');
        const [one] = eventsOf(rosterBody(graphParticipant('p3', { muted: true }), 'updated', 'participants/p3'));
        const change = rosterChangeOf(one!, 'full');
        assert.equal(change?.shape, 'delta');
        assert.equal(change.participants[0]?.isMuted, true);
    });

    test('PARTICIPANT_DETAILS=ids: no names, phone numbers masked, in the key too', () => {
        const phone = graphParticipant('p4', { kind: 'phone' }) as { info: { identity: { phone: { id: string } } } };
        phone.info.identity.phone.id = '+14255550123';
        const [event] = eventsOf(rosterBody([graphParticipant('p1', { name: 'Ada Lovelace' }), { ...phone, id: null }]));
        const change = rosterChangeOf(event!, 'ids');
        assert.equal(change?.participants[0]?.displayName, undefined);
        const caller = change?.participants[1];
        assert.equal(caller?.phoneNumber, '+14*******23');
        assert.equal(caller?.identityId, '+14*******23');
        assert.ok(!caller?.key.includes('4255550123'));
        assert.equal(rosterChangeOf(event!, 'full')?.participants[1]?.phoneNumber, '+14255550123');
    });

    test('what is not a roster is none: call notifications, operations, unreadable data', () => {
        assert.equal(
            rosterChangeOf(eventsOf({ value: [{ changeType: 'updated', resourceUrl: `/communications/calls/${CALL}`, resourceData: { state: 'established' } }] })[0]!, 'full'),
            undefined,
        );
        assert.equal(rosterChangeOf(eventsOf(rosterBody({ status: 'completed' }, 'deleted', 'operations/op-1'))[0]!, 'full'), undefined);
        assert.equal(
            rosterChangeOf({ kind: 'notification', receivedAt: t(0), resourceUrl: `/communications/calls/${CALL}/participants`, resourceData: '[{"a"' }, 'full'),
            undefined,
        );
    });

    test('maskPhoneNumber keeps the first two and last two digits', () => {
        assert.equal(maskPhoneNumber('+1 (425) 555-0123'), '+14*******23');
        assert.equal(maskPhoneNumber('1234'), '****');
    });
});

describe('applyRosterChange: the roster rows', () => {
    test('joins, leaves by a newer full roster, counts and the most there ever were', () => {
        // prepare
        const roster = new RosterTable();

        // act
        roster.apply(t(1), full([seen('bot', { identityKind: 'application' }), seen('a'), seen('b')]));
        roster.apply(t(2), full([seen('bot', { identityKind: 'application' }), seen('a')]));

        // assess
        assert.equal(roster.summary.participantCount, 2);
        assert.equal(roster.summary.maxParticipants, 3);
        assert.deepEqual(roster.rows.get('b')?.leftAt, t(2));
        assert.equal(roster.rows.get('b')?.leftReason, 'notInRoster');
        assert.deepEqual(roster.rows.get('a')?.joinedAt, t(1));
        assert.equal(roster.rows.get('a')?.sequence, 1, 'a row no roster changed keeps the event that last did');
    });

    test('a late, older full roster (by arrival) resurrects nobody and changes nobody', () => {
        const roster = new RosterTable();
        roster.apply(t(1), full([seen('a'), seen('b', { isMuted: false })]));
        roster.apply(t(3), full([seen('a')]));
        // Received at t(2), between the two, committed last (another instance was slower).
        roster.apply(t(2), full([seen('a'), seen('b', { isMuted: true })]));
        assert.ok(roster.rows.get('b')?.leftAt !== undefined);
        assert.equal(roster.rows.get('b')?.isMuted, false);
        assert.equal(roster.summary.participantCount, 1);
    });

    test('a stale roster that arrives later: a participant id that left never comes back; higher sequence numbers win', () => {
        const roster = new RosterTable();
        roster.apply(t(1), full([seen('a', { rosterSequenceNumber: 1 }), seen('b', { rosterSequenceNumber: 1, isMuted: false })]));
        roster.apply(t(2), full([seen('a', { rosterSequenceNumber: 2 }), seen('c', { rosterSequenceNumber: 2 })]));
        // The first roster again, much later (a resend outside the redelivery window): older by its sequence numbers.
        roster.apply(t(9), full([seen('a', { rosterSequenceNumber: 1 }), seen('b', { rosterSequenceNumber: 1, isMuted: true })]));
        assert.deepEqual(roster.rows.get('b')?.leftAt, t(2));
        assert.equal(roster.rows.get('b')?.isMuted, false);
        assert.equal(roster.rows.get('c')?.leftAt, undefined, 'the stale roster marks nobody gone');
        assert.equal(roster.summary.participantCount, 2);
    });

    test('without sequence numbers a later arrival wins, yet a departed participant id stays departed', () => {
        const roster = new RosterTable();
        roster.apply(t(1), full([seen('a'), seen('b')]));
        roster.apply(t(2), full([seen('a')]));
        roster.apply(t(3), full([seen('a', { isMuted: true }), seen('b')]));
        assert.deepEqual(roster.rows.get('b')?.leftAt, t(2));
        assert.equal(roster.rows.get('a')?.isMuted, true);
    });

    test('someone known only by identity may rejoin; removedState says who left and why', () => {
        const roster = new RosterTable();
        const guest = (fields: Partial<ParticipantSeen> = {}) => seen('~guest', { participantId: undefined, identityKind: 'guest', ...fields });
        roster.apply(t(1), full([seen('a'), guest()]));
        roster.apply(t(2), full([seen('a'), guest({ removedReason: 'kicked' })]));
        assert.equal(roster.rows.get('~guest')?.leftReason, 'kicked');
        roster.apply(t(3), full([seen('a'), guest()]));
        assert.equal(roster.rows.get('~guest')?.leftAt, undefined);
        assert.equal(roster.summary.participantCount, 2);
    });

    test('delta rosters apply by sequence number, in any order', () => {
        const forward = new RosterTable();
        const backward = new RosterTable();
        const deltas: Array<[Date, RosterChange]> = [
            [t(1), { shape: 'delta', sequenceNumber: 1, participants: [seen('a'), seen('b')] }],
            [t(2), { shape: 'delta', sequenceNumber: 2, participants: [seen('b', { isMuted: true })] }],
            [t(3), { shape: 'delta', sequenceNumber: 3, participants: [seen('a', { removedReason: 'left' })] }],
        ];
        for (const [at, change] of deltas) forward.apply(at, change);
        for (const [at, change] of [...deltas].reverse()) backward.apply(at, change);
        assert.deepEqual(backward.picture(), forward.picture());
        assert.equal(forward.rows.get('b')?.isMuted, true);
        assert.equal(forward.summary.participantCount, 1);
        assert.equal(backward.summary.participantCount, 1);
    });

    test('with sequence numbers, every order of the same rosters gives the same roster', () => {
        // prepare: a meeting's roster over time, full rosters and deltas mixed
        const changes: Array<[Date, RosterChange]> = [
            [t(1), full([seen('bot', { rosterSequenceNumber: 1 }), seen('a', { rosterSequenceNumber: 1 })])],
            [t(2), { shape: 'delta', sequenceNumber: 2, participants: [seen('b'), seen('c')] }],
            [t(3), { shape: 'delta', sequenceNumber: 3, participants: [seen('a', { isMuted: true })] }],
            [t(4), full([seen('bot', { rosterSequenceNumber: 1 }), seen('a', { rosterSequenceNumber: 3, isMuted: true }), seen('c', { rosterSequenceNumber: 4 })])],
            [t(5), { shape: 'delta', sequenceNumber: 5, participants: [seen('d'), seen('c', { removedReason: 'left' })] }],
        ];
        const inOrder = new RosterTable();
        for (const [at, change] of changes) inOrder.apply(at, change);

        // act: every permutation
        const pictures = new Set<string>();
        for (const order of permutations(changes.map((_, i) => i))) {
            const roster = new RosterTable();
            for (const i of order) roster.apply(...changes[i]!);
            pictures.add(JSON.stringify([roster.picture(), roster.summary.participantCount]));
        }

        // assess
        assert.deepEqual([...pictures], [JSON.stringify([inOrder.picture(), inOrder.summary.participantCount])]);
        assert.deepEqual(
            inOrder.picture().map(({ key, present }) => [key, present]),
            [
                ['a', true],
                ['b', false],
                ['bot', true],
                ['c', false],
                ['d', true],
            ],
        );
    });

    test('only rows that change are written', () => {
        const roster = new RosterTable();
        roster.apply(t(1), full([seen('a'), seen('b'), seen('c')]));
        const set = new RowSet(roster.rows, true);
        applyRosterChange(roster.summary, 2, { receivedAt: t(2) }, full([seen('a'), seen('b', { isMuted: true }), seen('c')]), set);
        assert.deepEqual(
            set.changes(PARTICIPANT_FIELDS).map(({ key }) => key),
            ['b'],
        );
    });
});

function* permutations(items: number[]): Generator<number[]> {
    if (items.length <= 1) {
        yield items;
        return;
    }
    for (const [i, item] of items.entries()) {
        for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [item, ...rest];
    }
}
