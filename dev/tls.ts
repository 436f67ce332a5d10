// A local certificate authority and a `localhost` server certificate for the HTTPS stand-ins (call simulator).
// Node can read certificates but not write them, so the few DER structures X.509 needs are encoded here.

import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TlsMaterial {
    /** The CA that signed `certPem`: what clients must trust. */
    caCertPem: string;
    /** The server certificate, valid for `localhost`, `127.0.0.1` and `::1`. */
    certPem: string;
    /** The server certificate's private key (PKCS#8 PEM). */
    keyPem: string;
    /** `ca.pem` on disk, for `NODE_EXTRA_CA_CERTS`; only when a folder was given. */
    caCertPath?: string;
}

export const TLS_FILES = { caCert: 'ca.pem', cert: 'server.pem', key: 'server-key.pem' } as const;

/** Certificates closer than this to their end are replaced, so a long-lived checkout never starts with a dead one. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;
const VALIDITY_MS = 365 * 24 * 3600 * 1000;
/** Backdated so a client whose clock runs a little behind still accepts a certificate made a moment ago. */
const BACKDATE_MS = 3600 * 1000;
const SERVER_NAMES = { dns: ['localhost'], ips: ['127.0.0.1', '::1'] } as const;

/**
 * Returns a CA and a server certificate signed by it. With a folder, the files there are reused while they are
 * readable, match each other and stay valid for more than a week; otherwise new ones are made and written there.
 *
 * @example
 * const tls = loadOrCreateTls('.simulator/tls');
 * https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler);
 * // clients: { ca: tls.caCertPem }, or NODE_EXTRA_CA_CERTS=<tls.caCertPath> for a child process
 */
export function loadOrCreateTls(folder?: string): TlsMaterial {
    if (folder === undefined) {
        return createTls();
    }
    const files = {
        caCert: path.join(folder, TLS_FILES.caCert),
        cert: path.join(folder, TLS_FILES.cert),
        key: path.join(folder, TLS_FILES.key),
    };
    const existing = readUsableTls(files);
    if (existing !== undefined) {
        return { ...existing, caCertPath: files.caCert };
    }
    const created = createTls();
    mkdirSync(folder, { recursive: true });
    writeFileSync(files.caCert, created.caCertPem);
    writeFileSync(files.cert, created.certPem);
    writeFileSync(files.key, created.keyPem, { mode: 0o600 });
    // writeFileSync's mode only applies to new files; an older, wider key file gets narrowed too.
    chmodSync(files.key, 0o600);
    return { ...created, caCertPath: files.caCert };
}

/** The kept files, or undefined when any is missing, unreadable, mismatched or about to expire. */
function readUsableTls(files: { caCert: string; cert: string; key: string }): TlsMaterial | undefined {
    try {
        const material = {
            caCertPem: readFileSync(files.caCert, 'utf8'),
            certPem: readFileSync(files.cert, 'utf8'),
            keyPem: readFileSync(files.key, 'utf8'),
        };
        return isUsable(material) ? material : undefined;
    } catch {
        return undefined;
    }
}

function isUsable(material: TlsMaterial): boolean {
    const ca = new X509Certificate(material.caCertPem);
    const server = new X509Certificate(material.certPem);
    const renewAfter = Date.now() + RENEW_BEFORE_MS;
    return (
        ca.ca &&
        server.checkIssued(ca) &&
        server.verify(ca.publicKey) &&
        server.checkPrivateKey(createPrivateKey(material.keyPem)) &&
        Date.parse(ca.validTo) > renewAfter &&
        Date.parse(server.validTo) > renewAfter &&
        SERVER_NAMES.dns.every((name) => server.checkHost(name) !== undefined) &&
        SERVER_NAMES.ips.every((ip) => server.checkIP(ip) !== undefined)
    );
}

