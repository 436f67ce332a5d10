// One offline run of the whole app: Azurite (Blob, Queue and Table Storage), the call simulator (Entra, Graph's
// calls API, signed callbacks), the example bot behind the relay, and the functions, wired to each other, started
// in that order and stopped with the functions first.

import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import { startAzurite, type AzuritePorts } from '../azurite';
import { followSimulatorActivity } from './activity';
import { REPOSITORY_ROOT, type LocalRunOptions } from './options';
import { LocalRunProcesses, prefixLines, type ChildExit } from './processes';
import { localRunFilePath, removeLocalRunFile, writeLocalRunFile } from '../../cli/localRunFile';
import { spawn } from 'node:child_process';
import {
    accessOverrides,
    exampleBotUrl,
    extraCaCertsFile,
    lifecycleOverrides,
    readSettingValues,
    relayOverrides,
    settingOverrides,
    STORAGE_SETTINGS,
    type SettingOverride,
} from './settings';
import { portInUse, waitForPort } from '../ports';
import { startSimulator, type RunningSimulator } from '../simulator';
import { describeRunner, spawnFunctions, type FunctionsRunner } from './startFunc';
import { loadOrCreateTls } from '../tls';

/** The local host is up in a second or two; Core Tools may first fetch its extension bundle. */
const READY_TIMEOUT_MS = { localHost: 30_000, coreTools: 180_000 } as const;
/** `127.0.0.1 - - [29/Nov/2026:04:57:26 +0000] "POST /devstoreaccount1/$batch HTTP/1.1" 202 -` */
const AZURITE_ACCESS_LOG_LINE = /^\S+ - \S+ \[[^\]]+\] "[A-Z]+ /;
/** Longer than the local host's own 5 s drain of in-flight requests. */
const FUNCTIONS_STOP_GRACE_MS = 8000;
/** Enough to write the tables to disk. */
const AZURITE_STOP_GRACE_MS = 5000;
const BOT_READY_TIMEOUT_MS = 10_000;

/** A port this run needs is taken; the message names each one and what it was for. */
export class PortsTakenError extends Error {
    constructor(readonly taken: ReadonlyArray<{ port: number; role: string }>) {
        super(
            [
                ...taken.map(({ port, role }) => `Port ${port} (${role}) is already in use.`),
                'Nothing was started. Is another `npm start` still running? Stop it, or free the port',
                `(e.g. \`lsof -i :${taken[0]?.port ?? ''}\` shows who holds it), or pick other ports: npm start -- --help`,
            ].join('\n'),
        );
        this.name = 'PortsTakenError';
    }
}

/** Ctrl-C arrived while starting; not a failure. */
class StopRequested extends Error {}

export interface LocalRunOutput {
    /** Whole lines, with their newline. */
    out(text: string): void;
    err(text: string): void;
}

export interface ReadyRun {
    apiUrl: string;
    /** Where the host's admin API is (`POST {adminUrl}/functions/{name}` runs a function). */
    adminUrl: string;
    simulator: RunningSimulator;
    azurite: AzuritePorts;
    /** The run file the `calls` CLI reads. */
    runFile: string;
    /** The simulator's CA certificate: what clients of the simulator must trust. */
    simulatorCaFile: string;
    overrides: SettingOverride[];
    /** The example bot, and where the relay delivers (the example bot, unless RELAY_URL names another endpoint). */
    bot: { url: string; relayUrl: string };
    pids: Record<'azurite' | 'functions' | 'bot', number | undefined>;
}

/**
 * Throws PortsTakenError unless every port is free on 127.0.0.1: nothing accepts connections there, and
 * this process could listen on it.
 */
export async function refuseTakenPorts(ports: ReadonlyArray<{ port: number; role: string }>): Promise<void> {
    const taken = [];
    for (const entry of ports) {
        if ((await portInUse(entry.port)) || !(await canListen(entry.port))) taken.push(entry);
    }
    if (taken.length > 0) throw new PortsTakenError(taken);
}

