// Loads the `Values` of local.settings.json into the process environment, as Core Tools does, except that
// a variable already set in the process environment always wins; and reads the app's other JSON files.

import { readFileSync } from 'node:fs';
import { readLocalSettings } from '../../shared/settings/localSettings';
import { HostStartupError } from './errors';

export interface AppliedSettings {
    file: string;
    found: boolean;
    /** Names taken from the file. */
    applied: string[];
    /** Names in the file that the process environment already set, and so kept. */
    keptFromEnvironment: string[];
}

export function applyLocalSettings(file: string, env: NodeJS.ProcessEnv = process.env): AppliedSettings {
    const { found, values } = readLocalSettings(file);
    const settings: AppliedSettings = { file, found, applied: [], keptFromEnvironment: [] };
    for (const [name, value] of Object.entries(values)) {
        if (env[name] !== undefined) {
            settings.keptFromEnvironment.push(name);
        } else {
            env[name] = value;
            settings.applied.push(name);
        }
    }
    return settings;
}

/** The file's text, or undefined when there is no such file (a missing settings file is normal). */
export function readOptionalFile(file: string): string | undefined {
    try {
        return readFileSync(file, 'utf8');
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            return undefined;
        }
        throw err;
    }
}

export function parseJsonObject(text: string, file: string): Record<string, unknown> {
    let document: unknown;
    try {
        document = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
        throw new HostStartupError(`${file} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(document)) {
        throw new HostStartupError(`${file} must contain a JSON object.`);
    }
    return document;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
