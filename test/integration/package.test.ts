// npm run package: the zip azure.yaml deploys holds only what Azure runs, and that app, unpacked and run by the
// local host the way the worker runs it, hangs up a simulated call and records its notifications, so the
// bundled @azure/identity, jose, core-rest-pipeline and data-tables all work from the bundle.

import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { BUNDLE_NAME, createPackage, type PackageResult } from '../../dev/package';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import { REPOSITORY_ROOT, startHostProcess, type HostProcess } from '../support/hostProcess';
import { checkedFetch } from '../support/openApi';
import { partitionRows, testConnectionString, testTableClient, uniqueTableName } from '../support/storage';
import { testTls } from '../support/tls';

describe('npm run package: the deployable zip', () => {
    const tableName = uniqueTableName('package');
    const table = testTableClient(tableName);
    let workDir: string;
    let result: PackageResult;
    let entries: Record<string, Uint8Array>;
    let sim: RunningSimulator;
    let host: HostProcess;

    before(async () => {
        workDir = mkdtempSync(path.join(os.tmpdir(), 'call-record-package-test-'));
        result = await createPackage(REPOSITORY_ROOT, path.join(workDir, 'app.zip'));
        entries = unzipSync(readFileSync(result.zipPath));
        const appDir = path.join(workDir, 'app');
        for (const [name, data] of Object.entries(entries)) {
            mkdirSync(path.dirname(path.join(appDir, name)), { recursive: true });
            writeFileSync(path.join(appDir, name), data);
        }
        sim = await startSimulator({ port: 0, tls: testTls() });
        host = await startHostProcess({
            appDir,
            env: { ...simulatorAppSettings(sim), CallHistoryStorage: testConnectionString(), CALL_HISTORY_TABLE: tableName },
        });
    });
    after(async () => {
        await host?.stop();
        await sim?.stop();
        if (workDir) rmSync(workDir, { recursive: true, force: true });
    });

    test('holds host.json, a package.json naming the bundle, the bundle and the licences, and nothing else', () => {
        assert.deepEqual(Object.keys(entries).sort(), ['THIRD-PARTY-NOTICES.txt', 'host.json', BUNDLE_NAME, 'package.json'].sort());
        assert.deepEqual(entries['host.json'], new Uint8Array(readFileSync(path.join(REPOSITORY_ROOT, 'host.json'))));
        const manifest = JSON.parse(Buffer.from(entries['package.json'] ?? []).toString('utf8')) as Record<string, unknown>;
        assert.equal(manifest.main, BUNDLE_NAME);
        assert.equal('dependencies' in manifest, false, 'nothing for the platform to install');
        const notices = Buffer.from(entries['THIRD-PARTY-NOTICES.txt'] ?? []).toString('utf8');
        for (const name of ['@azure/functions', '@azure/data-tables', '@azure/identity', 'jose']) {
            assert.ok(
                result.bundledPackages.some((p) => p.startsWith(`${name}@`)),
                `${name} is bundled`,
            );
            assert.match(notices, new RegExp(`^${name.replace('/', '\\/')}@\\S+ \\(`, 'm'), `${name}'s licence is included`);
        }
    });

    test('the bundle requires nothing but Node.js itself and the module the Functions worker provides', () => {
        const bundle = Buffer.from(entries[BUNDLE_NAME] ?? []).toString('utf8');
        const required = new Set([...bundle.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1] as string));
        const builtins = new Set(builtinModules);
        const outside = [...required].filter((name) => name !== '@azure/functions-core' && !builtins.has(name.replace(/^node:/, '')));
        assert.deepEqual(outside, []);
        assert.ok(required.has('@azure/functions-core'), 'the worker module stays external');
    });

    test('the same sources make the same zip', async () => {
        const again = await createPackage(REPOSITORY_ROOT, path.join(workDir, 'again.zip'));
        assert.equal(again.zipBytes, result.zipBytes);
        assert.ok(readFileSync(again.zipPath).equals(readFileSync(result.zipPath)));
    });

    test('run from the zip, the app hangs up a simulated call and records all of it', async () => {
        // prepare
        const call = sim.createCall({ callbackUri: `${host.baseUrl}/callback` });
        await sim.settled();

        // act
        const hangup = await checkedFetch(`${host.baseUrl}/calls/${encodeURIComponent(call.id)}`, { method: 'DELETE' });
        await sim.settled();
        const summary = await checkedFetch(`${host.baseUrl}/calls/${encodeURIComponent(call.id)}`);

        // assess
        assert.equal(hangup.status, 204, await hangup.text());
        assert.equal(summary.status, 200);
        const body = (await summary.json()) as { callState: string; deleted: boolean; hangupStatus: number };
        assert.equal(body.callState, 'terminated');
        assert.equal(body.deleted, true);
        assert.equal(body.hangupStatus, 204);
        const kinds = (await partitionRows(table, call.id)).filter((row) => String(row.rowKey).startsWith('event-')).map((row) => row.kind);
        assert.deepEqual(kinds, ['notification', 'notification', 'hangupRequest', 'notification', 'notification']);
    });
});
