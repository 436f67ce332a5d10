// A function app folder whose only function is minimalFunction.ts, for the local host's --app: a
// package.json whose `main` names the compiled file, and the app's own host.json (same route prefix).

import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Creates the folder in the temp directory; the caller removes it. */
export function createMinimalFunctionApp(repositoryRoot: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'call-record-bench-minimal-app-'));
    copyFileSync(path.join(repositoryRoot, 'host.json'), path.join(dir, 'host.json'));
    const main = path.join(__dirname, 'minimalFunction.js');
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bench-minimal-function', private: true, main }));
    return dir;
}
