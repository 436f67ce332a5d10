// Reads the one host.json setting the local host honours: `extensions.http.routePrefix` (default `api`).

import path from 'node:path';
import { HostStartupError } from './errors';
import { isPlainObject, parseJsonObject, readOptionalFile } from './localSettings';

const DEFAULT_ROUTE_PREFIX = 'api';

/** The route prefix without surrounding slashes; `''` means functions are served from the root. */
export function readRoutePrefix(appDir: string): string {
    const file = path.join(appDir, 'host.json');
    const text = readOptionalFile(file);
    if (text === undefined) {
        return DEFAULT_ROUTE_PREFIX;
    }
    const extensions = parseJsonObject(text, file).extensions;
    const http = isPlainObject(extensions) ? extensions.http : undefined;
    const prefix = isPlainObject(http) ? http.routePrefix : undefined;
    if (prefix === undefined) {
        return DEFAULT_ROUTE_PREFIX;
    }
    if (typeof prefix !== 'string') {
        throw new HostStartupError(`${file}: extensions.http.routePrefix must be a string.`);
    }
    return prefix.replace(/^\/+|\/+$/g, '');
}
