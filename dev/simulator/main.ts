// Runs the call simulator as a process: `node dist/dev/simulator/main.js [--port 7443] [--tls-dir DIR] ...`.
// Prints its URLs and the app settings that use them; stops cleanly on SIGINT/SIGTERM.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateTls } from '../tls';
import { simulatorAppSettings } from './appSettings';
import { SIMULATOR_DEFAULTS } from './defaults';
import { startSimulator } from './server';

const USAGE = `Usage: node dist/dev/simulator/main.js [options]
  --port N             HTTPS port on localhost (default ${SIMULATOR_DEFAULTS.port}; 0 picks a free one)
  --tls-dir DIR        where the CA and server certificate are kept (default <repo>/${SIMULATOR_DEFAULTS.tlsFolder})
  --tenant-id ID       (default ${SIMULATOR_DEFAULTS.tenantId})
  --client-id ID       (default ${SIMULATOR_DEFAULTS.clientId})
  --client-secret S    (default ${SIMULATOR_DEFAULTS.clientSecret})
  --bot-app-id ID      audience of callback tokens (default: the client id)
  --ring-timeout-ms N  how long an incoming call rings before it ends unanswered (default ${SIMULATOR_DEFAULTS.ringTimeoutMs}, as Graph)`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            port: { type: 'string' },
            'tls-dir': { type: 'string' },
            'tenant-id': { type: 'string' },
            'client-id': { type: 'string' },
            'client-secret': { type: 'string' },
            'bot-app-id': { type: 'string' },
            'ring-timeout-ms': { type: 'string' },
            help: { type: 'boolean' },
        },
    });
    if (values.help === true) {
        console.log(USAGE);
        return;
    }
    const port = values.port === undefined ? SIMULATOR_DEFAULTS.port : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new Error(`--port "${values.port ?? ''}" is not a port number.\n${USAGE}`);
    }
    const ringTimeoutMs = values['ring-timeout-ms'] === undefined ? undefined : Number(values['ring-timeout-ms']);
    if (ringTimeoutMs !== undefined && (!Number.isInteger(ringTimeoutMs) || ringTimeoutMs < 1)) {
        throw new Error(`--ring-timeout-ms "${values['ring-timeout-ms'] ?? ''}" is not a number of milliseconds.\n${USAGE}`);
    }
    // dist/dev/simulator -> repository root, so the default folder does not depend on the working directory.
    const tlsFolder = values['tls-dir'] !== undefined ? path.resolve(values['tls-dir']) : path.resolve(__dirname, '../../..', SIMULATOR_DEFAULTS.tlsFolder);
    const sim = await startSimulator({
        port,
        tls: loadOrCreateTls(tlsFolder),
        ...(values['tenant-id'] !== undefined ? { tenantId: values['tenant-id'] } : {}),
        ...(values['client-id'] !== undefined ? { clientId: values['client-id'] } : {}),
        ...(values['client-secret'] !== undefined ? { clientSecret: values['client-secret'] } : {}),
        ...(values['bot-app-id'] !== undefined ? { botAppId: values['bot-app-id'] } : {}),
        ...(ringTimeoutMs !== undefined ? { ringTimeoutMs } : {}),
        log: (line) => console.log(`[simulator] ${line}`),
    });
    console.log(
        [
            `Call simulator listening on ${sim.url}`,
            `  Entra authority:        ${sim.authority}`,
            `  OpenID configuration:   ${sim.tenantOpenIdConfigurationUrl}`,
            `  Token endpoint:         ${sim.tokenEndpoint}`,
            `  Graph calls API:        ${sim.graphBaseUrl}/communications/calls`,
            `  Callback signer OpenID: ${sim.callbackOpenIdConfigurationUrl}`,
            `  Callback signer JWKS:   ${sim.callbackJwksUrl}`,
            `  Control API:            ${sim.controlUrl}/ (stats, reset, faults, scripts/{id}, calls, drops/{id}, settle, info)`,
            `  CA certificate:         ${sim.caCertPath ?? '(in memory)'}`,
            'App settings for this simulator:',
            ...Object.entries(simulatorAppSettings(sim)).map(([name, value]) => `  ${name}=${value}`),
        ].join('\n'),
    );
    let stopping = false;
    const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        console.log(`Call simulator stopping (${signal}).`);
        sim.stop().then(
            () => process.exit(0),
            (err: unknown) => {
                console.error(err);
                process.exit(1);
            },
        );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // Requests are guarded one by one; this is the last net, so a stray defect is logged instead of ending a dev session.
    process.on('unhandledRejection', (reason) => console.error('[simulator] unhandled rejection:', reason));
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
