// Reads the host.json settings the local host honours: `extensions.http.routePrefix` (default `api`) and the
// Storage queues' `extensions.queues` (queueOptions.ts). As in the Functions host, an app setting
// `AzureFunctionsJobHost__<path>` (e.g. `AzureFunctionsJobHost__extensions__queues__batchSize`) overrides the value
// in the file, and names compare without regard to case, as .NET configuration does.

import path from 'node:path';
import { HostStartupError } from './errors';
import { isPlainObject, parseJsonObject, readOptionalFile } from './localSettings';

const DEFAULT_ROUTE_PREFIX = 'api';
const OVERRIDE_PREFIX = 'AzureFunctionsJobHost__';

export interface HostJson {
    file: string;
    /** The file's object; empty when there is no host.json. */
    document: Record<string, unknown>;
}

/** A value of host.json, and where it came from (to name it in a message). */
export interface HostSetting {
    value: unknown;
    /** `host.json extensions.queues.batchSize`, or the app setting that overrode it. */
    source: string;
}

export function readHostJson(appDir: string): HostJson {
    const file = path.join(appDir, 'host.json');
    const text = readOptionalFile(file);
    return { file, document: text === undefined ? {} : parseJsonObject(text, file) };
}

/**
 * The value at `keys` (e.g. `['extensions', 'queues', 'batchSize']`): the app setting `AzureFunctionsJobHost__extensions__queues__batchSize`
 * if it is set, else the file's; undefined when neither has one.
 */
export function hostSetting(hostJson: HostJson, settings: Readonly<Record<string, string | undefined>>, keys: readonly string[]): HostSetting | undefined {
    const overrideName = `${OVERRIDE_PREFIX}${keys.join('__')}`.toLowerCase();
    const override = Object.entries(settings).find(([name, value]) => name.toLowerCase() === overrideName && value !== undefined);
    if (override !== undefined) return { value: override[1], source: `the app setting ${override[0]}` };
    let node: unknown = hostJson.document;
    for (const key of keys) {
        if (!isPlainObject(node)) return undefined;
        const found = Object.keys(node).find((name) => name.toLowerCase() === key.toLowerCase());
        if (found === undefined) return undefined;
        node = node[found];
    }
    return node === undefined ? undefined : { value: node, source: `${hostJson.file}: ${keys.join('.')}` };
}

/** The route prefix without surrounding slashes; `''` means functions are served from the root. */
export function readRoutePrefix(hostJson: HostJson, settings: Readonly<Record<string, string | undefined>>): string {
    const prefix = hostSetting(hostJson, settings, ['extensions', 'http', 'routePrefix']);
    if (prefix === undefined) {
        return DEFAULT_ROUTE_PREFIX;
    }
    if (typeof prefix.value !== 'string') {
        throw new HostStartupError(`${prefix.source} must be a string.`);
    }
    return prefix.value.replace(/^\/+|\/+$/g, '');
}
