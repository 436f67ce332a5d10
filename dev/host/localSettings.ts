// Loads the `Values` of local.settings.json into the process environment, as Core Tools does, except that
// a variable already set in the process environment always wins.

import { readFileSync } from 'node:fs';
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
    const settings: AppliedSettings = { file, found: false, applied: [], keptFromEnvironment: [] };
    const text = readOptionalFile(file);
    if (text === undefined) {
        return settings;
    }
    settings.found = true;
    const document = parseJsonObject(text, file);
    if (document['IsEncrypted'] === true) {
        throw new HostStartupError(`${file} is encrypted (IsEncrypted: true); the local host reads plain-text settings only.`);
    }
    const values = document['Values'] ?? {};
    if (!isPlainObject(values)) {
        throw new HostStartupError(`${file}: "Values" must be an object of setting names to strings.`);
    }
    for (const [name, value] of Object.entries(values)) {
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
            throw new HostStartupError(`${file}: the value of "${name}" must be a string.`);
        }
        if (env[name] !== undefined) {
            settings.keptFromEnvironment.push(name);
        } else {
            env[name] = String(value);
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
