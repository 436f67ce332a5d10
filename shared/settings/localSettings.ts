// Reads the `Values` of a local.settings.json: the settings file of local development, shared by the local
// Functions host, `npm start` and the `calls` command line. The app itself only reads its environment.

import { readFileSync } from 'node:fs';
import { SettingsFileError } from '../errors';
import { isObject } from '../isObject';

export interface LocalSettings {
    file: string;
    /** False when there is no such file, which is normal (Azure, CI, a fresh clone). */
    found: boolean;
    values: Record<string, string>;
}

/**
 * @example
 * const { values } = readLocalSettings('local.settings.json'); // { CallHistoryStorage: 'UseDevelopmentStorage=true', ... }
 */
export function readLocalSettings(file: string): LocalSettings {
    let text: string;
    try {
        text = readFileSync(file, 'utf8');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { file, found: false, values: {} };
        throw new SettingsFileError(file, `cannot be read (${(err as Error).message}).`);
    }
    let document: unknown;
    try {
        document = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
        throw new SettingsFileError(file, `is not valid JSON (${(err as Error).message}).`);
    }
    if (!isObject(document)) {
        throw new SettingsFileError(file, 'must contain a JSON object.');
    }
    if (document.IsEncrypted === true) {
        throw new SettingsFileError(file, 'is encrypted (IsEncrypted: true); only plain-text settings can be read here.');
    }
    const values = document.Values ?? {};
    if (!isObject(values)) {
        throw new SettingsFileError(file, 'must have "Values": an object of setting names to strings.');
    }
    const strings: Record<string, string> = {};
    for (const [name, value] of Object.entries(values)) {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
            throw new SettingsFileError(file, `has a value for "${name}" that is not a string.`);
        }
        strings[name] = String(value);
    }
    return { file, found: true, values: strings };
}
