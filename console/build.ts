// `npm run build` (after tsc): bundles the operator console (console/src) with esbuild and writes
// dist/console-assets/console.json, which shared/http/consoleAssets.ts serves from: the page, and a script, a
// style sheet and an icon with content hashes in their names (so they can be cached for a year), each as
// it is and compressed with brotli and gzip. One JSON file, so the app's own esbuild bundle
// (`npm run package`) carries the console with it.

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { ConsoleBundle } from '../shared/http/consoleAssets';

const SOURCE = path.resolve(__dirname, '../../console/src');
/** dist/console -> dist/console-assets, where shared/http/consoleAssets.ts requires it from. */
const OUTPUT_DIR = path.resolve(__dirname, '../console-assets');
const ASSETS_PLACEHOLDER = '{{assets}}';

async function main(): Promise<void> {
    const result = await build({
        entryPoints: { app: path.join(SOURCE, 'main.ts'), style: path.join(SOURCE, 'console.css') },
        outdir: OUTPUT_DIR,
        entryNames: '[name].[hash]',
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        target: ['chrome111', 'edge111', 'firefox114', 'safari16.4'],
        legalComments: 'none',
        write: false,
        logLevel: 'warning',
    });
    const files = new Map(result.outputFiles.map((file) => [path.basename(file.path), Buffer.from(file.contents)]));
    const script = [...files.keys()].find((name) => name.startsWith('app.') && name.endsWith('.js'));
    const style = [...files.keys()].find((name) => name.startsWith('style.') && name.endsWith('.css'));
    if (script === undefined || style === undefined) throw new Error(`esbuild wrote ${[...files.keys()].join(', ')}; expected app.*.js and style.*.css.`);

    const iconBytes = readFileSync(path.join(SOURCE, 'icon.svg'));
    const icon = `icon.${createHash('sha256').update(iconBytes).digest('hex').slice(0, 8).toUpperCase()}.svg`;
    files.set(icon, iconBytes);

    const page = readFileSync(path.join(SOURCE, 'index.html'), 'utf8').replaceAll('{{script}}', script).replaceAll('{{style}}', style).replaceAll('{{icon}}', icon);
    if (!page.includes(ASSETS_PLACEHOLDER) || /\{\{(?!assets\}\})/.test(page)) throw new Error('index.html has an unknown {{placeholder}}.');

    const bundle: ConsoleBundle = { page, assetsPlaceholder: ASSETS_PLACEHOLDER, assets: {} };
    for (const name of [script, style, icon]) {
        const bytes = files.get(name) ?? Buffer.alloc(0);
        bundle.assets[name] = {
            identity: bytes.toString('base64'),
            br: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).toString('base64'),
            gzip: gzipSync(bytes, { level: 9 }).toString('base64'),
        };
    }
    rmSync(OUTPUT_DIR, { recursive: true, force: true });
    mkdirSync(OUTPUT_DIR, { recursive: true });
    writeFileSync(path.join(OUTPUT_DIR, 'console.json'), JSON.stringify(bundle));
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
