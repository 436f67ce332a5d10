// A stand-in for a developer's Azure CLI login: an `az` on PATH that answers `az account get-access-token`
// the way the real one does (JSON with accessToken and expires_on), with a token for the developer's account
// that Azurite's OAuth check accepts, and records each invocation.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';

export interface DeveloperLogin {
    /** Put in front of PATH so the app's AzureCliCredential runs this `az`. */
    binFolder: string;
    /** The access token `az` hands out. */
    token: string;
    /** The arguments of each `az` run so far. */
    invocations(): string[][];
    remove(): void;
}

/**
 * @example
 * const login = await fakeAzureCliLogin(TENANT, 'developer@contoso.com');
 * spawn(node, [app], { env: { ...process.env, PATH: `${login.binFolder}${path.delimiter}${process.env.PATH}` } });
 */
export async function fakeAzureCliLogin(tenantId: string, user: string): Promise<DeveloperLogin> {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'fake-az-'));
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ upn: user, idtyp: 'user', tid: tenantId, scp: 'user_impersonation' })
        .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
        .setIssuer(`https://sts.windows.net/${tenantId}/`)
        .setAudience('https://storage.azure.com')
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 3600)
        .sign(privateKey);
    const log = path.join(folder, 'invocations.jsonl');
    const answer = { accessToken: token, expiresOn: new Date((now + 3600) * 1000).toISOString(), expires_on: now + 3600, tenant: tenantId, tokenType: 'Bearer' };
    const script = path.join(folder, 'az.js');
    writeFileSync(
        script,
        `require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify(process.argv.slice(2)) + '\\n');\n` +
            `if (process.argv[2] === 'account' && process.argv[3] === 'get-access-token') console.log(${JSON.stringify(JSON.stringify(answer))});\n` +
            `else { console.error('az: this stand-in only answers account get-access-token'); process.exit(2); }\n`,
    );
    writeFileSync(path.join(folder, 'az'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(script)} "$@"\n`, { mode: 0o755 });
    return {
        binFolder: folder,
        token,
        invocations: () => {
            try {
                return readFileSync(log, 'utf8')
                    .trim()
                    .split('\n')
                    .filter((line) => line !== '')
                    .map((line) => JSON.parse(line) as string[]);
            } catch {
                return [];
            }
        },
        remove: () => rmSync(folder, { recursive: true, force: true }),
    };
}
