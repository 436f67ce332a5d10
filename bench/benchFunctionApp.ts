// A function app folder for the local host's --app that runs one compiled bench entry file instead of the
// app's functions: a package.json whose `main` names it, and the app's own host.json (same route prefix).

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Creates the folder in the temp directory; the caller removes it.
 *
 * @param entry a compiled file of bench/, e.g. `minimalFunction.js`
 */
export function createBenchFunctionApp(repositoryRoot: string, entry: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), `call-record-bench-${path.basename(entry, '.js')}-`));
    copyFileSync(path.join(repositoryRoot, 'host.json'), path.join(dir, 'host.json'));
    const main = path.join(__dirname, entry);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `bench-${path.basename(entry, '.js')}`, private: true, main }));
    return dir;
}
