// `npm run package`: writes dist/deploy/teams-call-record.zip, the one file `azd deploy` uploads (azure.yaml
// `dist`). The zip holds host.json, a package.json naming the bundle, the bundle (the compiled functions,
// shared code and production dependencies in one file, made by esbuild from the tsc output) and the licence
// texts of the bundled packages. The local host keeps running the tsc output; only Azure runs the bundle.

import { build, type Metafile } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findEntryPoints } from './host/entryPoints';

export const PACKAGE_FILE = 'dist/deploy/teams-call-record.zip';
/** The bundle's name inside the zip, and the `main` of the zip's package.json. */
export const BUNDLE_NAME = 'index.js';
/** Provided by the Functions worker at run time, never bundled. */
const WORKER_MODULES = ['@azure/functions-core'];
/** Every entry of the zip gets this time, so the same sources make the same zip. */
const FIXED_MTIME = new Date('2020-01-01T00:00:00Z');

export interface PackageResult {
    zipPath: string;
    zipBytes: number;
    /** Uncompressed, by name inside the zip. */
    entries: Record<string, number>;
    /** Production packages the bundle contains, `name@version`. */
    bundledPackages: string[];
}

/**
 * Bundles the compiled app (run `npm run build` first) and writes the deployable zip.
 *
 * @example
 * const { zipPath, zipBytes } = await createPackage(repositoryRoot);
 */
export async function createPackage(root: string, zipPath = path.join(root, PACKAGE_FILE)): Promise<PackageResult> {
    // The same files, in the same order, as the worker would load from package.json `main`.
    const entryPoints = findEntryPoints(root);
    const bundled = await build({
        stdin: {
            contents: entryPoints.map((file) => `require(${JSON.stringify(`./${path.relative(root, file).split(path.sep).join('/')}`)});`).join('\n'),
            resolveDir: root,
            sourcefile: 'entry-points.js',
            loader: 'js',
        },
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        external: WORKER_MODULES,
        // Names stay readable in stack traces; whitespace and syntax are what make the size.
        minifyWhitespace: true,
        minifySyntax: true,
        keepNames: true,
        legalComments: 'none',
        metafile: true,
        write: false,
        logLevel: 'silent',
    });
    // A warning (a require esbuild cannot follow, say) is a module missing at run time in Azure.
    if (bundled.warnings.length > 0) {
        throw new Error(`esbuild warned while bundling:\n${bundled.warnings.map((w) => `${w.location?.file ?? ''}: ${w.text}`).join('\n')}`);
    }
    const bundle = bundled.outputFiles[0];
    if (bundle === undefined) throw new Error('esbuild produced no output.');

    const sourcePackage = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deployedPackage = {
        name: sourcePackage.name,
        version: sourcePackage.version,
        private: true,
        description: sourcePackage.description,
        main: BUNDLE_NAME,
        engines: sourcePackage.engines,
    };
    const packages = bundledPackages(root, bundled.metafile);
    const files: Record<string, Uint8Array> = {
        'host.json': readFileSync(path.join(root, 'host.json')),
        'package.json': Buffer.from(`${JSON.stringify(deployedPackage, null, 2)}\n`),
        [BUNDLE_NAME]: bundle.contents,
        'THIRD-PARTY-NOTICES.txt': Buffer.from(thirdPartyNotices(packages)),
    };
    const zippable: Zippable = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, [data, { level: 9, mtime: FIXED_MTIME }]]));
    const zip = zipSync(zippable);
    mkdirSync(path.dirname(zipPath), { recursive: true });
    writeFileSync(zipPath, zip);
    return {
        zipPath,
        zipBytes: zip.byteLength,
        entries: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, data.byteLength])),
        bundledPackages: packages.map((p) => `${p.name}@${p.version}`),
    };
}

interface BundledPackage {
    name: string;
    version: string;
    license: string;
    dir: string;
}

/** The packages under node_modules whose files esbuild put into the bundle. */
function bundledPackages(root: string, metafile: Metafile): BundledPackage[] {
    const dirs = new Set<string>();
    for (const input of Object.keys(metafile.inputs)) {
        const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (match?.[1] !== undefined) dirs.add(match[1]);
    }
    return [...dirs]
        .map((dir) => {
            const manifest = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
            return { name: manifest.name, version: manifest.version, license: manifest.license ?? 'see package', dir: path.join(root, dir) };
        })
        .sort((a, b) => a.name.localeCompare(b.name) || a.version.localeCompare(b.version));
}

/** Each bundled package's licence text, as its licence asks to keep it with copies of the code. */
function thirdPartyNotices(packages: readonly BundledPackage[]): string {
    const sections = packages.map((p) => {
        const licenseFile = existsSync(p.dir) ? readdirSync(p.dir).find((name) => /^(licen[cs]e|copying)(\.|$)/i.test(name)) : undefined;
        const text = licenseFile === undefined ? `License: ${p.license} (no licence file in the package).` : readFileSync(path.join(p.dir, licenseFile), 'utf8').trim();
        return `${p.name}@${p.version} (${p.license})\n\n${text}\n`;
    });
    return `This file lists the open-source packages bundled into ${BUNDLE_NAME}, with their licences.\n\n${sections.join(`\n${'-'.repeat(78)}\n\n`)}`;
}

async function main(): Promise<void> {
    const root = path.resolve(__dirname, '../..');
    const result = await createPackage(root);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
    console.log(`Wrote ${path.relative(process.cwd(), result.zipPath) || result.zipPath}: ${kb(result.zipBytes)}`);
    for (const [name, bytes] of Object.entries(result.entries)) console.log(`  ${name.padEnd(24)} ${kb(bytes)}`);
    console.log(`Bundled: ${result.bundledPackages.join(', ')}`);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
