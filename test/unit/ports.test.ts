// Free ports for Azurite, the local run and the tests: several picked at once are all different. Picked one after
// another (each closed at once), the OS may hand the same port out twice, which once started Azurite's three
// services on two ports and failed a clean-clone `npm test`.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { freePort, freePorts } from '../../dev/ports';

describe('free ports', () => {
    test('freePorts(n) gives n different ports, and each can be listened on once it returns', async () => {
        // act
        const ports = await freePorts(40);

        // assess
        assert.equal(ports.length, 40);
        assert.equal(new Set(ports).size, 40);
        for (const port of ports.slice(0, 3)) {
            const server = net.createServer();
            await new Promise<void>((resolve, reject) => {
                server.once('error', reject);
                server.listen(port, '127.0.0.1', resolve);
            });
            await new Promise<void>((resolve) => server.close(() => resolve()));
        }
    });

    test('freePort() gives one port above the well-known range', async () => {
        // act
        const port = await freePort();

        // assess
        assert.ok(Number.isInteger(port) && port > 1023 && port < 65536, String(port));
    });
});
