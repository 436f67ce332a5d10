// Starts the simulator: one HTTPS origin on the loopback addresses serving Entra, Graph's calls API, the callback
// signer and the control API, plus the handle that tests and `npm start` use to steer and stop it.

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadOrCreateTls, type TlsMaterial } from '../tls';
import { CallbackDelivery } from './callbackDelivery';
import { handleCallbackSigner, signCallbackToken } from './callbackSigner';
import type { SimulatorContext, SimulatorKeys, SimulatorSettings } from './context';
import { expireCalls } from './callLifecycle';
import { changeCallRoster, createTestCall, dropCount, handleControl, parseClock, resetSimulator, setClock, type ClockSettings, type SimulatedClockView } from './control';
import { shapeCallRecord } from './callRecords';
import { parseRosterChange, type RosterChangeInput } from './roster';
import { SIMULATOR_DEFAULTS } from './defaults';
import { simulatorEndpoints, type SimulatorEndpoints } from './endpoints';
import { handleEntra } from './entra';
import { SimulatorInputError } from './errors';
import { NO_FAULTS, parseFaults, parseScript, type Faults, type ScriptedResponse } from './faults';
import { handleGraph } from './graphCalls';
import { handleIngestion } from './ingestion';
import { sendJson, type Exchange } from './http';
import { createSigningKey } from './signingKeys';
import { cloneFaults, SimulatorState, type CallDirection, type SimulatorStats, type TelemetryEnvelope } from './state';

export interface SimulatorOptions {
    /** Default 7443; 0 picks a free port. */
    port?: number;
    /** Default: a new CA and certificate kept in memory. */
    tls?: TlsMaterial;
    tenantId?: string;
    clientId?: string;
    clientSecret?: string;
    /** `aud` of callback tokens; defaults to the client id. */
    botAppId?: string;
    /** Application permissions in the app's Graph tokens (`roles`); default a calling bot's. */
    graphRoles?: readonly string[];
    /** How long an incoming call rings before Graph ends it as not answered; default 15 s, as Graph. */
    ringTimeoutMs?: number;
    /** Faults in force from the start. */
    faults?: Partial<Faults>;
    /** The simulated clock's speed and Graph's keepAlive timeout from the start (default: real time, no timeout). */
    clock?: ClockSettings;
    /** Receives one line per noteworthy event (failed callbacks, simulator defects). */
    log?: (line: string) => void;
}

interface TestCallInput {
    id?: string;
    callbackUri: string;
    direction?: CallDirection;
    /** Send the creation notifications (default true). */
    notify?: boolean;
    /** Also send a `/participants` notification once connected. */
    participants?: boolean;
    /** Never send the last N (0-2) notifications of the call's end, so the app never hears it ended. */
    dropLastNotifications?: number;
    /** How long this incoming call rings before Graph ends it unanswered (default: the simulator's ring timeout). */
    ringTimeoutMs?: number;
}

export interface RunningSimulator extends SimulatorEndpoints {
    port: number;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    botAppId: string;
    /** The CA that clients must trust, and its file when the TLS material came from a folder. */
    caCertPem: string;
    caCertPath?: string;
    stats(): SimulatorStats;
    /** What the ingestion endpoint took so far (Application Insights' telemetry items), oldest first. */
    telemetry(): TelemetryEnvelope[];
    /** Answers for one call id, used in order; the last one repeats. */
    script(callId: string, responses: ScriptedResponse[]): void;
    /** Merges into the faults in force and returns them. */
    setFaults(faults: Partial<Faults>): Faults;
    clearFaults(): void;
    /** A call that exists without a Graph POST; returns its Graph call object. */
    createCall(input: TestCallInput): Record<string, unknown> & { id: string };
    /**
     * From now on the call's last `count` (0-2) notifications, those of its end, are never sent: the app keeps it
     * "established" while Graph answers 404 for it. Throws for an unknown call.
     */
    dropLastNotifications(callId: string, count: number): void;
    /**
     * Changes a call's roster (the bot joins with the first change) and sends Graph's participants notification:
     * the whole roster, or `as: 'delta'`; `resendVersion` sends an earlier full roster again, late and stale.
     */
    roster(callId: string, change: RosterChangeInput & { resendVersion?: number }): { version: number; present: string[] };
    /**
     * Speeds up or moves on the simulated clock, and sets after how many simulated minutes without a keepAlive Graph
     * ends a call (null: never); returns the clock as it is now.
     */
    clock(settings: ClockSettings): SimulatedClockView;
    /**
     * Reshapes an ended call's record in Graph (made when the call ended): `participants` and `sessions` make it that
     * big (`poor` of the sessions with 12% packet loss), `version` moves it on, `delayMinutes` makes it available that
     * many simulated minutes from now.
     */
    callRecord(
        callId: string,
        shape: { participants?: number; sessions?: number; poor?: number; version?: number; delayMinutes?: number },
    ): { version: number; participants: number; sessions: number };
    /** Resolves once every queued callback has been delivered (or has failed). */
    settled(timeoutMs?: number): Promise<void>;
    /** Forgets calls, scripts, faults and counters. */
    reset(): void;
    stop(): Promise<void>;
}

