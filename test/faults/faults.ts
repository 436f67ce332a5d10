// `npm run faults [-- --small] [--seed N] [--only storm,hot,kill,cut,jwks,fuzz,roster,bot-down,bot-errors,bot-slow,relay-twice,relay-kill] [--output bench/faults.json]`:
// the fault suite at full size. Starts everything it needs itself (a throw-away certificate authority,
// Azurite, the storage proxy, the callback signer, two hosts), prints the table, writes bench/faults.json,
// and exits non-zero when any expectation failed.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateTls } from '../../dev/tls';
import { formatFaultReport } from './faultsReport';
import { FULL_SIZES, SMALL_SIZES } from './scenario';
import { runFaultSuite } from './suite';

const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const USAGE =
    'Usage: npm run faults -- [--small] [--seed N] [--only storm,hot,kill,cut,jwks,fuzz,roster,bot-down,bot-errors,bot-slow,relay-twice,relay-kill] [--output bench/faults.json]';

async function main(): Promise<number> {
    const { values } = parseArgs({
        args: process.argv.slice(2),
        options: { small: { type: 'boolean' }, seed: { type: 'string' }, only: { type: 'string' }, output: { type: 'string' }, help: { type: 'boolean' } },
    });
    if (values.help === true) {
        console.log(USAGE);
        return 0;
    }
    const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a whole number, not "${values.seed}".\n${USAGE}`);
    const output = path.resolve(values.output ?? path.join(REPOSITORY_ROOT, 'bench/faults.json'));

    // The signer serves HTTPS; the hosts trust its certificate authority as they would a public one.
    const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'call-record-faults-tls-'));
    try {
        const tls = loadOrCreateTls(tlsDir);
        process.env.TEST_TLS_DIR = tlsDir;
        process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
        const progress = (line: string) => process.stderr.write(`[faults] ${line}\n`);
        progress(`seed ${seed} (replay with --seed ${seed})`);
        const report = await runFaultSuite({
            sizes: values.small === true ? SMALL_SIZES : FULL_SIZES,
            sizeName: values.small === true ? 'small' : 'full',
            seed,
            only: values.only
                ?.split(',')
                .map((id) => id.trim())
                .filter((id) => id !== ''),
            onProgress: progress,
            hostLogFile: `${output.replace(/\.json$/, '')}-hosts.log`,
            onResult: (result) => progress(`${result.name}: ${result.passed ? 'pass' : 'FAIL'} (${result.seconds.toFixed(1)} s)`),
        });
        writeFileSync(output, `${JSON.stringify(report, null, 2)}\n`);
        console.log(formatFaultReport(report));
        console.log(`\nResults written to ${path.relative(process.cwd(), output) || output}.`);
        return report.passed ? 0 : 1;
    } finally {
        rmSync(tlsDir, { recursive: true, force: true });
    }
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        console.error(err instanceof Error ? (err.stack ?? err.message) : err);
        process.exit(2);
    },
);
