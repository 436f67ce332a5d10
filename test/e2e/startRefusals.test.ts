// `npm start` refusing to start, before it starts or writes anything: a taken port (named, with what it was
// for, on the flags' ports and on the defaults 10002/7443/7071), and `npm run start:func` without Core Tools.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { portInUse } from '../../dev/ports';
import { newFolders, newPorts, removeFolders, runScript, startArguments, type LocalRunPorts } from '../support/e2eLocalRun';

/** Listens on 127.0.0.1:port; undefined when something else already holds the port. */
async function occupy(port: number): Promise<net.Server | undefined> {
    const server = net.createServer((socket) => socket.destroy());
    server.listen(port, '127.0.0.1');
    try {
        await once(server, 'listening');
        return server;
    } catch {
        return undefined;
    }
}

async function release(servers: Array<net.Server | undefined>): Promise<void> {
    await Promise.all(servers.map((server) => server && new Promise<void>((resolve) => server.close(() => resolve()))));
}

describe('npm start refuses to start', () => {
    const folders = newFolders();
    after(() => removeFolders(folders));

    const roles: Array<[keyof LocalRunPorts, string]> = [
        ['azuriteBlob', 'Azurite, Blob Storage'],
        ['azuriteQueue', 'Azurite, Queue Storage'],
        ['azurite', 'Azurite, Table Storage'],
        ['simulator', 'the call simulator'],
        ['functions', 'the functions'],
    ];
    for (const [taken, role] of roles) {
        test(`when the port for ${role} is taken, naming it, and starts nothing`, async () => {
            // prepare
            const ports = await newPorts();
            const blocker = await occupy(ports[taken]);
            assert.ok(blocker, 'the test holds the port');

            // act
            const result = await runScript('start', startArguments(ports, folders)).finally(() => release([blocker]));

            // assess
            assert.equal(result.code, 1, result.stdout + result.stderr);
            assert.match(result.stderr, new RegExp(`^Port ${ports[taken]} \\(${role}\\) is already in use\\.$`, 'm'));
            assert.match(result.stderr, /Nothing was started\./);
            assert.equal(result.stderr.match(/is already in use/g)?.length, 1, 'only the taken port is named');
            for (const [other] of roles.filter(([name]) => name !== taken)) {
                assert.equal(await portInUse(ports[other]), false, `nothing listens on the ${other} port`);
            }
            assert.equal(existsSync(folders.settingsFile), false, 'no settings file was written');
            assert.equal(existsSync(folders.dataDir), false, 'no Azurite data folder was made');
        });
    }

    test('on its default ports 10000-10002, 7443 and 7071 when they are taken', async () => {
        // prepare: hold each default port, unless something (say, a running npm start) holds it already
        const defaults = [10000, 10001, 10002, 7443, 7071];
        const blockers = await Promise.all(defaults.map(occupy));

        // act: no port flags; folders of the test only
        const result = await runScript('start', ['--data-dir', folders.dataDir, '--tls-dir', folders.tlsDir, '--settings', folders.settingsFile]).finally(() => release(blockers));

        // assess
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /^Port 10000 \(Azurite, Blob Storage\) is already in use\.$/m);
        assert.match(result.stderr, /^Port 10001 \(Azurite, Queue Storage\) is already in use\.$/m);
        assert.match(result.stderr, /^Port 10002 \(Azurite, Table Storage\) is already in use\.$/m);
        assert.match(result.stderr, /^Port 7443 \(the call simulator\) is already in use\.$/m);
        assert.match(result.stderr, /^Port 7071 \(the functions\) is already in use\.$/m);
        assert.equal(existsSync(folders.settingsFile), false);
    });

    test('with --func when Azure Functions Core Tools is not on PATH, saying so and what to run instead', async () => {
        // prepare: a PATH with no `func` on it (Core Tools cannot be installed on this machine anyway)
        const emptyBin = mkdtempSync(path.join(os.tmpdir(), 'no-func-'));
        const ports = await newPorts();

        // act
        const result = await runScript('start', ['--func', ...startArguments(ports, folders)], { ...process.env, PATH: emptyBin }).finally(() =>
            rmSync(emptyBin, { recursive: true, force: true }),
        );

        // assess
        assert.equal(result.code, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /Azure Functions Core Tools \(`func`\) is not on PATH, so `npm run start:func` cannot run\./);
        assert.match(result.stderr, /or run `npm start`, which runs the same functions/);
        assert.equal(await portInUse(ports.azurite), false);
        assert.equal(existsSync(folders.settingsFile), false);
    });
});
