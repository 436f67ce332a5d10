// Runs `npm start` (dist/dev/start.js) and `npm run demo` (dist/dev/demo/main.js) as real processes for the end-to-end
// tests: on free ports, with their data, certificates and settings in a temporary folder, never the developer's.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { devStorageConnectionString, stopChild } from '../../dev/azurite';
import { jsonRequest, type JsonResponse } from '../../dev/demo/client';
import { freePorts } from '../../dev/ports';
import { REPOSITORY_ROOT } from './hostProcess';
import { appOpenApi } from './openApi';

const START_SCRIPT = path.join(REPOSITORY_ROOT, 'dist/dev/start.js');
const DEMO_SCRIPT = path.join(REPOSITORY_ROOT, 'dist/dev/demo/main.js');
const READY_LINE = 'Ready: the whole app runs offline.';
/** More than the run's own worst case: the functions' 8 s grace, then Azurite's 3 s. */
const STOP_TIMEOUT_MS = 20_000;

export interface LocalRunPorts {
    functions: number;
    simulator: number;
    /** Azurite's Table port. */
    azurite: number;
    azuriteBlob: number;
    azuriteQueue: number;
    /** The example bot the relay delivers to. */
    bot: number;
}

export interface LocalRunFolders {
    dataDir: string;
    tlsDir: string;
    settingsFile: string;
}

export interface ProcessResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export interface LocalRunProcess {
    ports: LocalRunPorts;
    folders: LocalRunFolders;
    apiUrl: string;
    simulatorUrl: string;
    simulatorCaFile: string;
    process: ChildProcess;
    /** From the ready message. */
    pids: { functions: number; azurite: number };
    /** stdout and stderr so far, interleaved. */
    output(): string;
    /** A request to the app (`path` below /api), with `headers` (a sign-in's cookie); its answer is checked against the OpenAPI document. */
    app(method: string, apiPath: string, headers?: Record<string, string>): Promise<JsonResponse>;
    /** A request to the simulator over HTTPS, trusting its CA (`path` from its origin, e.g. /_control/faults). */
    simulator(method: string, simulatorPath: string, body?: object): Promise<JsonResponse>;
    /** The call record's table in this run's Azurite. */
    table(): TableClient;
    /** Sends `signal` and resolves with how the run ended. */
    stop(signal?: NodeJS.Signals): Promise<ProcessResult>;
    /** Resolves with how the run ended, whatever ended it; rejects after `timeoutMs`. */
    exited(timeoutMs?: number): Promise<ProcessResult>;
}

/** A folder for one run's data, certificates and settings; remove it with `removeFolders`. */
export function newFolders(): LocalRunFolders {
    const root = mkdtempSync(path.join(os.tmpdir(), 'e2e-local-run-'));
    return { dataDir: path.join(root, 'azurite'), tlsDir: path.join(root, 'tls'), settingsFile: path.join(root, 'local.settings.json') };
}

export function removeFolders(folders: LocalRunFolders): void {
    rmSync(path.dirname(folders.settingsFile), { recursive: true, force: true });
}

/** Six different free ports, picked together (one after another, the OS can give the same port twice). */
export async function newPorts(): Promise<LocalRunPorts> {
    const [functions, simulator, azurite, azuriteBlob, azuriteQueue, bot] = (await freePorts(6)) as [number, number, number, number, number, number];
    return { functions, simulator, azurite, azuriteBlob, azuriteQueue, bot };
}

export function startArguments(ports: LocalRunPorts, folders: LocalRunFolders): string[] {
    return [
        '--port',
        String(ports.functions),
        '--simulator-port',
        String(ports.simulator),
        '--azurite-port',
        String(ports.azurite),
        '--azurite-blob-port',
        String(ports.azuriteBlob),
        '--azurite-queue-port',
        String(ports.azuriteQueue),
        '--bot-port',
        String(ports.bot),
        '--data-dir',
        folders.dataDir,
        '--tls-dir',
        folders.tlsDir,
        '--settings',
        folders.settingsFile,
    ];
}

/**
 * Starts dist/dev/start.js and resolves once it prints that everything is ready.
 *
 * @example
 * const run = await startLocalRun({ folders: newFolders() });
 * try { await run.app('GET', '/calls'); } finally { await run.stop(); }
 */
