// Finds and loads the app's compiled function files: package.json `main`, a path or a pattern with `*`
// in its last segment (what `dist/functions/*.js` needs; Node 20 has no fs.glob).

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FunctionAppRegistry } from './coreApi';
import { EntryPointLoadError, HostStartupError } from './errors';
import { parseJsonObject, readOptionalFile } from './localSettings';

/** Absolute paths of the entry points, sorted, as the worker loads them. */
export function findEntryPoints(appDir: string): string[] {
    const packageFile = path.join(appDir, 'package.json');
    const text = readOptionalFile(packageFile);
    if (text === undefined) {
        throw new HostStartupError(`No package.json in ${appDir}; pass the function app's folder with --app.`);
    }
    const main = parseJsonObject(text, packageFile).main;
    if (typeof main !== 'string' || main.trim() === '') {
        throw new HostStartupError(`${packageFile} has no "main"; it must name the compiled function files ("dist/functions/*.js").`);
    }
    const files = matchEntryPointPattern(appDir, main);
    if (files.length === 0) {
        const hint = main.includes('*') ? 'Found zero files matching the supplied pattern' : 'File does not exist';
        throw new HostStartupError(`Worker was unable to load entry point "${main}": ${hint}. Did you build the app (npm run build)?`);
    }
    return files;
}

function matchEntryPointPattern(appDir: string, pattern: string): string[] {
    const full = path.resolve(appDir, pattern);
    const dir = path.dirname(full);
    const name = path.basename(full);
    if (/[*?[\]{}]/.test(dir) || /[?[\]{}]/.test(name)) {
        throw new HostStartupError(`package.json "main" (${pattern}) is not supported by the local host: use a path, or "*" in the file name only.`);
    }
    if (!name.includes('*')) {
        return existsSync(full) ? [full] : [];
    }
    const nameRegex = new RegExp(`^${name.split('*').map(escapeRegex).join('[^/]*')}$`);
    let names: string[];
    try {
        names = readdirSync(dir);
    } catch {
        return [];
    }
    return names
        .filter((entry) => nameRegex.test(entry))
        .sort()
        .map((entry) => path.join(dir, entry));
}

function escapeRegex(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Requires each file; whatever it registers through `@azure/functions` lands in the registry. */
export function loadEntryPoints(files: readonly string[], registry: FunctionAppRegistry, appDir: string): void {
    for (const file of files) {
        registry.currentEntryPoint = file;
        try {
            require(file);
        } catch (err) {
            throw new EntryPointLoadError(path.relative(appDir, file) || file, err);
        } finally {
            registry.currentEntryPoint = undefined;
        }
    }
}