/**
 * Starts the simulator and resolves once it accepts connections.
 *
 * @example
 * const sim = await startSimulator({ port: 0 });
 * try {
 *     // app settings: AZURE_AUTHORITY_HOST=sim.authorityHost, GRAPH_BASE_URL=sim.graphBaseUrl, ...
 * } finally {
 *     await sim.stop();
 * }
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
    const tls = options.tls ?? loadOrCreateTls();
    const log = options.log ?? (() => undefined);
    const [entra, callback, rogue] = await Promise.all([createSigningKey(), createSigningKey(), createSigningKey()]);
    const keys: SimulatorKeys = { entra, callback, rogue };
    const state = new SimulatorState();
    if (options.faults !== undefined) {
        Object.assign(state.faults, parseFaults({ ...options.faults }));
    }
    // The port is known only once listening; the context is completed then, before any request is served.
    const settings: SimulatorSettings = {
        url: '',
        port: 0,
        tenantId: (options.tenantId ?? SIMULATOR_DEFAULTS.tenantId).toLowerCase(),
        clientId: (options.clientId ?? SIMULATOR_DEFAULTS.clientId).toLowerCase(),
        clientSecret: options.clientSecret ?? SIMULATOR_DEFAULTS.clientSecret,
        botAppId: (options.botAppId ?? options.clientId ?? SIMULATOR_DEFAULTS.botAppId).toLowerCase(),
        servicePrincipalId: randomUUID(),
        graphRoles: [...(options.graphRoles ?? SIMULATOR_DEFAULTS.graphRoles)],
        ringTimeoutMs: options.ringTimeoutMs ?? SIMULATOR_DEFAULTS.ringTimeoutMs,
    };
    const ctx: SimulatorContext = {
        settings,
        keys,
        state,
        log,
        deliveries: new CallbackDelivery({ state, caCertPem: tls.caCertPem, log, signToken: () => signCallbackToken(ctx) }),
    };
    if (options.clock !== undefined) setClock(ctx, parseClock({ ...options.clock }));
    // Graph's keepAlive timeout, checked often enough for a fast clock; it never keeps the process alive.
    const expiry = setInterval(() => expireCalls(ctx), EXPIRY_CHECK_MS);
    expiry.unref();
    const servers = await listenOnLoopback(options.port ?? SIMULATOR_DEFAULTS.port, tls, (req, res) => handleRequest(ctx, req, res), log);
    settings.port = servers.port;
    settings.url = `https://localhost:${servers.port}`;

    return {
        ...simulatorEndpoints(settings),
        port: settings.port,
        tenantId: settings.tenantId,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        botAppId: settings.botAppId,
        caCertPem: tls.caCertPem,
        ...(tls.caCertPath !== undefined ? { caCertPath: tls.caCertPath } : {}),
        stats: () => state.stats(),
        telemetry: () => structuredClone(state.telemetry),
        script: (callId, responses) => state.setScript(callId, parseScript(responses)),
        setFaults: (faults) => cloneFaults(Object.assign(state.faults, parseFaults({ ...faults }))),
        clearFaults: () => {
            state.faults = cloneFaults(NO_FAULTS);
        },
        createCall: (input) => {
            const call = createTestCall(ctx, { ...input });
            return { ...structuredClone(call.resource), id: call.id };
        },
        dropLastNotifications: (callId, count) => {
            const call = state.calls.get(callId);
            if (call === undefined) throw new SimulatorInputError(`The simulator has no call ${callId}.`);
            call.dropLastNotifications = dropCount(count, 'count');
        },
        roster: (callId, change) => changeCallRoster(ctx, callId, parseRosterChange({ ...change })),
        clock: (settings) => setClock(ctx, parseClock({ ...settings })),
        callRecord: (callId, shape) => {
            const record = shapeCallRecord(ctx, callId, { ...shape });
            return { version: record.version, participants: record.participants.length, sessions: record.sessions.length };
        },
        settled: (timeoutMs) => ctx.deliveries.settled(timeoutMs),
        reset: () => resetSimulator(ctx),
        stop: async () => {
            clearInterval(expiry);
            for (const call of state.calls.values()) clearTimeout(call.ringTimer);
            ctx.deliveries.stop();
            await servers.close();
        },
    };
}

/** How often Graph's keepAlive timeout is checked (real ms): 250 ms is 2.5 simulated minutes at speed 600. */
const EXPIRY_CHECK_MS = 250;