export async function startLocalRun(options: {
    folders: LocalRunFolders;
    ports?: LocalRunPorts;
    timeoutMs?: number;
    /** App settings for this run, as a user would set them in the environment (it wins over local.settings.json). */
    env?: Record<string, string>;
    /** More of npm start's options (--sign-in). */
    args?: string[];
}): Promise<LocalRunProcess> {
    const ports = options.ports ?? (await newPorts());
    const child = spawn(process.execPath, [START_SCRIPT, ...startArguments(ports, options.folders), ...(options.args ?? [])], {
        cwd: REPOSITORY_ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const streams = collectOutput(child);
    const ended = once(child, 'exit').then(([code, signal]) => ({ code, signal, ...streams.result() }) as ProcessResult);
    const timeoutMs = options.timeoutMs ?? 30_000;
    const ready = await Promise.race([streams.waitFor(READY_LINE, timeoutMs).then(() => true), ended.then(() => false)]).catch(async (err: unknown) => {
        await stopChild(child);
        throw err;
    });
    if (!ready) {
        throw new Error(`npm start ended before it was ready. Output:\n${streams.all()}`);
    }
    const simulatorCaFile = path.join(options.folders.tlsDir, 'ca.pem');
    const ca = readFileSync(simulatorCaFile, 'utf8');
    const apiUrl = `http://localhost:${ports.functions}/api`;
    const simulatorUrl = `https://localhost:${ports.simulator}`;
    const pid = (label: string): number => Number(new RegExp(`^  ${label}\\b.*\\bpid (\\d+)`, 'm').exec(streams.all())?.[1] ?? NaN);
    return {
        ports,
        folders: options.folders,
        apiUrl,
        simulatorUrl,
        simulatorCaFile,
        process: child,
        pids: { functions: pid('Functions'), azurite: pid('Storage') },
        output: streams.all,
        app: async (method, apiPath, headers = {}) => {
            const url = `${apiUrl}${apiPath}`;
            const answer = await jsonRequest(method, url, { headers, whenUnreachable: 'The app of the test run is gone.' });
            appOpenApi().check({ method, url, status: answer.status, headers: answer.headers, body: answer.text });
            return answer;
        },
        simulator: (method, simulatorPath, body) =>
            jsonRequest(method, `${simulatorUrl}${simulatorPath}`, { ca, ...(body ? { body } : {}), whenUnreachable: 'The simulator of the test run is gone.' }),
        table: () => TableClient.fromConnectionString(devStorageConnectionString(ports.azurite), 'CallHistory', { allowInsecureConnection: true }),
        stop: async (signal = 'SIGINT') => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return withTimeout(ended, STOP_TIMEOUT_MS, () => `npm start did not stop within ${STOP_TIMEOUT_MS} ms. Output:\n${streams.all()}`);
        },
        exited: (timeoutMs = STOP_TIMEOUT_MS) => withTimeout(ended, timeoutMs, () => `npm start did not end within ${timeoutMs} ms. Output:\n${streams.all()}`),
    };
}

/** Runs a script of this repository to its end (start.js refusing to start, demo.js). */
export async function runScript(script: 'start' | 'demo', args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<ProcessResult> {
    const child = spawn(process.execPath, [script === 'start' ? START_SCRIPT : DEMO_SCRIPT, ...args], {
        cwd: REPOSITORY_ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    const streams = collectOutput(child);
    const ended = once(child, 'exit').then(([code, signal]) => ({ code, signal, ...streams.result() }) as ProcessResult);
    return withTimeout(ended, timeoutMs, () => {
        child.kill('SIGKILL');
        return `${script} did not end within ${timeoutMs} ms. Output:\n${streams.all()}`;
    });
}

function collectOutput(child: ChildProcess) {
    let stdout = '';
    let stderr = '';
    let all = '';
    const listeners = new Set<() => void>();
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        all += chunk;
        for (const listener of listeners) listener();
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        all += chunk;
        for (const listener of listeners) listener();
    });
    return {
        all: () => all,
        result: () => ({ stdout, stderr }),
        waitFor: (text: string, timeoutMs: number) =>
            new Promise<void>((resolve, reject) => {
                const check = () => {
                    if (!all.includes(text)) return;
                    done();
                    resolve();
                };
                const timer = setTimeout(() => {
                    done();
                    reject(new Error(`"${text}" did not appear within ${timeoutMs} ms. Output:\n${all}`));
                }, timeoutMs);
                const done = () => {
                    clearTimeout(timer);
                    listeners.delete(check);
                };
                listeners.add(check);
                check();
            }),
    };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), timeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `read` until `done` holds for its value; rejects with the last value after `timeoutMs`. */
/** The deadline only bounds how long a failure takes to show; a passing run never waits for it. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000, what = 'the condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T = await read();
    while (!done(last)) {
        if (Date.now() > deadline) {
            throw new Error(`${what} did not hold within ${timeoutMs} ms; last seen: ${JSON.stringify(last, replacer)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
        last = await read();
    }
    return last;
}

function replacer(_key: string, value: unknown): unknown {
    return typeof value === 'bigint' ? String(value) : value;
}
