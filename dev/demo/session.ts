// What `npm run demo` talks to, as a bot and an operator would: the simulator's Entra and Graph (place a call,
// read it), its control API (drop a call's last notifications), and the app (hang up, query, run a function
// through the host's admin API). When the run signs people in (npm start -- --sign-in), the demo signs in at the
// local sign-in page and sends its session with every request to the app. Every failure is a DemoError that says
// what to start or fix.

import { readFileSync } from 'node:fs';
import { APP_ROLES, type AppRole } from '../../shared/access/appRoles';
import type { SignedInJson } from '../../shared/access/authorize';
import { SIGN_IN_PATH } from '../../shared/access/signInPaths';
import type { ParticipantListJson } from '../../shared/participants/participantQueries';
import type { CallEventJson, CallSummaryJson } from '../../shared/query/callJson';
import { DemoError, describeAnswer, jsonRequest, type JsonResponse } from './client';
import { SIMULATOR_DEFAULTS } from '../simulator';

const START_HINT = 'Start everything with `npm start` in another terminal, wait for "Ready", then run `npm run demo` again.';
const POLL_MS = 150;

export interface DemoTargets {
    /** The functions' API, e.g. http://localhost:7071/api. */
    api: string;
    simulator: string;
    caFile: string;
    /** How long to wait for each step's outcome. */
    timeoutMs: number;
}

/** What /_control/info tells about the simulator. */
interface SimulatorInfo {
    tokenEndpoint: string;
    graphBaseUrl: string;
    controlUrl: string;
    tenantId: string;
    clientId: string;
}

interface SimulatorStats {
    calls?: Record<
        string,
        { deliveries?: Array<{ status: number | null; error?: string; dropped?: true }>; graphRequests?: Array<{ at: string; path: string; status: number | 'reset' | null }> }
    >;
}

/** Who the demo signs in as when the run signs people in. */
export const DEMO_PEOPLE = {
    operator: { name: 'Ada Lovelace', role: APP_ROLES.operate },
    reader: { name: 'Grace Hopper', role: APP_ROLES.read },
} as const;

export class DemoSession {
    readonly targets: DemoTargets;
    /** The run signs people in (API_AUTH=entra behind the local sign-in), so the demo does too. */
    readonly signsIn: boolean;
    readonly #ca: string;
    readonly #sim: SimulatorInfo;
    readonly #token: string;
    /** The session cookie the app's requests carry, when the run signs people in. */
    #cookie: string | undefined;

    private constructor(targets: DemoTargets, ca: string, sim: SimulatorInfo, token: string, signsIn: boolean) {
        this.targets = targets;
        this.signsIn = signsIn;
        this.#ca = ca;
        this.#sim = sim;
        this.#token = token;
    }

