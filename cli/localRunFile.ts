// The run file: where a running `npm start` serves (API, simulator, Azurite) and the storage settings it gave
// the app, written next to its local.settings.json (git-ignored) so the `calls` CLI started in the same folder
// reads the same storage even when `npm start` was moved to other ports. The CLI owns the format, since it ships
// and npm start does not; npm start writes it through this file.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const LOCAL_RUN_FILE_NAME = '.local-run.json';

export interface LocalRunFile {
    /** The `npm start` process; a file whose process is gone is stale and ignored. */
    pid: number;
    startedAt: string;
    apiUrl: string;
    simulatorUrl: string;
    /** Azurite's ports. */
    azurite: { blob: number; queue: number; table: number };
    /** Settings `npm start` gave the app instead of local.settings.json's (its storage, the simulator's addresses, ...). */
    settings: Record<string, string>;
    /** The certificates the app trusts besides Node's (`NODE_EXTRA_CA_CERTS`: the simulator's CA), for `calls doctor`. */
    caFile?: string;
}

/** The run file that belongs with this settings file. */
export function localRunFilePath(settingsFile: string): string {
    return path.join(path.dirname(settingsFile), LOCAL_RUN_FILE_NAME);
}

export function writeLocalRunFile(file: string, run: LocalRunFile): void {
    writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
}

/** Removes the file if it is still this process's (a newer `npm start` may have replaced it). */
export function removeLocalRunFile(file: string, pid = process.pid): void {
    if (readLocalRunFile(file)?.pid === pid) rmSync(file, { force: true });
}

/**
 * The run file of an `npm start` that is still running, or undefined (no file, a file left by a run that
 * ended without removing it, or a file that is not one of ours).
 *
 * @example
 * readLocalRunFile(path.join(process.cwd(), LOCAL_RUN_FILE_NAME))?.settings.CallHistoryStorage
 */
export function readLocalRunFile(file: string): LocalRunFile | undefined {
    let run: unknown;
    try {
        run = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
        return undefined;
    }
    if (!isLocalRunFile(run) || !processRuns(run.pid)) return undefined;
    return run;
}

function isLocalRunFile(value: unknown): value is LocalRunFile {
    if (typeof value !== 'object' || value === null) return false;
    const run = value as Partial<LocalRunFile>;
    return (
        Number.isInteger(run.pid) &&
        typeof run.apiUrl === 'string' &&
        typeof run.settings === 'object' &&
        run.settings !== null &&
        Object.values(run.settings).every((setting) => typeof setting === 'string')
    );
}

function processRuns(pid: number | undefined): boolean {
    if (pid === undefined) return false;
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        // EPERM: it runs, as another user.
        return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
}
