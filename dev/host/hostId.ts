// The host id, which names the host's own state (here: where timers keep their schedule status): the
// `AzureFunctionsWebHost__hostid` setting, or what the Functions host derives when it runs locally
// (ScriptHostIdProvider): the machine name and a stable hash of the app's folder, lower case, at most 32 characters.

import os from 'node:os';

const MAX_HOST_ID_LENGTH = 32;

/**
 * @example
 * hostIdOf(process.env, '/home/me/app') // 'mylaptop-1234567890'
 */
export function hostIdOf(settings: Readonly<Record<string, string | undefined>>, appDir: string): string {
    const configured = settings.AzureFunctionsWebHost__hostid;
    const machine = (os.hostname().split('.')[0] ?? '').replace(/[^\p{L}\p{N}]/gu, '');
    const hostId = configured ?? `${machine}-${Math.abs(stableHash(appDir))}`;
    return hostId.slice(0, MAX_HOST_ID_LENGTH).toLowerCase().replace(/-+$/, '');
}

/** The host's Utility.GetStableHash: 23, then `hash * 31 + char` over UTF-16 code units, in 32-bit arithmetic. */
function stableHash(text: string): number {
    let hash = 23;
    for (let i = 0; i < text.length; i++) {
        hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
    }
    return hash;
}
