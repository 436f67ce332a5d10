// The command line's settings: the app's own, from local.settings.json `Values` in the working directory
// (as Core Tools reads them) with the process environment winning, so it reads the table the app writes.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Environment, StorageConfig } from '../shared/config';
import { CliError, EXIT } from './cliError';

const LOCAL_SETTINGS_FILE = 'local.settings.json';

/**
 * @example
 * loadStorageConfig(settingsEnvironment(process.cwd(), process.env))
 */
export function settingsEnvironment(cwd: string, env: Environment): Environment {
    const file = path.join(cwd, LOCAL_SETTINGS_FILE);
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return env;
        throw new CliError(EXIT.usage, `Cannot read ${file}: ${(err as Error).message}`);
    }
    let document: unknown;
    try {
        document = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
        throw new CliError(EXIT.usage, `${file} is not valid JSON: ${(err as Error).message}`);
    }
    const values = isObject(document) ? (document.Values ?? {}) : undefined;
    if (!isObject(values)) {
        throw new CliError(EXIT.usage, `${file} must be a JSON object whose "Values" is an object of setting names to strings.`);
    }
    const fromFile = Object.fromEntries(
        Object.entries(values).flatMap(([name, value]) => (['string', 'number', 'boolean'].includes(typeof value) ? [[name, String(value)]] : [])),
    );
    const fromEnvironment = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
    return { ...fromFile, ...fromEnvironment };
}

/** Where the table is, for messages; never the key or the SAS. */
export function describeStorage(storage: StorageConfig): string {
    if (storage.kind === 'identity') return `table ${storage.tableName} at ${storage.tableServiceUri}`;
    const parts = new Map(
        storage.connectionString.split(';').map((part) => {
            const at = part.indexOf('=');
            return [part.slice(0, at).trim().toLowerCase(), part.slice(at + 1).trim()] as const;
        }),
    );
    const where = parts.get('tableendpoint') ?? (parts.has('accountname') ? `account ${parts.get('accountname')}` : 'the local storage emulator');
    return `table ${storage.tableName} at ${where} (from ${storage.setting})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
