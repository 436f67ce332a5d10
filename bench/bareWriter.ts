// A ceiling for any HTTP app on this machine: a bare node:http server, in its own process like the host,
// that does only the storage floor's minimal write for each callback body (no Functions runtime, no token
// check, no redelivery check). `startBareWriter` runs it as a child process.

import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TableClient } from '@azure/data-tables';
import { stopChild } from '../dev/azurite';
import { MinimalWriter } from './minimalWrite';

const LISTENING = /^Bare writer listening on (\d+)$/m;

export interface BareWriter {
    baseUrl: string;
    pid: number | undefined;
    stop(): Promise<void>;
}

export async function startBareWriter(connectionString: string, tableName: string): Promise<BareWriter> {
    const child = spawn(process.execPath, [__filename], {
        env: { ...process.env, BARE_WRITER_STORAGE: connectionString, BARE_WRITER_TABLE: tableName },
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve, reject) => {
        let output = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
            output += chunk;
            const match = LISTENING.exec(output);
            if (match?.[1]) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`The bare writer exited with code ${String(code)}: ${output}`)));
    });
    return { baseUrl: `http://127.0.0.1:${port}/api`, pid: child.pid, stop: () => stopChild(child) };
}

function serve(writer: MinimalWriter): http.Server {
    return http.createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
            writer.writeBody(Buffer.concat(chunks).toString('utf8')).then(
                (accepted) => {
                    response.writeHead(202, { 'Content-Type': 'application/json' });
                    response.end(JSON.stringify({ accepted, duplicates: 0, rejected: 0 }));
                },
                (err: unknown) => {
                    response.writeHead(503);
                    response.end(String(err));
                },
            );
        });
    });
}

if (require.main === module) {
    const table = TableClient.fromConnectionString(process.env.BARE_WRITER_STORAGE ?? '', process.env.BARE_WRITER_TABLE ?? '', {
        allowInsecureConnection: true,
    });
    const server = serve(new MinimalWriter(table));
    server.listen(0, '127.0.0.1', () => {
        process.stdout.write(`Bare writer listening on ${(server.address() as AddressInfo).port}\n`);
    });
    process.on('SIGTERM', () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
    });
}
