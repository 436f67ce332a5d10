// The app settings that point the functions app at a running simulator, so hosts and tests wire it one way.

import type { RunningSimulator } from './server';

/**
 * Environment variables for the app (and `NODE_EXTRA_CA_CERTS` for a child process, when the CA is on disk).
 *
 * @example
 * spawn(process.execPath, [hostScript], { env: { ...process.env, ...simulatorAppSettings(sim) } });
 */
export function simulatorAppSettings(sim: RunningSimulator): Record<string, string> {
    return {
        AZURE_TENANT_ID: sim.tenantId,
        AZURE_CLIENT_ID: sim.clientId,
        AZURE_CLIENT_SECRET: sim.clientSecret,
        AZURE_AUTHORITY_HOST: sim.authorityHost,
        GRAPH_BASE_URL: sim.graphBaseUrl,
        BOT_APP_ID: sim.botAppId,
        CALLBACK_OPENID_CONFIGURATION: sim.callbackOpenIdConfigurationUrl,
        ...(sim.caCertPath !== undefined ? { NODE_EXTRA_CA_CERTS: sim.caCertPath } : {}),
    };
}
