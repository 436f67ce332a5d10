// The command line's settings: the app's own, from local.settings.json `Values` in the working directory
// (as Core Tools reads them), then what a running `npm start` gave the app instead (its run file, so the CLI
// follows it to other Azurite ports), with the process environment winning, so it reads the table the app writes.

import path from 'node:path';
import { LOCAL_RUN_FILE_NAME, readLocalRunFile, type LocalRunFile } from '../dev/localRunFile';
import type { Environment, StorageConfig } from '../shared/config';
import { readLocalSettings } from '../shared/localSettings';
import { CliError, EXIT } from './cliError';

const LOCAL_SETTINGS_FILE = 'local.settings.json';

export interface CliSettings {
    environment: Environment;
    /** The running `npm start` whose settings were used, if any. */
    localRun?: LocalRunFile & { file: string };
}

/**
 * @example
 * loadStorageConfig(settingsEnvironment(process.cwd(), process.env).environment)
 */
export function settingsEnvironment(cwd: string, env: Environment): CliSettings {
    let fromFile: Record<string, string>;
    try {
        fromFile = readLocalSettings(path.join(cwd, LOCAL_SETTINGS_FILE)).values;
    } catch (err) {
        throw new CliError(EXIT.usage, (err as Error).message, { cause: err });
    }
    const runFile = path.join(cwd, LOCAL_RUN_FILE_NAME);
    const localRun = readLocalRunFile(runFile);
    const fromEnvironment = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
    return {
        environment: { ...fromFile, ...localRun?.settings, ...fromEnvironment },
        ...(localRun !== undefined ? { localRun: { ...localRun, file: runFile } } : {}),
    };
}

/** Where the table is, for messages; never the key or the SAS. */
export function describeStorage(storage: StorageConfig): string {
    const where = storage.kind === 'identity' ? storage.tableServiceUri : storage.tableEndpoint;
    return `table ${storage.tableName} at ${where} (from ${storage.setting})`;
}
