// The command line's settings: the app's own, from local.settings.json `Values` in the working directory
// (as Core Tools reads them), then what a running `npm start` gave the app instead (its run file, so the CLI
// follows it to other Azurite ports), with the process environment winning, so it reads the table the app writes.

import path from 'node:path';
import { LOCAL_RUN_FILE_NAME, readLocalRunFile, type LocalRunFile } from './localRunFile';
import type { CallEventsConfig, Environment, StorageConfig } from '../shared/settings/config';
import { ConfigError } from '../shared/errors';
import { readLocalSettings } from '../shared/settings/localSettings';
import { CliError, EXIT } from './cliError';

/** The settings file the command line reads, in the folder it is started in. */
export const LOCAL_SETTINGS_FILE = 'local.settings.json';

export interface CliSettings {
    environment: Environment;
    /** The running `npm start` whose settings were used, if any. */
    localRun?: LocalRunFile & { file: string };
}

/**
 * The app's settings as a client of a local run sees them: `settingsFile`, the run file next to it, the environment.
 *
 * @example
 * loadStorageConfig(settingsEnvironment(path.join(process.cwd(), LOCAL_SETTINGS_FILE), process.env).environment)
 */
export function settingsEnvironment(settingsFile: string, env: Environment): CliSettings {
    let fromFile: Record<string, string>;
    try {
        fromFile = readLocalSettings(settingsFile).values;
    } catch (err) {
        throw new CliError(EXIT.usage, (err as Error).message, { cause: err });
    }
    const runFile = path.join(path.dirname(settingsFile), LOCAL_RUN_FILE_NAME);
    const localRun = readLocalRunFile(runFile);
    const fromEnvironment = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
    return {
        environment: { ...fromFile, ...localRun?.settings, ...fromEnvironment },
        ...(localRun !== undefined ? { localRun: { ...localRun, file: runFile } } : {}),
    };
}

/**
 * One part of the app's configuration, from the settings of the folder the command line was started in.
 * A missing or malformed setting is a usage error that says where settings are read from.
 *
 * @example
 * const { config: storage, settings } = loadCliConfig(loadStorageConfig);
 */
export function loadCliConfig<T>(load: (env: Environment) => T, cwd = process.cwd()): { config: T; settings: CliSettings } {
    const settings = settingsEnvironment(path.join(cwd, LOCAL_SETTINGS_FILE), process.env);
    try {
        return { config: load(settings.environment), settings };
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new CliError(EXIT.usage, `${err.message} The command line reads the environment and local.settings.json "Values" in ${cwd}.`);
        }
        throw err;
    }
}

/**
 * The note that a connection came from a running `npm start` (its run file), or undefined when it did not.
 *
 * @example
 * fromLocalRun(settings, 'CallHistoryStorage', storage.connectionString) // 'reading the storage of the npm start running here (pid 12751, .local-run.json)'
 */
export function fromLocalRun(settings: CliSettings, setting: string, connectionString: string): string | undefined {
    const { localRun } = settings;
    if (localRun === undefined || localRun.settings[setting] !== connectionString) return undefined;
    return `reading the storage of the npm start running here (pid ${localRun.pid}, ${path.basename(localRun.file)})`;
}

/** Where the table is, for messages; never the key or the SAS. */
export function describeStorage(storage: StorageConfig): string {
    const where = storage.kind === 'identity' ? storage.tableServiceUri : storage.tableEndpoint;
    return `table ${storage.tableName} at ${where} (from ${storage.setting})`;
}

/** Where the call-ended events are, for messages; never the key or the SAS. */
export function describeQueue(events: CallEventsConfig): string {
    const where = events.kind === 'identity' ? events.queueServiceUri : events.queueEndpoint;
    return `queue ${events.queueName} at ${where} (from ${events.setting})`;
}
