// Starts Azurite's Table service as a child process, for `npm start`, the tests and the benchmarks.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort, waitForPort, portInUse } from './ports';

export interface AzuriteOptions {
    /** 0 picks a free port. Default 10002, the port `UseDevelopmentStorage=true` means. */
    port?: number;
    /** A folder to keep the data in; without it the data lives in memory and dies with the process. */
    location?: string;
    /** Called with each line Azurite prints. */
    onLog?: (line: string) => void;
    /**
     * Serve HTTPS with this certificate and check Entra bearer tokens (`--oauth basic`: format, lifetime, issuer
     * and audience, not the signature), as storage reached by identity needs; shared keys keep working.
     */
    oauth?: { certFile: string; keyFile: string };
}

export interface RunningAzurite {
    port: number;
    tableEndpoint: string;
    /** The explicit devstoreaccount1 connection string for this port. */
    connectionString: string;
    process: ChildProcess;
    stop(): Promise<void>;
}

/** The well-known key of Azurite's development account (public, documented by Microsoft). */
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export function devStorageConnectionString(port: number, protocol: 'http' | 'https' = 'http'): string {
    return (
        `DefaultEndpointsProtocol=${protocol};AccountName=devstoreaccount1;` +
        `AccountKey=${DEV_ACCOUNT_KEY};TableEndpoint=${protocol}://127.0.0.1:${port}/devstoreaccount1;`
    );
}

/**
 * Starts `azurite-table` and resolves once it accepts connections.
 *
 * @example
 * const azurite = await startAzurite({ port: 0 });
 * try { ... azurite.connectionString ... } finally { await azurite.stop(); }
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
    const port = options.port === 0 ? await freePort() : (options.port ?? 10002);
    if (await portInUse(port)) {
        throw new Error(`Port ${port} is already in use; Azurite cannot start there. Stop whatever uses it, or free the port.`);
    }
    const args = [
        require.resolve('azurite/dist/src/table/main.js'),
        '--tableHost',
        '127.0.0.1',
        '--tablePort',
        String(port),
        '--skipApiVersionCheck',
        '--disableTelemetry',
        '--loose',
        ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
        ...(options.oauth ? ['--oauth', 'basic', '--cert', options.oauth.certFile, '--key', options.oauth.keyFile] : []),
    ];
    const protocol = options.oauth ? 'https' : 'http';
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const log = options.onLog;
    for (const stream of [child.stdout, child.stderr]) {
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
            for (const line of chunk.split('\n')) {
                if (line.trim() !== '') log?.(line);
            }
        });
    }
    const exited = once(child, 'exit').then(([code]) => {
        throw new Error(`Azurite exited with code ${String(code)} before it was ready.`);
    });
    exited.catch(() => undefined);
    try {
        await Promise.race([waitForPort(port, 20_000), exited]);
    } catch (err) {
        await stopChild(child, 1000);
        throw err;
    }
    return {
        port,
        tableEndpoint: `${protocol}://127.0.0.1:${port}/devstoreaccount1`,
        connectionString: devStorageConnectionString(port, protocol),
        process: child,
        // Azurite's table service saves its data on SIGINT only; SIGTERM would lose the last writes.
        stop: () => stopChild(child, 5000, 'SIGINT'),
    };
}

/** Ends a child process politely, then firmly. */
export async function stopChild(child: ChildProcess, graceMs = 3000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) {
        return;
    }
    const exited = once(child, 'exit');
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
}
