// The certificate authority of the test run: `npm test` (test/run.ts) makes it once, trusts it in every
// test process with NODE_EXTRA_CA_CERTS, and HTTPS stand-ins in the tests serve its server certificate.

import { loadOrCreateTls, type TlsMaterial } from '../../dev/tls';

let material: TlsMaterial | undefined;

export function testTls(): TlsMaterial {
    const folder = process.env.TEST_TLS_DIR;
    if (!folder) {
        throw new Error('TEST_TLS_DIR is not set: run the tests with `npm test`.');
    }
    material ??= loadOrCreateTls(folder);
    return material;
}