async function canListen(port: number): Promise<boolean> {
    const server = net.createServer();
    try {
        server.listen(port, '127.0.0.1');
        await once(server, 'listening');
        return true;
    } catch {
        return false;
    } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
    }
}

export class LocalRun {
    readonly #options: LocalRunOptions;
    readonly #runner: FunctionsRunner;
    readonly #output: LocalRunOutput;
    readonly #processes: LocalRunProcesses;
    #simulator: RunningSimulator | undefined;
    #stopActivity: (() => void) | undefined;
    #runFile: string | undefined;
    #stopRequested = false;
    #stopped: Promise<void> | undefined;

    constructor(options: LocalRunOptions, runner: FunctionsRunner, output: LocalRunOutput, onUnexpectedExit: (exit: ChildExit) => void) {
        this.#options = options;
        this.#runner = runner;
        this.#output = output;
        this.#processes = new LocalRunProcesses(onUnexpectedExit);
    }

    /** Starts Azurite, the simulator and the functions, and resolves once the functions accept requests. */
    async start(): Promise<ReadyRun> {
        const { azuritePort, azuriteBlobPort, azuriteQueuePort, simulatorPort, functionsPort, botPort, dataDir, tlsDir, settingsFile } = this.#options;
        const azurite = await startAzurite({
            port: azuritePort,
            blobPort: azuriteBlobPort,
            queuePort: azuriteQueuePort,
            location: dataDir,
            onLog: (line) => this.#azuriteLog(line),
        });
        // Azurite saves its tables on SIGINT only; SIGTERM would lose the last seconds of history.
        this.#processes.adopt('Azurite', azurite.process, { signal: 'SIGINT', graceMs: AZURITE_STOP_GRACE_MS });
        this.#checkNotStopping();

        const tls = loadOrCreateTls(tlsDir);
        this.#simulator = await startSimulator({ port: simulatorPort, tls, log: (line) => this.#output.out(`[simulator] ${line}\n`) });
        this.#stopActivity = followSimulatorActivity(this.#simulator, (line) => this.#output.out(`[simulator] ${line}\n`));
        this.#checkNotStopping();

        const current = { ...readSettingValues(settingsFile), ...process.env };
        const overrides = [
            ...settingOverrides(current, { azurite: azurite.ports, simulator: this.#simulator }),
            ...lifecycleOverrides(current, process.env),
            ...relayOverrides(current, botPort),
            ...accessOverrides(this.#options.signIn, current, process.env),
        ];
        const simulatorCaFile = tls.caCertPath ?? path.join(tlsDir, 'ca.pem');
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            ...Object.fromEntries(overrides.map(({ name, value }) => [name, value])),
            NODE_EXTRA_CA_CERTS: extraCaCertsFile(simulatorCaFile, process.env.NODE_EXTRA_CA_CERTS),
        };
        const botPid = await this.#startBot(env, env.RELAY_SECRET ?? current.RELAY_SECRET ?? '', botPort, functionsPort);
        this.#checkNotStopping();
        const functions = spawnFunctions({
            runner: this.#runner,
            port: functionsPort,
            appDir: REPOSITORY_ROOT,
            settingsFile,
            env,
            // Timer status next to the data, so a restart knows which runs it missed (isPastDue).
            timerStatusDir: path.join(dataDir, 'timers'),
            signIn: this.#options.signIn,
        });
        prefixLines(functions.stdout, '[functions]', this.#output.out);
        prefixLines(functions.stderr, '[functions]', this.#output.err);
        this.#processes.adopt(this.#functionsName, functions, { graceMs: FUNCTIONS_STOP_GRACE_MS });
        await this.#functionsReady(functions, functionsPort);
        this.#checkNotStopping();

        const apiUrl = `http://localhost:${functionsPort}/api`;
        this.#runFile = localRunFilePath(settingsFile);
        writeLocalRunFile(this.#runFile, {
            pid: process.pid,
            startedAt: new Date().toISOString(),
            apiUrl,
            simulatorUrl: this.#simulator.url,
            azurite: azurite.ports,
            settings: Object.fromEntries(overrides.filter(({ name }) => (STORAGE_SETTINGS as readonly string[]).includes(name)).map(({ name, value }) => [name, value])),
        });
        return {
            apiUrl,
            adminUrl: `http://localhost:${functionsPort}/admin`,
            simulator: this.#simulator,
            azurite: azurite.ports,
            runFile: this.#runFile,
            simulatorCaFile,
            overrides,
            bot: { url: exampleBotUrl(botPort), relayUrl: env.RELAY_URL ?? current.RELAY_URL ?? '' },
            pids: { azurite: azurite.process.pid, functions: functions.pid, bot: botPid },
        };
    }

    /**
     * The example bot, as its own process (its Graph calls trust the simulator's CA through NODE_EXTRA_CA_CERTS, as
     * the functions' do), with the app's relay secret; it answers incoming calls with the app's callback.
     */
    async #startBot(env: NodeJS.ProcessEnv, secret: string, port: number, functionsPort: number): Promise<number | undefined> {
        const simulator = this.#simulator;
        if (simulator === undefined) return undefined;
        const bot = spawn(
            process.execPath,
            [
                path.join(REPOSITORY_ROOT, 'dist/dev/exampleBot/main.js'),
                '--port',
                String(port),
                '--secret',
                secret,
                '--graph',
                simulator.graphBaseUrl,
                '--app-callback',
                `http://localhost:${functionsPort}/api/callback`,
            ],
            {
                env: {
                    ...env,
                    AZURE_TENANT_ID: simulator.tenantId,
                    AZURE_CLIENT_ID: simulator.clientId,
                    AZURE_CLIENT_SECRET: simulator.clientSecret,
                    AZURE_AUTHORITY_HOST: simulator.authorityHost,
                },
                stdio: ['ignore', 'pipe', 'pipe'],
            },
        );
        prefixLines(bot.stdout, '[bot]', this.#output.out);
        prefixLines(bot.stderr, '[bot]', this.#output.err);
        this.#processes.adopt('Example bot', bot);
        const exited = once(bot, 'exit').then(([code]) => {
            throw new Error(`The example bot exited with code ${String(code)} before it listened on port ${port}; its output is above.`);
        });
        try {
            await Promise.race([waitForPort(port, BOT_READY_TIMEOUT_MS), exited]);
        } finally {
            exited.catch(() => undefined);
        }
        return bot.pid;
    }

    /** Stops everything started so far, the functions first. Safe to call at any time, and more than once. */
    stop(): Promise<void> {
        this.#stopRequested = true;
        this.#stopped ??= (async () => {
            this.#processes.markStopping();
            this.#stopActivity?.();
            if (this.#runFile !== undefined) removeLocalRunFile(this.#runFile);
            // The app first, so no request of it is cut off by a vanished simulator or store; then what it used.
            await this.#processes.stop(this.#functionsName);
            await this.#simulator?.stop();
            await this.#processes.stopAll();
        })();
        return this.#stopped;
    }

    get #functionsName(): string {
        return this.#runner.kind === 'coreTools' ? 'Core Tools (func start)' : 'Functions host';
    }

    get stopRequested(): boolean {
        return this.#stopRequested;
    }

    async #functionsReady(functions: ReturnType<typeof spawnFunctions>, port: number): Promise<void> {
        const name = describeRunner(this.#runner);
        const exited = once(functions, 'exit').then(([code]) => {
            throw new Error(`The ${name} exited with code ${String(code)} before it listened on port ${port}; its output is above.`);
        });
        const timeoutMs = READY_TIMEOUT_MS[this.#runner.kind];
        try {
            await Promise.race([waitForPort(port, timeoutMs), exited]);
        } finally {
            exited.catch(() => undefined);
        }
    }

    /** Azurite's access log (a line per storage request) would drown everything else; the rest is shown. */
    #azuriteLog(line: string): void {
        if (!AZURITE_ACCESS_LOG_LINE.test(line)) this.#output.out(`[azurite] ${line}\n`);
    }

    #checkNotStopping(): void {
        if (this.#stopRequested) throw new StopRequested('Stopped while starting.');
    }
}

export function isStopRequested(err: unknown): boolean {
    return err instanceof StopRequested;
}
