// A TCP proxy in front of Azurite that can do to storage what production storage does: answer late, and
// go away. While cut, it resets every open connection and every new one. Azurite keeps running behind it,
// so whatever it committed stays committed (killing Azurite instead can lose its last writes); a write
// whose answer was cut off may or may not have been committed, exactly as in a real outage. With a
// latency set, every chunk on its way to storage is held back a random time (order kept within a
// connection), so concurrent requests reach storage in a different order than they were sent: on
// loopback Azurite answers in well under a millisecond and hides races that Table Storage's latency shows.

import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export interface StorageProxy {
    port: number;
    /** Resets every open connection and refuses new ones until `restore()`. */
    cut(): void;
    restore(): void;
    /** Holds every chunk sent to storage back by a random 0..maxMs from now on (0: forward at once, the default). */
    setLatency(maxMs: number): void;
    /** Connections reset by `cut()` or refused while cut. */
    resets(): number;
    stop(): Promise<void>;
}

/**
 * @example
 * const proxy = await startStorageProxy(azurite.port);
 * proxy.cut(); await delay(2000); proxy.restore();
 */
export async function startStorageProxy(targetPort: number): Promise<StorageProxy> {
    /** Each open connection as [client side, Azurite side]. */
    const open = new Set<[net.Socket, net.Socket]>();
    let isCut = false;
    let resets = 0;
    let latencyMs = 0;
    const holdBack = () => (latencyMs > 0 ? Math.random() * latencyMs : 0);
    const server = net.createServer((client) => {
        if (isCut) {
            resets += 1;
            client.resetAndDestroy();
            return;
        }
        const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
        const pair: [net.Socket, net.Socket] = [client, upstream];
        open.add(pair);
        const close = () => {
            open.delete(pair);
            for (const socket of pair) socket.destroy();
        };
        for (const socket of pair) {
            socket.on('error', close);
            socket.on('close', close);
        }
        // Requests are held back, answers are not: what reorders requests at storage is their way there.
        forward(client, upstream, holdBack);
        forward(upstream, client, () => 0);
    });
    await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return {
        port: (server.address() as AddressInfo).port,
        cut() {
            isCut = true;
            for (const pair of open) {
                resets += 1;
                for (const socket of pair) socket.resetAndDestroy();
            }
            open.clear();
        },
        restore() {
            isCut = false;
        },
        setLatency(maxMs) {
            latencyMs = maxMs;
        },
        resets: () => resets,
        stop: async () => {
            for (const pair of open) for (const socket of pair) socket.destroy();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

/** Copies `from` to `to` in order, each chunk no earlier than a random hold-back after it arrived. */
function forward(from: net.Socket, to: net.Socket, holdBack: () => number): void {
    let queue = Promise.resolve();
    let due = 0;
    const later = (step: () => void) => {
        due = Math.max(due, Date.now() + holdBack());
        const at = due;
        queue = queue.then(async () => {
            const wait = at - Date.now();
            if (wait > 0) await delay(wait);
            if (!to.destroyed) step();
        });
    };
    from.on('data', (chunk: Buffer) => later(() => to.write(chunk)));
    from.on('end', () => later(() => to.end()));
}
