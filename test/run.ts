// `npm test`: starts one in-memory Azurite on a free port, runs every compiled test file with node:test,
// stops Azurite, and exits with the test run's status. Test files find Azurite through
// TEST_STORAGE_CONNECTION_STRING and start anything else they need (hosts, HTTPS stand-ins) themselves.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../dev/azurite';

function testFiles(dir: string): string[] {
    return readdirSync(dir)
        .flatMap((name) => {
            const full = path.join(dir, name);
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
    const azurite = await startAzurite({ port: 0 });
    try {
        const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], {
            stdio: 'inherit',
            env: { ...process.env, TEST_STORAGE_CONNECTION_STRING: azurite.connectionString },
        });
        const [code] = (await once(child, 'exit')) as [number | null];
        return code ?? 1;
    } finally {
        await azurite.stop();
    }
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        console.error(err);
        process.exit(1);
    },
);
