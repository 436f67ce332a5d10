// A call's participants as a table: who, what kind of identity, when they joined and left, and whether they
// are in the call now (muted, in the lobby). From GET /api/calls/{id}/participants.

import type { ParticipantListView, ParticipantQualityView, ParticipantView } from './apiTypes';
import { h, replaceChildren } from './dom';
import { formatCount, formatDateTime, formatDuration } from './format';

export class ParticipantsTable {
    readonly element: HTMLElement;
    readonly #note = h('p', { class: 'note', role: 'status' });
    readonly #rows = h('tbody');
    readonly #qualityRows = h('tbody');
    readonly #quality = h(
        'div',
        { class: 'table-wrap', hidden: true },
        h(
            'table',
            { class: 'quality-table' },
            h('caption', {}, "Quality by participant, from Graph's call record (Call Quality Dashboard thresholds)"),
            h('thead', {}, h('tr', {}, ...['Participant', 'Kind', 'Quality', 'Poor streams', 'Why'].map((name) => h('th', { scope: 'col' }, name)))),
            this.#qualityRows,
        ),
    );

    constructor() {
        this.element = h(
            'div',
            { class: 'participants' },
            this.#note,
            h(
                'div',
                { class: 'table-wrap' },
                h(
                    'table',
                    { class: 'participants-table' },
                    h('thead', {}, h('tr', {}, ...['Participant', 'Kind', 'Joined', 'Left', 'Time in call', 'Now'].map((name) => h('th', { scope: 'col' }, name)))),
                    this.#rows,
                ),
            ),
            this.#quality,
        );
    }

    /** `endedAt`: when the call ended (epoch ms), so those still listed at the end are counted until then. */
    show(list: ParticipantListView, endedAt: number | undefined, now: number, quality: readonly ParticipantQualityView[] = []): void {
        const present = list.participants.filter((participant) => participant.inCall).length;
        this.#note.textContent =
            list.participants.length === 0
                ? 'No participants notification has come for this call yet.'
                : `${formatCount(list.participants.length)} participants in all, ${endedAt === undefined ? `${formatCount(present)} in the call now` : `${formatCount(list.participantCount ?? 0)} at the end`}, ${formatCount(list.maxParticipants ?? 0)} at most at once.`;
        replaceChildren(this.#rows, ...list.participants.map((participant) => row(participant, endedAt, now)));
        this.#quality.hidden = quality.length === 0;
        replaceChildren(
            this.#qualityRows,
            ...quality.map((entry) =>
                h(
                    'tr',
                    { class: `quality-${entry.quality}` },
                    h('td', {}, entry.name ?? entry.id),
                    h('td', {}, entry.kind ?? '–'),
                    h('td', {}, h('span', { class: `quality quality-${entry.quality}` }, entry.quality)),
                    h('td', { class: 'number' }, `${entry.poorStreams} of ${entry.streams}`),
                    h('td', {}, entry.reason ?? '–'),
                ),
            ),
        );
    }
}

function row(participant: ParticipantView, endedAt: number | undefined, now: number): HTMLElement {
    const joined = Date.parse(participant.joinedAt);
    const left = participant.leftAt === undefined ? (endedAt ?? now) : Date.parse(participant.leftAt);
    // Listed when the call ended: there to the end, not gone before it.
    const state = [
        participant.inCall ? 'in the call' : participant.leftAt === undefined ? 'to the end' : 'gone',
        participant.isMuted === true ? 'muted' : undefined,
        participant.isInLobby === true ? 'in the lobby' : undefined,
    ]
        .filter((part) => part !== undefined)
        .join(', ');
    return h(
        'tr',
        { class: participant.inCall ? 'present' : 'gone' },
        h('td', {}, nameOf(participant)),
        h('td', {}, participant.identityKind ?? '–'),
        h('td', {}, formatDateTime(joined)),
        h('td', {}, participant.leftAt === undefined ? '–' : `${formatDateTime(left)}${participant.leftReason === undefined ? '' : ` (${participant.leftReason})`}`),
        h('td', { class: 'number' }, Number.isNaN(joined) ? '–' : formatDuration(left - joined)),
        h('td', {}, state),
    );
}

/** A name when the app keeps names (PARTICIPANT_DETAILS=full), else the phone number (masked) or the identity's id. */
function nameOf(participant: Pick<ParticipantView, 'displayName' | 'phoneNumber' | 'identityId' | 'key'>): string {
    return participant.displayName ?? participant.phoneNumber ?? participant.identityId ?? participant.key;
}
