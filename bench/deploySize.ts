// Measurement 5b, the deployable output: what a zip deployment of the app holds. That is host.json,
// package.json, dist/functions, dist/shared and the production dependencies as `npm ls --omit=dev` lists
// them, without the files .funcignore keeps out by name (`*.ts`, `*.map`); its folder patterns only
// concern folders this count never includes.

import { execFile } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface DeploySize {
    totalBytes: number;
    files: number;
    /** dist/functions + dist/shared. */
    appBytes: number;
    dependencyBytes: number;
    packages: number;
    /** The same total with the files .funcignore excludes by name counted too, as `npm ci --omit=dev` installs them. */
    installedBytes: number;
    /** The file-name patterns of .funcignore that were applied. */
    excludedPatterns: string[];
    /** The largest production packages, bytes each (nested node_modules counted on their own). */
    largest: Array<{ name: string; bytes: number }>;
}

interface Tally {
    bytes: number;
    files: number;
    excludedBytes: number;
}

/** `*.ts`-style lines of .funcignore, as suffixes. */
function excludedSuffixes(root: string): string[] {
    let text: string;
    try {
        text = readFileSync(path.join(root, '.funcignore'), 'utf8');
    } catch {
        return [];
    }
    return text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => /^\*\.[A-Za-z0-9.]+$/.test(line))
        .map((line) => line.slice(1));
}

/** Apparent size of every file below `dir`, not descending into nested `node_modules` when told (they are listed on their own). */
function tally(dir: string, excluded: readonly string[], skipNodeModules: boolean): Tally {
    const total: Tally = { bytes: 0, files: 0, excludedBytes: 0 };
    let entries;
    try {
        entries = readdirSync(dir, { withFileTypes: true });
    } catch {
        return total;
    }
    for (const entry of entries) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
            if (skipNodeModules && entry.name === 'node_modules') continue;
            const inner = tally(full, excluded, skipNodeModules);
            total.bytes += inner.bytes;
            total.files += inner.files;
            total.excludedBytes += inner.excludedBytes;
        } else if (entry.isFile()) {
            const size = lstatSync(full).size;
            if (excluded.some((suffix) => entry.name.endsWith(suffix))) {
                total.excludedBytes += size;
            } else {
                total.bytes += size;
                total.files += 1;
            }
        }
    }
    return total;
}

export async function measureDeploySize(root: string): Promise<DeploySize> {
    // `npm ls` exits non-zero on extraneous or missing packages but still lists what is installed.
    const listed = await run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch(
        (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
    );
    const excluded = excludedSuffixes(root);
    const packageDirs = [...new Set(listed.stdout.split('\n').map((line) => line.trim()))].filter(
        (dir) => dir !== '' && path.resolve(dir) !== path.resolve(root),
    );
    const packages = packageDirs.map((dir) => ({ name: path.relative(path.join(root, 'node_modules'), dir), ...tally(dir, excluded, true) }));
    const app = ['dist/functions', 'dist/shared'].map((dir) => tally(path.join(root, dir), excluded, false));
    const topFiles = ['host.json', 'package.json'].map((file) => lstatSync(path.join(root, file)).size);

    const sum = (tallies: Tally[], field: keyof Tally) => tallies.reduce((total, t) => total + t[field], 0);
    const appBytes = sum(app, 'bytes');
    const dependencyBytes = sum(packages, 'bytes');
    const totalBytes = appBytes + dependencyBytes + topFiles.reduce((a, b) => a + b, 0);
    return {
        totalBytes,
        files: sum(app, 'files') + sum(packages, 'files') + topFiles.length,
        appBytes,
        dependencyBytes,
        packages: packages.length,
        installedBytes: totalBytes + sum(app, 'excludedBytes') + sum(packages, 'excludedBytes'),
        excludedPatterns: excluded.map((suffix) => `*${suffix}`),
        largest: packages
            .sort((a, b) => b.bytes - a.bytes)
            .slice(0, 6)
            .map(({ name, bytes }) => ({ name, bytes })),
    };
}
