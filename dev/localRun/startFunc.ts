// How `npm start` runs the functions: the local host (dist/dev/host/main.js, no Core Tools needed) by default, or
// Azure Functions Core Tools' `func start` for `npm run start:func` when `func` is installed.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type FunctionsRunner = { kind: 'localHost' } | { kind: 'coreTools'; func: string };

/** `npm run start:func` was asked for, but Core Tools cannot run here; the message says what to do instead. */
export class CoreToolsMissingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'CoreToolsMissingError';
    }
}

/**
 * Finds `func` on PATH, as a shell would.
 *
 * @example
 * findOnPath('func', process.env) // '/usr/local/bin/func', or undefined
 */
function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
    const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
    for (const folder of (env.PATH ?? '').split(path.delimiter)) {
        if (folder === '') continue;
        for (const extension of extensions) {
            const candidate = path.join(folder, command + extension);
            try {
                accessSync(candidate, constants.X_OK);
                return candidate;
            } catch {
                // not here; keep looking
            }
        }
    }
    return undefined;
}

/** Core Tools, or a clear refusal; Core Tools reads local.settings.json from the app folder only. */
export function coreToolsRunner(env: NodeJS.ProcessEnv, appDir: string, settingsFile: string): FunctionsRunner {
    const func = findOnPath('func', env);
    if (func === undefined) {
        throw new CoreToolsMissingError(
            [
                'Azure Functions Core Tools (`func`) is not on PATH, so `npm run start:func` cannot run.',
                'Install Core Tools v4 (https://learn.microsoft.com/azure/azure-functions/functions-run-local), then try again;',
                'or run `npm start`, which runs the same functions, Azurite and call simulator with a local host and needs no Core Tools.',
            ].join('\n'),
        );
    }
    const expected = path.join(appDir, 'local.settings.json');
    if (path.resolve(settingsFile) !== expected) {
        throw new CoreToolsMissingError(`Core Tools reads its settings from ${expected} only; --settings cannot point it elsewhere.`);
    }
    return { kind: 'coreTools', func };
}

export interface FunctionsProcessOptions {
    runner: FunctionsRunner;
    port: number;
    appDir: string;
    settingsFile: string;
    env: NodeJS.ProcessEnv;
    /** Where the local host keeps its timers' schedule status (Core Tools keeps it in AzureWebJobsStorage). */
    timerStatusDir: string;
    /** The local host plays App Service Authentication (--sign-in). */
    signIn?: boolean;
}

/** Spawns the functions' process; its output is piped for the caller to show. */
export function spawnFunctions(options: FunctionsProcessOptions): ChildProcess {
    const { runner, port, appDir, env } = options;
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    if (runner.kind === 'coreTools') {
        // A .cmd on Windows runs only through a shell.
        return spawn(runner.func, ['start', '--port', String(port)], { cwd: appDir, env, stdio, shell: process.platform === 'win32' });
    }
    const hostScript = path.join(appDir, 'dist/dev/host/main.js');
    const args = [
        hostScript,
        '--port',
        String(port),
        '--app',
        appDir,
        '--settings',
        options.settingsFile,
        '--timer-status-dir',
        options.timerStatusDir,
        ...(options.signIn === true ? ['--sign-in'] : []),
    ];
    return spawn(process.execPath, args, { cwd: appDir, env, stdio });
}

export function describeRunner(runner: FunctionsRunner): string {
    return runner.kind === 'coreTools' ? `Azure Functions Core Tools (${runner.func})` : 'local Functions host (dist/dev/host/main.js)';
}
