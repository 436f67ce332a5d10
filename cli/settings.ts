// The command line's settings: the app's own, from local.settings.json `Values` in the working directory
// (as Core Tools reads them) with the process environment winning, so it reads the table the app writes.

import path from 'node:path';
import type { Environment, StorageConfig } from '../shared/config';
import { readLocalSettings } from '../shared/localSettings';
import { CliError, EXIT } from './cliError';

const LOCAL_SETTINGS_FILE = 'local.settings.json';

/**
 * @example
 * loadStorageConfig(settingsEnvironment(process.cwd(), process.env))
 */
export function settingsEnvironment(cwd: string, env: Environment): Environment {
    let fromFile: Record<string, string>;
    try {
        fromFile = readLocalSettings(path.join(cwd, LOCAL_SETTINGS_FILE)).values;
    } catch (err) {
        throw new CliError(EXIT.usage, (err as Error).message, { cause: err });
    }
    const fromEnvironment = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
    return { ...fromFile, ...fromEnvironment };
}

/** Where the table is, for messages; never the key or the SAS. */
export function describeStorage(storage: StorageConfig): string {
    const where = storage.kind === 'identity' ? storage.tableServiceUri : storage.tableEndpoint;
    return `table ${storage.tableName} at ${where} (from ${storage.setting})`;
}
