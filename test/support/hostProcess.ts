// Runs the local Functions host (dist/dev/host/main.js) as a child process for tests, on a free port, with a
// chosen environment and no developer's local.settings.json unless a test asks for one.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { stopChild } from '../../dev/azurite';

/** The repository root (this file runs from dist/test/support). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const HOST_SCRIPT = path.join(REPOSITORY_ROOT, 'dist/dev/host/main.js');
const LISTENING_LINE = /Host is listening on http:\/\/localhost:(\d+)(\/\S*)?/;
/** Longer than the host's own 5 s drain, so a clean shutdown is never cut short. */
const STOP_GRACE_MS = 8000;

export interface HostProcessOptions {
    /** Added to (and overriding) this process's environment. */
    env: Record<string, string>;
    /** The settings file to pass; default: a path that does not exist. `null`: let the host use its default. */
    settingsFile?: string | null;
    /** Default 0: a free port. */
    port?: number;
    /** The function app's folder; default the repository root (the real app). */
    appDir?: string;
    /** How long to wait for the listening line. Default 20 s. */
    timeoutMs?: number;
    /** Where the host keeps its timers' schedule status (--timer-status-dir); default the host's own. */
    timerStatusDir?: string;
    /** Play App Service Authentication in front of the app (--sign-in). */
    signIn?: boolean;
}

export interface HostProcess {
    /** E.g. `http://127.0.0.1:PORT/api`, without a trailing slash. */
    baseUrl: string;
    port: number;
    process: ChildProcess;
    /** Everything the host printed so far, stdout and stderr interleaved. */
    logs(): string;
    /** Resolves once the output contains `text`; rejects with the output after `timeoutMs`. */
    waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
    /**
     * Runs a non-HTTP function (a timer, a queue function) through the host's admin endpoint, as `POST
     * /admin/functions/{name}` does in Azure, with `input` as a queue function's message, and resolves with what the
     * host printed from then until the run ended.
     */
    runFunction(name: string, timeoutMs?: number, input?: string): Promise<string>;
    stop(): Promise<void>;
}

/** The host exited before it listened; `output` has what it printed. */
export class HostExitedError extends Error {
    constructor(
        readonly exitCode: number | null,
        readonly output: string,
    ) {
        super(`The local host exited with code ${String(exitCode)} before listening. Output:\n${output}`);
        this.name = 'HostExitedError';
    }
}

/**
 * @example
 * const host = await startHostProcess({ env: { CallHistoryStorage: connectionString } });
 * try { await fetch(`${host.baseUrl}/calls/abc`); } finally { await host.stop(); }
 */
export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
    const settingsFile = options.settingsFile === undefined ? path.join(os.tmpdir(), `no-local-settings-${randomUUID()}.json`) : options.settingsFile;
    const args = [
        HOST_SCRIPT,
        '--port',
        String(options.port ?? 0),
        '--app',
        options.appDir ?? REPOSITORY_ROOT,
        ...(settingsFile === null ? [] : ['--settings', settingsFile]),
        ...(options.timerStatusDir === undefined ? [] : ['--timer-status-dir', options.timerStatusDir]),
        ...(options.signIn === true ? ['--sign-in'] : []),
    ];
    const child = spawn(process.execPath, args, {
        cwd: REPOSITORY_ROOT,
        // The Functions host always has AzureWebJobsStorage (the call-ended events fall back to it): the test's Azurite.
        env: { ...defaultHostStorage(), ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const outputListeners = new Set<() => void>();
    for (const stream of [child.stdout, child.stderr]) {
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
            output += chunk;
            for (const listener of outputListeners) listener();
        });
    }

    const waitForLog = (text: string | RegExp, timeoutMs = 30_000) =>
        new Promise<void>((resolve, reject) => {
            const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
            const check = () => {
                if (!found()) return;
                cleanup();
                resolve();
            };
            const timer = setTimeout(() => {
                cleanup();
                reject(new Error(`The host did not log ${String(text)} within ${timeoutMs} ms. Output:\n${output}`));
            }, timeoutMs);
            // A wait abandoned because the host exited must not hold the test process open.
            timer.unref();
            const cleanup = () => {
                clearTimeout(timer);
                outputListeners.delete(check);
            };
            outputListeners.add(check);
            check();
        });

    const exited = once(child, 'exit').then(([code]) => {
        throw new HostExitedError(code as number | null, output);
    });
    const listening = waitForLog(LISTENING_LINE, options.timeoutMs ?? 20_000);
    try {
        await Promise.race([listening, exited]);
    } catch (err) {
        await stopChild(child);
        throw err;
    } finally {
        listening.catch(() => undefined);
        exited.catch(() => undefined);
    }
    const [, port = '0', prefix = ''] = LISTENING_LINE.exec(output) ?? [];
    return {
        baseUrl: `http://127.0.0.1:${port}${prefix}`,
        port: Number(port),
        process: child,
        logs: () => output,
        waitForLog,
        runFunction: async (name, timeoutMs = 30_000, input = '') => {
            const from = output.length;
            const answer = await fetch(`http://127.0.0.1:${port}/admin/functions/${encodeURIComponent(name)}`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/json' },
                body: JSON.stringify({ input }),
            });
            if (answer.status !== 202) throw new Error(`The host answered ${answer.status} to running ${name}: ${await answer.text()}`);
            // This run, not another of the same function (a queue message, a timer) that ends meanwhile: its invocation
            // id is on the Executing line the admin call logs. Anchored, so the search starts where this run began.
            const executing = new RegExp(
                `^[\\s\\S]{${from}}[\\s\\S]*?Executing 'Functions\\.${escapeRegExp(name)}' \\(Reason='This function was programmatically called via the host APIs\\.', Id=([^)]+)\\)`,
            );
            await waitForLog(executing, timeoutMs);
            const id = executing.exec(output)?.[1] ?? '';
            await waitForLog(new RegExp(`^[\\s\\S]{${from}}[\\s\\S]*?Executed 'Functions\\.${escapeRegExp(name)}' \\([^)]*Id=${escapeRegExp(id)}`), timeoutMs);
            return output.slice(from);
        },
        stop: () => stopChild(child, STOP_GRACE_MS),
    };
}

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function defaultHostStorage(): Record<string, string> {
    const connectionString = process.env.TEST_STORAGE_CONNECTION_STRING;
    return connectionString === undefined ? {} : { AzureWebJobsStorage: connectionString };
}
