// Small TCP port checks shared by the local runners, the tests and the benchmarks.

import net from 'node:net';

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve);
        server.once('error', reject);
    });
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (address === null || typeof address === 'string') {
        throw new Error('Could not pick a free port.');
    }
    return address.port;
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ port, host: '127.0.0.1' });
        socket.once('connect', () => {
            socket.destroy();
            resolve(true);
        });
        socket.once('error', () => resolve(false));
    });
}

/** Resolves once 127.0.0.1:port accepts connections; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await portInUse(port)) {
            return;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`Nothing listened on port ${port} within ${timeoutMs} ms.`);
}
