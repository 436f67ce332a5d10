// The deployable zip (npm run package) holds one esbuild bundle of the app at its root, with no dist/ beside
// it. Run from the unpacked zip by the local host, the console, its assets and the OpenAPI document must
// still be served: they travel inside the bundle.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { createPackage } from '../../dev/package';
import { REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { testConnectionString, uniqueTableName } from '../support/storage';

describe('console and OpenAPI document from the deployable zip', () => {
    let workDir: string;
    let host: HostProcess;

    before(async () => {
        workDir = mkdtempSync(path.join(os.tmpdir(), 'console-package-'));
        const { zipPath } = await createPackage(REPOSITORY_ROOT, path.join(workDir, 'app.zip'));
        const appDir = path.join(workDir, 'app');
        for (const [name, data] of Object.entries(unzipSync(readFileSync(zipPath)))) {
            mkdirSync(path.dirname(path.join(appDir, name)), { recursive: true });
            writeFileSync(path.join(appDir, name), data);
        }
        host = await startHostProcess({
            appDir,
            env: { CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: uniqueTableName('consolezip'), CALLBACK_AUTH: 'disabled' },
        });
    });
    after(async () => {
        await host?.stop();
        if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
    });

    test('the page, every asset it names and the document are served from the bundle', async () => {
        // act
        const page = await checkedFetch(`${host.baseUrl}/console`);
        const html = await page.clone().text();
        const assets = await Promise.all([...html.matchAll(/(?:src|href)="([^"]+\/assets\/[^"]+)"/g)].map((match) => checkedFetch(new URL(match[1] ?? '', host.baseUrl))));
        const document = await checkedFetch(`${host.baseUrl}/openapi.json`);

        // assess: checkedFetch matched each answer against the document
        for (const response of [page, document, ...assets]) assert.equal(response.status, 200, `${response.url}: ${await response.clone().text()}`);
        assert.equal(assets.length, 3);
        assert.match(((await document.json()) as { info: { version: string } }).info.version, /^\d+\.\d+\.\d+/);
    });
});
