// Everything the simulator remembers between requests: simulated calls, scripts, faults and what it has seen.
// `reset()` forgets all of it, so tests sharing one simulator start from a clean slate.

import { SimulatedClock } from './clock';
import { NO_FAULTS, type Faults, type ScriptedResponse } from './faults';

export type CallDirection = 'outgoing' | 'incoming';

export interface SimulatedCall {
    id: string;
    callbackUri: string;
    direction: CallDirection;
    /** Graph's camelCase call state as last notified. */
    state: string;
    callChainId: string;
    /** Correlates the callbacks of one call, as Graph's `Scenario-ID` header does. */
    scenarioId: string;
    /** Bumped for every notification, so each carries a fresh `@odata.etag`. */
    etag: number;
    tenantId: string;
    /** The call object Graph answered the creation with; `state` is kept current. */
    resource: Record<string, unknown>;
    /** How many of the notifications that end the call are never sent (0: all are), to show a call stuck "established". */
    dropLastNotifications: number;
    /** An incoming call's ring: ends it as not answered when nobody answers in time (callLifecycle.ringIncomingCall). */
    ringTimer?: NodeJS.Timeout;
    /** Who is in the call (roster.ts). */
    roster: SimulatedRoster;
    /** Simulated epoch ms (clock.ts) of the call's creation and of the last keepAlive Graph took. */
    startedAt: number;
    keptAliveAt?: number;
    /** How the streams of some participants sound in the call record (by participant id); the others' are good. */
    quality: Map<string, StreamQuality>;
}

/** How a participant's streams sound: figures of the streams they send (callRecords.ts). */
export interface StreamQuality {
    packetLossRate?: number;
    jitterMs?: number;
    roundTripMs?: number;
    audioDegradation?: number;
}

/** A call record the simulator keeps: available from `availableAt` (simulated epoch ms). */
export interface SimulatedCallRecord {
    callId: string;
    version: number;
    availableAt: number;
    record: Record<string, unknown>;
    sessions: Array<Record<string, unknown>>;
    participants: Array<Record<string, unknown>>;
}

/** A call's roster: its version, everyone it had by participant id, and the full rosters sent so far by version. */
export interface SimulatedRoster {
    version: number;
    participants: Map<string, { resource: Record<string, unknown>; present: boolean }>;
    sent: Map<number, Array<Record<string, unknown>>>;
}

/** How a Graph request's `Authorization` header fared. */
export type AuthorizationCheck = 'valid' | 'missing' | 'invalid';

export interface GraphRequestRecord {
    at: string;
    method: string;
    path: string;
    /** The call the request addressed, when it addressed one. */
    callId?: string;
    authorization: AuthorizationCheck;
    clientRequestId: string | null;
    requestId: string;
    /** The answer's status; `reset` when the connection was dropped instead; `null` while unanswered. */
    status: number | 'reset' | null;
}

export interface DeliveryRecord {
    at: string;
    callId: string;
    url: string;
    changeType: string;
    resourceUrl: string;
    state?: string;
    messageId: string;
    /** 1, or 2 for the second copy under the `duplicate` fault. */
    copy: number;
    /** The app's HTTP status; `null` when no answer came (see `error`) or it was never sent (see `dropped`). */
    status: number | null;
    error?: string;
    /** Never sent: the call was told to drop its last notifications. */
    dropped?: true;
}

interface CallStats {
    state?: string;
    graphRequests: GraphRequestRecord[];
    deliveries: DeliveryRecord[];
}

export interface SimulatorStats {
    /** Every POST to the token endpoint, granted or refused. */
    tokenRequests: number;
    tokensIssued: number;
    /** Telemetry items ingestion took, and requests it refused for their token. */
    telemetryItems: number;
    ingestionRefusals: number;
    graphRequests: GraphRequestRecord[];
    deliveries: DeliveryRecord[];
    /** The same records grouped by call id. */
    calls: Record<string, CallStats>;
    faults: Faults;
}

