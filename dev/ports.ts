// Small TCP port checks shared by the local runners, the tests and the benchmarks.

import net from 'node:net';

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('Could not pick a free port.');
    return port;
}

/**
 * `count` different ports that were free a moment ago. Each is held open until the OS has picked them all: ports
 * picked one after another, each closed at once, can come back the same.
 */
export async function freePorts(count: number): Promise<number[]> {
    const servers: net.Server[] = [];
    try {
        const ports: number[] = [];
        for (let i = 0; i < count; i++) {
            const server = net.createServer();
            servers.push(server);
            server.listen(0, '127.0.0.1');
            await new Promise<void>((resolve, reject) => {
                server.once('listening', resolve);
                server.once('error', reject);
            });
            const address = server.address();
            if (address === null || typeof address === 'string') throw new Error('Could not pick a free port.');
            ports.push(address.port);
        }
        return ports;
    } finally {
        await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
    }
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
