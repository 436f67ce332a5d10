// The deployable package is one esbuild bundle of the compiled app (npm run package), run from a folder
// that has no dist/ beside it. The console and the OpenAPI document must come along inside it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { build } from 'esbuild';
import { REPOSITORY_ROOT } from '../support/hostProcess';

describe('console and OpenAPI document in a bundle', () => {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'console-bundle-'));
    after(() => rmSync(folder, { recursive: true, force: true }));

    test('a bundle run from another folder serves the page, its assets and the document', async () => {
        // prepare: bundled as npm run package bundles the tsc output
        const dist = path.join(REPOSITORY_ROOT, 'dist/shared');
        await build({
            stdin: {
                contents: [
                    `const { consoleAssets } = require(${JSON.stringify(path.join(dist, 'consoleAssets.js'))});`,
                    `const { openApiDocument } = require(${JSON.stringify(path.join(dist, 'openApi.js'))});`,
                    'const assets = consoleAssets();',
                    'const page = assets.page("/api/console", null);',
                    'const script = assets.assetNames.find((name) => name.endsWith(".js"));',
                    'const asset = assets.asset(script, "br");',
                    'console.log(JSON.stringify({ page: page.status, html: String(page.body).length, asset: asset.status, encoding: asset.headers["Content-Encoding"], version: openApiDocument("/api").info.version }));',
                ].join('\n'),
                resolveDir: REPOSITORY_ROOT,
                loader: 'js',
            },
            outfile: path.join(folder, 'index.js'),
            bundle: true,
            platform: 'node',
            format: 'cjs',
            logLevel: 'silent',
        });

        // act
        const ran = spawnSync(process.execPath, [path.join(folder, 'index.js')], { cwd: folder, encoding: 'utf8' });

        // assess
        assert.equal(ran.status, 0, ran.stderr);
        const result = JSON.parse(ran.stdout) as Record<string, unknown>;
        assert.equal(result.page, 200);
        assert.ok(Number(result.html) > 300);
        assert.equal(result.asset, 200);
        assert.equal(result.encoding, 'br');
        assert.match(String(result.version), /^\d+\.\d+\.\d+/);
    });
});