type Routes = (ctx: SimulatorContext, ex: Exchange) => boolean | Promise<boolean>;

const ROUTES: readonly Routes[] = [handleControl, handleGraph, handleEntra, handleCallbackSigner, handleIngestion];

/** Never throws: bad control input is a 400, anything else a logged 500, and the server carries on. */
async function handleRequest(ctx: SimulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
        const ex: Exchange = { req, res, url: new URL(req.url ?? '/', ctx.settings.url), method: req.method ?? 'GET' };
        for (const route of ROUTES) {
            if (await route(ctx, ex)) return;
        }
        sendJson(res, 404, { error: `The simulator has nothing at ${ex.method} ${ex.url.pathname}.` });
    } catch (err) {
        if (err instanceof SimulatorInputError) {
            if (!res.headersSent) sendJson(res, 400, { error: err.message });
            return;
        }
        ctx.log(`simulator error on ${req.method ?? '?'} ${req.url ?? '?'}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        if (!res.headersSent) {
            sendJson(res, 500, { error: 'The simulator failed on this request; see its log.' });
        } else {
            res.destroy();
        }
    }
}

interface LoopbackServers {
    port: number;
    close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 and, where the machine has it, on ::1 with the same port, so `localhost` works whichever
 * address a client resolves it to, and nothing outside the machine can reach the (unauthenticated) control API.
 */
async function listenOnLoopback(
    port: number,
    tls: TlsMaterial,
    handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
    log: (line: string) => void,
): Promise<LoopbackServers> {
    const create = (): https.Server => {
        const server = https.createServer(
            {
                cert: tls.certPem,
                key: tls.keyPem,
                keepAlive: true,
                // Longer than the clients' idle keep-alive, so the server is never the side that closes a reused socket.
                keepAliveTimeout: 65_000,
                headersTimeout: 70_000,
            },
            (req, res) => void handler(req, res),
        );
        server.on('error', (err) => log(`simulator server error: ${err.message}`));
        return server;
    };
    const ipv4 = create();
    await listen(ipv4, port, '127.0.0.1');
    const address = ipv4.address();
    if (address === null || typeof address === 'string') {
        throw new Error('The simulator could not read its own port.');
    }
    const servers = [ipv4];
    const ipv6 = create();
    try {
        await listen(ipv6, address.port, '::1');
        servers.push(ipv6);
    } catch (err) {
        log(`not listening on [::1]:${address.port} (${(err as NodeJS.ErrnoException).code ?? String(err)}); 127.0.0.1 only`);
    }
    return {
        port: address.port,
        close: async () => {
            await Promise.all(
                servers.map((server) => {
                    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
                    server.closeAllConnections();
                    return closed;
                }),
            );
        },
    };
}

async function listen(server: https.Server, port: number, host: string): Promise<void> {
    server.listen(port, host);
    try {
        await once(server, 'listening');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
            throw new Error(`Port ${port} on ${host} is already in use; the call simulator cannot start there. Stop whatever uses it or pick another port.`, { cause: err });
        }
        throw err;
    }
}
