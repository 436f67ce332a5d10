// `npm run build` (after tsc): bundles the operator console (console/src) with esbuild into
// dist/console-assets: a script, a style sheet and an icon with content hashes in their names (so they can
// be cached for a year), the page that names them, a brotli and a gzip copy of each, and manifest.json,
// which is what shared/consoleAssets.ts serves from.

import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { CONSOLE_ASSETS_DIR, CONSOLE_MANIFEST, type ConsoleManifest } from '../shared/consoleAssets';

const SOURCE = path.resolve(__dirname, '../../console/src');
const ASSETS_PLACEHOLDER = '{{assets}}';

async function main(): Promise<void> {
    rmSync(CONSOLE_ASSETS_DIR, { recursive: true, force: true });
    mkdirSync(CONSOLE_ASSETS_DIR, { recursive: true });
    const result = await build({
        entryPoints: { app: path.join(SOURCE, 'main.ts'), style: path.join(SOURCE, 'console.css') },
        outdir: CONSOLE_ASSETS_DIR,
        entryNames: '[name].[hash]',
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'browser',
        target: ['chrome111', 'edge111', 'firefox114', 'safari16.4'],
        legalComments: 'none',
        metafile: true,
        logLevel: 'warning',
    });
    const built = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
    const script = built.find((name) => name.startsWith('app.') && name.endsWith('.js'));
    const style = built.find((name) => name.startsWith('style.') && name.endsWith('.css'));
    if (script === undefined || style === undefined) throw new Error(`esbuild wrote ${built.join(', ')}; expected app.*.js and style.*.css.`);

    const iconBytes = readFileSync(path.join(SOURCE, 'icon.svg'));
    const icon = `icon.${createHash('sha256').update(iconBytes).digest('hex').slice(0, 8).toUpperCase()}.svg`;
    writeFileSync(path.join(CONSOLE_ASSETS_DIR, icon), iconBytes);

    const page = readFileSync(path.join(SOURCE, 'index.html'), 'utf8')
        .replaceAll('{{script}}', script)
        .replaceAll('{{style}}', style)
        .replaceAll('{{icon}}', icon);
    if (!page.includes(ASSETS_PLACEHOLDER) || /\{\{(?!assets\}\})/.test(page)) throw new Error('index.html has an unknown {{placeholder}}.');
    writeFileSync(path.join(CONSOLE_ASSETS_DIR, 'index.html'), page);

    const files = [script, style, icon];
    for (const name of files) {
        const bytes = readFileSync(path.join(CONSOLE_ASSETS_DIR, name));
        writeFileSync(path.join(CONSOLE_ASSETS_DIR, `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
        writeFileSync(path.join(CONSOLE_ASSETS_DIR, `${name}.gz`), gzipSync(bytes, { level: 9 }));
    }
    const manifest: ConsoleManifest = { page: 'index.html', assetsPlaceholder: ASSETS_PLACEHOLDER, assets: [script, style, icon] };
    writeFileSync(path.join(CONSOLE_ASSETS_DIR, CONSOLE_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