    /**
     * Checks the app and the simulator answer, and gets an app-only Graph token from the simulator's Entra. When the
     * run signs people in, signs in as the operator.
     */
    static async open(targets: DemoTargets): Promise<DemoSession> {
        const signsIn = await runSignsPeopleIn(targets.api);
        const ca = readCa(targets.caFile);
        const sim = await simulatorInfo(targets.simulator, ca);
        const session = new DemoSession(targets, ca, sim, await graphToken(sim, ca), signsIn);
        if (signsIn) await session.signIn(DEMO_PEOPLE.operator.name, DEMO_PEOPLE.operator.role);
        await checkApp(targets.api, session.#appHeaders());
        return session;
    }

    /** Where the run's local sign-in page is. */
    get signInUrl(): string {
        return `${new URL(this.targets.api).origin}${SIGN_IN_PATH}`;
    }

    /** Signs in at the local sign-in page as `name` holding `role`; the app's requests carry that session from now on. */
    async signIn(name: string, role: AppRole): Promise<void> {
        const answer = await jsonRequest('POST', this.signInUrl, {
            body: new URLSearchParams({ kind: 'user', name, role }).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            whenUnreachable: START_HINT,
        });
        const cookie = [answer.headers['set-cookie'] ?? []].flat()[0]?.split(';')[0];
        if (answer.status !== 302 || cookie === undefined)
            throw new DemoError(`The local sign-in did not sign ${name} in: POST ${this.signInUrl} answered ${describeAnswer(answer)}`);
        this.#cookie = cookie;
    }

    get clientId(): string {
        return this.#sim.clientId;
    }

    get graphBaseUrl(): string {
        return this.#sim.graphBaseUrl;
    }

    get controlUrl(): string {
        return this.#sim.controlUrl;
    }

    /** Where the host's admin API is: at the root of the functions' origin, beside the `api` route prefix. */
    get adminUrl(): string {
        return `${new URL(this.targets.api).origin}/admin`;
    }

    /** What a calling bot sends to place a call: a target user, audio, service-hosted media. */
    async placeCall(callbackUri: string): Promise<string> {
        const answer = await jsonRequest('POST', `${this.#sim.graphBaseUrl}/communications/calls`, {
            ca: this.#ca,
            headers: { authorization: `Bearer ${this.#token}` },
            whenUnreachable: START_HINT,
            body: {
                '@odata.type': '#microsoft.graph.call',
                callbackUri,
                targets: [
                    {
                        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
                        identity: {
                            '@odata.type': '#microsoft.graph.identitySet',
                            user: { '@odata.type': '#microsoft.graph.identity', displayName: 'Demo user', id: '8b081ef6-4792-4def-b2c9-c363a1bf41d5' },
                        },
                    },
                ],
                requestedModalities: ['audio'],
                mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
                tenantId: this.#sim.tenantId,
            },
        });
        const id = (answer.json as { id?: unknown } | undefined)?.id;
        if (answer.status !== 201 || typeof id !== 'string') {
            throw new DemoError(`The simulator's Graph did not create the call: ${describeAnswer(answer)}`);
        }
        return id;
    }

    /** Someone calls the bot: the simulator rings an incoming call through `callbackUri` (its control API). */
    async ringIncomingCall(callbackUri: string): Promise<string> {
        const answer = await jsonRequest('POST', `${this.#sim.controlUrl}/calls`, { ca: this.#ca, body: { callbackUri, direction: 'incoming' }, whenUnreachable: START_HINT });
        const id = (answer.json as { id?: unknown } | undefined)?.id;
        if (answer.status !== 201 || typeof id !== 'string') throw new DemoError(`The simulator did not ring a call: ${describeAnswer(answer)}`);
        return id;
    }

    /** The simulator's record of a Graph request about the call whose path ends with `suffix` (e.g. `/answer`). */
    async graphRequest(callId: string, suffix: string): Promise<{ at: string; status: number | 'reset' | null } | undefined> {
        return (await this.#stats())?.calls?.[callId]?.graphRequests?.find((request) => request.path.endsWith(suffix));
    }

    /** Graph's `GET` on the call: 200 while it lives, 404 once Graph has ended it. */
    readGraphCall(callId: string): Promise<JsonResponse> {
        return jsonRequest('GET', this.graphCallUrl(callId), { ca: this.#ca, headers: { authorization: `Bearer ${this.#token}` }, whenUnreachable: START_HINT });
    }

    graphCallUrl(callId: string): string {
        return `${this.#sim.graphBaseUrl}/communications/calls/${encodeURIComponent(callId)}`;
    }

    /** Tells the simulator never to send the last `count` notifications of the call's end. */
    async dropLastNotifications(callId: string, count: number): Promise<void> {
        const answer = await jsonRequest('PUT', this.dropsUrl(callId), { ca: this.#ca, body: { last: count }, whenUnreachable: START_HINT });
        if (answer.status !== 204) throw new DemoError(`The simulator refused to drop the call's notifications: ${describeAnswer(answer)}`);
    }

    /** Changes who is in the call on the simulator's side: Graph then notifies the app of its new roster. */
    async changeRoster(callId: string, change: Record<string, unknown>): Promise<void> {
        const answer = await jsonRequest('POST', this.rosterUrl(callId), { ca: this.#ca, body: change, whenUnreachable: START_HINT });
        if (answer.status !== 200) throw new DemoError(`The simulator refused the roster change: ${describeAnswer(answer)}`);
    }

    rosterUrl(callId: string): string {
        return `${this.#sim.controlUrl}/rosters/${encodeURIComponent(callId)}`;
    }

    /** Moves the simulator's clock on: Graph's call records appear some minutes after a call, on this clock. */
    async advanceClock(minutes: number): Promise<void> {
        const answer = await jsonRequest('POST', `${this.#sim.controlUrl}/clock`, { ca: this.#ca, body: { advanceMinutes: minutes }, whenUnreachable: START_HINT });
        if (answer.status !== 200) throw new DemoError(`The simulator refused to move its clock: ${describeAnswer(answer)}`);
    }

    /** The app's roster of the call, `GET /api/calls/{id}/participants`. */
    async participants(callId: string): Promise<ParticipantListJson> {
        const answer = await jsonRequest('GET', `${this.callUrl(callId)}/participants`, { headers: this.#appHeaders(), whenUnreachable: START_HINT });
        if (answer.status !== 200) throw new DemoError(`GET ${this.callUrl(callId)}/participants answered ${describeAnswer(answer)}`);
        return answer.json as ParticipantListJson;
    }

    dropsUrl(callId: string): string {
        return `${this.#sim.controlUrl}/drops/${encodeURIComponent(callId)}`;
    }

    /** Waits until the simulator has dropped `count` of the call's notifications instead of sending them. */
    async waitForDropped(callId: string, count: number): Promise<void> {
        const deadline = Date.now() + this.targets.timeoutMs;
        for (;;) {
            const deliveries = (await this.#stats())?.calls?.[callId]?.deliveries ?? [];
            if (deliveries.filter((delivery) => delivery.dropped === true).length >= count) return;
            if (Date.now() > deadline) throw new DemoError(`The simulator did not drop the call's last ${count} notifications within ${this.targets.timeoutMs / 1000} s.`);
            await pause();
        }
    }

    /** The app's hang-up: `DELETE /api/calls/{id}`, which must answer 204. */
    async hangUp(callId: string, reason?: string): Promise<void> {
        const hangup = await this.askToHangUp(callId, reason);
        if (hangup.status !== 204) throw new DemoError(`The app did not hang up the call: DELETE ${this.callUrl(callId)} answered ${describeAnswer(hangup)}`);
    }

    /** `DELETE /api/calls/{id}` with the reason as JSON (and X-Requested-With, which the app wants of a signed-in caller), whatever it answers. */
    askToHangUp(callId: string, reason?: string): Promise<JsonResponse> {
        return jsonRequest('DELETE', this.callUrl(callId), {
            headers: { ...this.#appHeaders(), 'x-requested-with': 'npm run demo' },
            ...(reason === undefined ? {} : { body: { reason } }),
            whenUnreachable: START_HINT,
        });
    }

    callUrl(callId: string): string {
        return `${this.targets.api}/calls/${encodeURIComponent(callId)}`;
    }

    /** The app's summary of the call, `GET /api/calls/{id}`. */
    async summary(callId: string): Promise<CallSummaryJson> {
        const answer = await jsonRequest('GET', this.callUrl(callId), { headers: this.#appHeaders(), whenUnreachable: START_HINT });
        if (answer.status !== 200) throw new DemoError(`GET ${this.callUrl(callId)} answered ${describeAnswer(answer)}`);
        return answer.json as CallSummaryJson;
    }

    /** Polls the app's summary of the call until `done`; on timeout, says what the simulator saw. */
    async waitForCall(callId: string, goal: string, done: (summary: CallSummaryJson) => boolean, timeoutMs = this.targets.timeoutMs): Promise<CallSummaryJson> {
        const deadline = Date.now() + timeoutMs;
        let last: JsonResponse | undefined;
        while (Date.now() < deadline) {
            last = await jsonRequest('GET', this.callUrl(callId), { headers: this.#appHeaders(), whenUnreachable: START_HINT });
            if (last.status === 200 && done(last.json as CallSummaryJson)) return last.json as CallSummaryJson;
            if (last.status !== 200 && last.status !== 404) {
                throw new DemoError(`GET ${this.callUrl(callId)} answered ${describeAnswer(last)}`);
            }
            await pause();
        }
        const state = last?.status === 200 ? `its state is ${(last.json as CallSummaryJson).callState ?? 'unknown'}` : 'nothing is recorded for it';
        throw new DemoError(`The app did not record the call as ${goal} within ${timeoutMs / 1000} s: ${state}. ${await this.#deliveryDiagnosis(callId)}`);
    }

    async history(callId: string): Promise<CallEventJson[]> {
        const events: CallEventJson[] = [];
        let token: string | undefined;
        do {
            const query = new URLSearchParams({ top: '1000', ...(token === undefined ? {} : { continuationToken: token }) });
            const answer = await jsonRequest('GET', `${this.callUrl(callId)}/history?${query}`, { headers: this.#appHeaders(), whenUnreachable: START_HINT });
            const page = answer.json as { events?: CallEventJson[]; continuationToken?: string } | undefined;
            if (answer.status !== 200 || !Array.isArray(page?.events)) {
                throw new DemoError(`GET ${this.callUrl(callId)}/history answered ${describeAnswer(answer)}`);
            }
            events.push(...page.events);
            token = page.continuationToken;
        } while (token !== undefined);
        return events;
    }

    /** Runs a non-HTTP function now through the host's admin API, which answers 202 and runs it in the background. */
    async runFunction(name: string, input = ''): Promise<void> {
        const url = `${this.adminUrl}/functions/${encodeURIComponent(name)}`;
        const answer = await jsonRequest('POST', url, { body: { input }, whenUnreachable: START_HINT });
        if (answer.status !== 202) throw new DemoError(`The host did not run ${name}: POST ${url} answered ${describeAnswer(answer)}`);
    }

    /** What every request to the app carries: the sign-in session, when there is one. */
    #appHeaders(): Record<string, string> {
        return this.#cookie === undefined ? {} : { cookie: this.#cookie };
    }

    async #stats(): Promise<SimulatorStats | undefined> {
        const answer = await jsonRequest('GET', `${this.#sim.controlUrl}/stats`, { ca: this.#ca, whenUnreachable: START_HINT }).catch(() => undefined);
        return answer?.json as SimulatorStats | undefined;
    }

    /** Why notifications may be missing, from the simulator's record of its callback POSTs. */
    async #deliveryDiagnosis(callId: string): Promise<string> {
        const deliveries = (await this.#stats())?.calls?.[callId]?.deliveries?.filter((delivery) => delivery.dropped !== true);
        if (deliveries === undefined || deliveries.length === 0) {
            return 'The simulator has sent no notifications for it yet; see the npm start terminal.';
        }
        const outcomes = deliveries.map((delivery) => (delivery.status !== null ? String(delivery.status) : `failed (${delivery.error ?? 'no answer'})`));
        const hint = deliveries.some((delivery) => delivery.status === 401)
            ? ' The app refused the callback tokens: its BOT_APP_ID and CALLBACK_OPENID_CONFIGURATION must point at this simulator, as npm start sets them.'
            : '';
        return `The simulator's notification POSTs to the app were answered: ${outcomes.join(', ')}.${hint}`;
    }
}

/** Ended as the record has it: terminated, or deleted by Graph. */
export function isEnded(summary: CallSummaryJson): boolean {
    return summary.callState === 'terminated' || summary.deleted;
}

/** Polls `read` until it gives a value, for at most `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await read();
        if (value !== undefined || Date.now() > deadline) return value;
        await pause();
    }
}

function pause(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, POLL_MS));
}

/**
 * True when the app wants a signed-in principal and the run offers the local sign-in (npm start -- --sign-in): GET /me
 * answers 401, and the sign-in page is there.
 */
async function runSignsPeopleIn(api: string): Promise<boolean> {
    const me = await jsonRequest('GET', `${api}/me`, { whenUnreachable: START_HINT, timeoutMs: 10_000 });
    if (me.status === 200 && (me.json as Partial<SignedInJson> | undefined)?.apiAuth === 'functionKey') return false;
    const signInPage = await jsonRequest('GET', `${new URL(api).origin}${SIGN_IN_PATH}`, { whenUnreachable: START_HINT, timeoutMs: 10_000 });
    if (me.status === 401 && signInPage.status === 200) return true;
    throw new DemoError(
        `${api} answers, but the demo cannot use it: GET /me gave ${describeAnswer(me)}. With API_AUTH=entra the demo needs the local sign-in: start the app with npm start -- --sign-in.`,
    );
}

/** The app answers its query API like this app; a 404 for a call would mean the app is there and the call unknown. */
async function checkApp(api: string, headers: Record<string, string>): Promise<void> {
    const answer = await jsonRequest('GET', `${api}/calls?top=1`, { headers, whenUnreachable: START_HINT, timeoutMs: 10_000 });
    if (answer.status !== 200 || !Array.isArray((answer.json as { calls?: unknown } | undefined)?.calls)) {
        throw new DemoError(`${api} answers, but not like this app: GET /calls?top=1 gave ${describeAnswer(answer)}. Is --api right?`);
    }
}

function readCa(file: string): string {
    try {
        return readFileSync(file, 'utf8');
    } catch {
        throw new DemoError(`The simulator's CA certificate is not at ${file}. \`npm start\` creates it on its first run. ${START_HINT}`);
    }
}

async function simulatorInfo(simulator: string, ca: string): Promise<SimulatorInfo> {
    const answer = await jsonRequest('GET', `${simulator}/_control/info`, { ca, whenUnreachable: START_HINT, timeoutMs: 10_000 });
    const info = answer.json as Partial<SimulatorInfo> | undefined;
    if (answer.status !== 200 || typeof info?.tokenEndpoint !== 'string' || typeof info.graphBaseUrl !== 'string') {
        throw new DemoError(`${simulator} answers, but not like the call simulator: ${describeAnswer(answer)}. Is --simulator right?`);
    }
    return info as SimulatorInfo;
}

async function graphToken(sim: SimulatorInfo, ca: string): Promise<string> {
    const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: SIMULATOR_DEFAULTS.clientSecret,
        scope: SIMULATOR_DEFAULTS.graphScope,
    });
    const answer = await jsonRequest('POST', sim.tokenEndpoint, {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ca,
        whenUnreachable: START_HINT,
    });
    const token = (answer.json as { access_token?: unknown } | undefined)?.access_token;
    if (answer.status !== 200 || typeof token !== 'string') {
        throw new DemoError(`The simulator's Entra refused a token: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    return token;
}