function createTls(): TlsMaterial {
    const notBefore = new Date(Date.now() - BACKDATE_MS);
    const notAfter = new Date(notBefore.getTime() + VALIDITY_MS);
    const caKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const serverKeys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const caName = distinguishedName('Teams call simulator local CA');
    const caKeyId = keyIdentifier(caKeys.publicKey);
    const caCert = certificate({
        subject: caName,
        issuer: caName,
        subjectKey: caKeys.publicKey,
        signingKey: caKeys.privateKey,
        notBefore,
        notAfter,
        extensions: [
            extension(OID.basicConstraints, true, seq(bool(true), int(Buffer.from([0])))),
            extension(OID.keyUsage, true, bitString(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
            extension(OID.subjectKeyIdentifier, false, octetString(caKeyId)),
        ],
    });
    const serverCert = certificate({
        subject: distinguishedName('localhost'),
        issuer: caName,
        subjectKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        notBefore,
        notAfter,
        extensions: [
            extension(OID.basicConstraints, true, seq()),
            extension(OID.keyUsage, true, bitString(Buffer.from([0x80]), 7)), // digitalSignature
            extension(OID.extendedKeyUsage, false, seq(oid(OID.serverAuth))),
            extension(OID.subjectAltName, false, seq(...SERVER_NAMES.dns.map(dnsName), ...SERVER_NAMES.ips.map(ipAddress))),
            extension(OID.subjectKeyIdentifier, false, octetString(keyIdentifier(serverKeys.publicKey))),
            extension(OID.authorityKeyIdentifier, false, seq(tagged(0x80, caKeyId))),
        ],
    });
    return {
        caCertPem: pem('CERTIFICATE', caCert),
        certPem: pem('CERTIFICATE', serverCert),
        keyPem: serverKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
}

// ---- X.509 (RFC 5280) structures -------------------------------------------------------------------------

const OID = {
    commonName: '2.5.4.3',
    organization: '2.5.4.10',
    ecdsaWithSha256: '1.2.840.10045.4.3.2',
    basicConstraints: '2.5.29.19',
    keyUsage: '2.5.29.15',
    extendedKeyUsage: '2.5.29.37',
    subjectAltName: '2.5.29.17',
    subjectKeyIdentifier: '2.5.29.14',
    authorityKeyIdentifier: '2.5.29.35',
    serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

interface CertificateParts {
    subject: Buffer;
    issuer: Buffer;
    subjectKey: KeyObject;
    signingKey: KeyObject;
    notBefore: Date;
    notAfter: Date;
    extensions: Buffer[];
}

function certificate(parts: CertificateParts): Buffer {
    const signatureAlgorithm = seq(oid(OID.ecdsaWithSha256));
    const serial = randomBytes(16);
    serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40; // positive and never zero, as RFC 5280 requires
    const tbs = seq(
        tagged(0xa0, int(Buffer.from([2]))), // v3
        int(serial),
        signatureAlgorithm,
        parts.issuer,
        seq(time(parts.notBefore), time(parts.notAfter)),
        parts.subject,
        parts.subjectKey.export({ type: 'spki', format: 'der' }),
        tagged(0xa3, seq(...parts.extensions)),
    );
    // For EC keys node:crypto signs in the DER (r, s) form that X.509 expects.
    return seq(tbs, signatureAlgorithm, bitString(sign('sha256', tbs, parts.signingKey), 0));
}

function distinguishedName(commonName: string): Buffer {
    const attribute = (type: string, value: string): Buffer => set(seq(oid(type), tagged(0x0c, Buffer.from(value, 'utf8'))));
    return seq(attribute(OID.organization, 'teams-call-record local development'), attribute(OID.commonName, commonName));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
    return seq(oid(id), ...(critical ? [bool(true)] : []), octetString(value));
}

function keyIdentifier(publicKey: KeyObject): Buffer {
    return createHash('sha1')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest();
}

function dnsName(name: string): Buffer {
    return tagged(0x82, Buffer.from(name, 'ascii'));
}

function ipAddress(ip: string): Buffer {
    return tagged(0x87, ip.includes(':') ? ipv6Bytes(ip) : Buffer.from(ip.split('.').map(Number)));
}

function ipv6Bytes(ip: string): Buffer {
    const [head = '', tail = ''] = ip.split('::');
    const groups = (part: string): string[] => (part === '' ? [] : part.split(':'));
    const missing = 8 - groups(head).length - groups(tail).length;
    const all = [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)];
    return Buffer.from(all.flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 0xff]));
}

// ---- DER (X.690) encoding: only what the structures above use ----------------------------------------------

function tagged(tag: number, content: Buffer): Buffer {
    return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

function derLength(length: number): Buffer {
    if (length < 0x80) {
        return Buffer.from([length]);
    }
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) {
        bytes.unshift(rest % 256);
    }
    return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function seq(...items: Buffer[]): Buffer {
    return tagged(0x30, Buffer.concat(items));
}

function set(...items: Buffer[]): Buffer {
    return tagged(0x31, Buffer.concat(items));
}

function bool(value: boolean): Buffer {
    return tagged(0x01, Buffer.from([value ? 0xff : 0]));
}

/** An unsigned big-endian integer, in DER's shortest two's-complement form. */
function int(value: Buffer): Buffer {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    const digits = value.subarray(start);
    return tagged(0x02, (digits[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), digits]) : digits);
}

function bitString(bits: Buffer, unusedBits: number): Buffer {
    return tagged(0x03, Buffer.concat([Buffer.from([unusedBits]), bits]));
}

function octetString(value: Buffer): Buffer {
    return tagged(0x04, value);
}

function oid(dotted: string): Buffer {
    const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
    const bytes = [first * 40 + second];
    for (const arc of rest) {
        const base128 = [arc & 0x7f];
        for (let high = arc >>> 7; high > 0; high >>>= 7) base128.unshift((high & 0x7f) | 0x80);
        bytes.push(...base128);
    }
    return tagged(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 section 4.1.2.5 demands. */
function time(date: Date): Buffer {
    const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
    return date.getUTCFullYear() < 2050 ? tagged(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tagged(0x18, Buffer.from(`${iso}Z`));
}

function pem(label: string, der: Buffer): string {
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
