// The certificate authority of the test run: `npm test` (test/run.ts) makes it once, trusts it in every
// test process with NODE_EXTRA_CA_CERTS, and HTTPS stand-ins in the tests serve its server certificate.

import path from 'node:path';
import { loadOrCreateTls, TLS_FILES, type TlsMaterial } from '../../dev/tls';

let material: TlsMaterial | undefined;

export function testTls(): TlsMaterial {
    material ??= loadOrCreateTls(testTlsFolder());
    return material;
}

/** The server certificate and key as files, for servers that take paths (Azurite's --cert and --key). */
export function testTlsFiles(): { certFile: string; keyFile: string } {
    testTls();
    return { certFile: path.join(testTlsFolder(), TLS_FILES.cert), keyFile: path.join(testTlsFolder(), TLS_FILES.key) };
}

function testTlsFolder(): string {
    const folder = process.env.TEST_TLS_DIR;
    if (!folder) {
        throw new Error('TEST_TLS_DIR is not set: run the tests with `npm test`.');
    }
    return folder;
}
