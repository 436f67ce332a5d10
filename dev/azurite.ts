// Starts Azurite as a child process, for `npm start`, the tests and the benchmarks: its Blob, Queue and Table
// services in one process (`azurite`), as the Functions host needs all three (blob: timer status and leases;
// queue: the call-ended events; table: the call record).

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePorts, waitForPort, portInUse } from './ports';

/** Azurite's own defaults, which `UseDevelopmentStorage=true` stands for. */
export const DEVELOPMENT_STORAGE_PORTS = { blob: 10000, queue: 10001, table: 10002 } as const;

export interface AzuritePorts {
    blob: number;
    queue: number;
    table: number;
}

export interface AzuriteOptions {
    /** The Table port; 0 picks a free port. Default 10002, the port `UseDevelopmentStorage=true` means. */
    port?: number;
    /** Default: 10000 when the Table port is 10002 (Azurite's defaults), otherwise a free port. 0 picks a free port. */
    blobPort?: number;
    /** Default: 10001 when the Table port is 10002 (Azurite's defaults), otherwise a free port. 0 picks a free port. */
    queuePort?: number;
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
    /** The Table port (kept under this name: most callers only use tables). */
    port: number;
    ports: AzuritePorts;
    tableEndpoint: string;
    queueEndpoint: string;
    blobEndpoint: string;
    /** The explicit devstoreaccount1 connection string with all three endpoints. */
    connectionString: string;
    process: ChildProcess;
    stop(): Promise<void>;
}

/** The well-known key of Azurite's development account (public, documented by Microsoft). */
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const SERVICES = ['blob', 'queue', 'table'] as const;

function devStorageEndpoint(port: number, protocol: 'http' | 'https' = 'http'): string {
    return `${protocol}://127.0.0.1:${port}/devstoreaccount1`;
}

/**
 * The devstoreaccount1 connection string for these ports; a number alone is a Table-only string.
 *
 * @example
 * devStorageConnectionString({ blob: 10010, queue: 10011, table: 10012 })
 * // 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=...;BlobEndpoint=http://127.0.0.1:10010/devstoreaccount1;...'
 */
export function devStorageConnectionString(ports: number | Partial<AzuritePorts>, protocol: 'http' | 'https' = 'http'): string {
    const byService: Partial<AzuritePorts> = typeof ports === 'number' ? { table: ports } : ports;
    const endpoints = SERVICES.filter((service) => byService[service] !== undefined).map(
        (service) => `${service[0]?.toUpperCase()}${service.slice(1)}Endpoint=${devStorageEndpoint(byService[service] as number, protocol)};`,
    );
    return `DefaultEndpointsProtocol=${protocol};AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};${endpoints.join('')}`;
}

/** True for Azurite's default ports, where `UseDevelopmentStorage=true` reaches every service. */
export function isDevelopmentStorage(ports: AzuritePorts): boolean {
    return SERVICES.every((service) => ports[service] === DEVELOPMENT_STORAGE_PORTS[service]);
}

/**
 * Starts `azurite` (Blob, Queue and Table) and resolves once all three accept connections.
 *
 * @example
 * const azurite = await startAzurite({ port: 0 });
 * try { ... azurite.connectionString ... } finally { await azurite.stop(); }
 */
export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
    const ports = await choosePorts(options);
    for (const service of SERVICES) {
        if (await portInUse(ports[service])) {
            throw new Error(`Port ${ports[service]} (Azurite ${service}) is already in use; Azurite cannot start there. Stop whatever uses it, or free the port.`);
        }
    }
    const args = [
        require.resolve('azurite/dist/src/azurite.js'),
        ...SERVICES.flatMap((service) => [`--${service}Host`, '127.0.0.1', `--${service}Port`, String(ports[service])]),
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
        await Promise.race([Promise.all(SERVICES.map((service) => waitForPort(ports[service], 20_000))), exited]);
    } catch (err) {
        await stopChild(child, 1000);
        throw err;
    }
    return {
        port: ports.table,
        ports,
        tableEndpoint: devStorageEndpoint(ports.table, protocol),
        queueEndpoint: devStorageEndpoint(ports.queue, protocol),
        blobEndpoint: devStorageEndpoint(ports.blob, protocol),
        connectionString: devStorageConnectionString(ports, protocol),
        process: child,
        // Azurite saves its data on SIGINT only; SIGTERM would lose the last writes.
        stop: () => stopChild(child, 5000, 'SIGINT'),
    };
}

async function choosePorts(options: AzuriteOptions): Promise<AzuritePorts> {
    // 0 asks for a free port; the three are picked together, so they are never the same port.
    const table = options.port ?? DEVELOPMENT_STORAGE_PORTS.table;
    const defaults = table === DEVELOPMENT_STORAGE_PORTS.table;
    const requested: AzuritePorts = {
        blob: options.blobPort ?? (defaults ? DEVELOPMENT_STORAGE_PORTS.blob : 0),
        queue: options.queuePort ?? (defaults ? DEVELOPMENT_STORAGE_PORTS.queue : 0),
        table,
    };
    const picked = await freePorts(SERVICES.filter((service) => requested[service] === 0).length);
    const ports: AzuritePorts = { ...requested };
    for (const service of SERVICES) {
        if (ports[service] === 0) ports[service] = picked.shift() as number;
    }
    if (new Set([ports.blob, ports.queue, ports.table]).size !== 3) {
        throw new Error(`Azurite's Blob, Queue and Table services need three different ports, not ${ports.blob}, ${ports.queue}, ${ports.table}.`);
    }
    return ports;
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
