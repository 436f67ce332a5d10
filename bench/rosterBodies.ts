// Participants notifications of one call as the simulator makes them (dev/simulator/roster.ts: the shapes of Graph's
// docs, whole rosters and deltas, each participant numbered with the roster version that last changed it), without
// a running simulator: for the roster benchmarks and the fault suite's shuffled rosters.

import type { SimulatorContext } from '../dev/simulator/context';
import type { CommsNotification } from '../dev/simulator/notifications';
import { changeRoster, newRoster, type RosterChangeInput } from '../dev/simulator/roster';
import type { SimulatedCall } from '../dev/simulator/state';
import { BENCH_BOT_APP_ID } from './benchEnvironment';

/** Someone joining, with ids that are the same on every run: `{callId}-p{n}`. */
interface ScriptedPerson {
    id: string;
    identityId: string;
    name: string;
}

export class RosterScript {
    readonly callId: string;
    readonly #call: SimulatedCall;
    readonly #ctx: SimulatorContext;
    #joined = 0;

    constructor(callId: string) {
        this.callId = callId;
        this.#ctx = { settings: { botAppId: BENCH_BOT_APP_ID } } as unknown as SimulatorContext;
        this.#call = { id: callId, resource: { myParticipantId: `${callId}-bot` }, roster: newRoster(), quality: new Map() } as unknown as SimulatedCall;
    }

    /** `count` new people (the first change of a call also brings the bot). */
    people(count: number): ScriptedPerson[] {
        return Array.from({ length: count }, () => {
            this.#joined += 1;
            const n = this.#joined;
            return { id: `${this.callId}-p${n}`, identityId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: `Person ${n}` };
        });
    }

    /** Applies a change; the notification Graph sends for it, its roster version, and a callback body carrying it alone. */
    change(input: RosterChangeInput): { version: number; notification: CommsNotification; body: string } {
        const notification = changeRoster(this.#ctx, this.#call, input);
        return {
            version: this.#call.roster.version,
            notification,
            body: JSON.stringify({ '@odata.type': '#microsoft.graph.commsNotifications', value: [notification] }),
        };
    }

    /** The people in the call now, the bot left out. */
    present(): string[] {
        return [...this.#call.roster.participants].filter(([id, p]) => p.present && id !== `${this.callId}-bot`).map(([id]) => id);
    }

    /** Everyone the call had, by participant id: in the call now, and muted. */
    final(): Map<string, { present: boolean; muted: boolean }> {
        return new Map([...this.#call.roster.participants].map(([id, p]) => [id, { present: p.present, muted: p.resource.isMuted === true }]));
    }
}
