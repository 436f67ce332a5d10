// `npm test`: starts one in-memory Azurite (Blob, Queue and Table, on free ports), runs every compiled test file
// with node:test, stops Azurite, and exits with the test run's status; at the end it lists each file with its time. Test files find Azurite through
// TEST_STORAGE_CONNECTION_STRING (with BlobEndpoint, QueueEndpoint and TableEndpoint) and start anything else
// they need (hosts, HTTPS stand-ins) themselves.
// It also makes a throw-away certificate authority that every test process (and every process a test
// starts) trusts through NODE_EXTRA_CA_CERTS, so the HTTPS stand-ins are verified like real servers.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzurite } from '../dev/azurite';
import { loadOrCreateTls } from '../dev/tls';

/** The spec reporter as the run goes, and each file's time and outcome at its end (fileTimes.ts). */
const REPORTERS = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${path.join(__dirname, 'fileTimes.js')}`, '--test-reporter-destination=stdout'];

/** Need the Bicep CLI (restored with dotnet): `npm run infra:check` runs them. */
const INFRA_TESTS = path.join(__dirname, 'infra');

function testFiles(dir: string): string[] {
    return readdirSync(dir)
        .flatMap((name) => {
            const full = path.join(dir, name);
            if (full === INFRA_TESTS) return [];
            if (statSync(full).isDirectory()) return testFiles(full);
            return name.endsWith('.test.js') ? [full] : [];
        })
        .sort();
}

async function main(): Promise<number> {
    const filter = process.argv.slice(2);
    const files = testFiles(__dirname).filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)));
    if (files.length === 0) {
        console.error('No test files matched.');
        return 1;
    }
    const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'call-record-test-tls-'));
    const tls = loadOrCreateTls(tlsDir);
    const azurite = await startAzurite({ port: 0 });
    try {
        const child = spawn(process.execPath, ['--test', ...REPORTERS, ...files], {
            stdio: 'inherit',
            env: {
                ...process.env,
                TEST_STORAGE_CONNECTION_STRING: azurite.connectionString,
                TEST_TLS_DIR: tlsDir,
                NODE_EXTRA_CA_CERTS: tls.caCertPath,
            },
        });
        const [code] = (await once(child, 'exit')) as [number | null];
        return code ?? 1;
    } finally {
        await azurite.stop();
        rmSync(tlsDir, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        console.error(err);
        process.exit(1);
    },
);