interface Script {
    responses: ScriptedResponse[];
    used: number;
}

/** One telemetry item as the Azure Monitor exporter sends it (`data.baseType`: MetricData, RemoteDependencyData, MessageData, ...). */
export interface TelemetryEnvelope {
    name: string;
    time: string;
    iKey?: string;
    instrumentationKey?: string;
    tags?: Record<string, string>;
    data?: { baseType?: string; baseData?: Record<string, unknown> };
}

export class SimulatorState {
    readonly calls = new Map<string, SimulatedCall>();
    faults: Faults = cloneFaults(NO_FAULTS);
    tokenRequests = 0;
    tokensIssued = 0;
    /** What the ingestion endpoint took, in order of arrival. */
    telemetry: TelemetryEnvelope[] = [];
    /** Ingestion requests refused for their (missing or wrong) token. */
    ingestionRefusals = 0;
    readonly clock = new SimulatedClock();
    /** Graph ends a call that got no keepAlive for this long (simulated minutes); null: never (the default). */
    keepAliveTimeoutMinutes: number | null = null;
    /** Call records by callChainId, and how long after a call's end Graph has its record (simulated minutes). */
    readonly callRecords = new Map<string, SimulatedCallRecord>();
    callRecordDelayMinutes = 15;
    private readonly scripts = new Map<string, Script>();
    private graphRequests: GraphRequestRecord[] = [];
    private deliveries: DeliveryRecord[] = [];

    reset(): void {
        for (const call of this.calls.values()) clearTimeout(call.ringTimer);
        this.calls.clear();
        this.scripts.clear();
        this.faults = cloneFaults(NO_FAULTS);
        this.tokenRequests = 0;
        this.tokensIssued = 0;
        this.telemetry = [];
        this.ingestionRefusals = 0;
        this.graphRequests = [];
        this.deliveries = [];
        this.clock.reset();
        this.keepAliveTimeoutMinutes = null;
        this.callRecords.clear();
        this.callRecordDelayMinutes = 15;
    }

    setScript(callId: string, responses: ScriptedResponse[]): void {
        this.scripts.set(callId, { responses: [...responses], used: 0 });
    }

    deleteScript(callId: string): boolean {
        return this.scripts.delete(callId);
    }

    /** The call's next scripted answer; once the list is used up, its last entry answers every request. */
    nextScripted(callId: string): ScriptedResponse | undefined {
        const script = this.scripts.get(callId);
        if (script === undefined) {
            return undefined;
        }
        const response = script.responses[Math.min(script.used, script.responses.length - 1)];
        script.used++;
        return response;
    }

    recordGraphRequest(record: GraphRequestRecord): GraphRequestRecord {
        this.graphRequests.push(record);
        return record;
    }

    recordDelivery(record: DeliveryRecord): DeliveryRecord {
        this.deliveries.push(record);
        return record;
    }

    /** A deep copy, so a caller can keep it while the simulator goes on. */
    stats(): SimulatorStats {
        const calls: Record<string, CallStats> = {};
        const entry = (callId: string): CallStats => (calls[callId] ??= { graphRequests: [], deliveries: [] });
        for (const call of this.calls.values()) entry(call.id).state = call.state;
        for (const record of this.graphRequests) if (record.callId !== undefined) entry(record.callId).graphRequests.push(record);
        for (const record of this.deliveries) entry(record.callId).deliveries.push(record);
        return structuredClone({
            tokenRequests: this.tokenRequests,
            tokensIssued: this.tokensIssued,
            telemetryItems: this.telemetry.length,
            ingestionRefusals: this.ingestionRefusals,
            graphRequests: this.graphRequests,
            deliveries: this.deliveries,
            calls,
            faults: this.faults,
        });
    }
}

export function cloneFaults(faults: Readonly<Faults>): Faults {
    return structuredClone(faults) as Faults;
}
