// What `npm start` (dev/start.ts) runs where: ports, folders and settings file, from its command line.
// The defaults are the ports local.settings.sample.json is wired to; the flags exist for tests and clashes.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { SIMULATOR_DEFAULTS } from '../simulator';

/** The repository root (this file runs from dist/dev/localRun). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

export const LOCAL_RUN_DEFAULTS = {
    /** The port `UseDevelopmentStorage=true` means for tables; Blob and Queue take the two ports below it. */
    azuritePort: 10002,
    simulatorPort: SIMULATOR_DEFAULTS.port,
    functionsPort: 7071,
    /** The example bot behind the relay (the Bot Framework's usual local port). */
    botPort: 3978,
    /** Git-ignored, so the call history survives a restart without ever being committed. */
    dataDir: '.azurite',
    tlsDir: SIMULATOR_DEFAULTS.tlsFolder,
    settingsFile: 'local.settings.json',
    sampleSettingsFile: 'local.settings.sample.json',
} as const;

export interface LocalRunOptions {
    /** Azurite's Table port. */
    azuritePort: number;
    azuriteBlobPort: number;
    azuriteQueuePort: number;
    simulatorPort: number;
    functionsPort: number;
    botPort: number;
    /** Absolute paths. */
    dataDir: string;
    tlsDir: string;
    settingsFile: string;
    /** Run the functions with Azure Functions Core Tools (`func start`) instead of the local host. */
    useCoreTools: boolean;
    /** The local host plays App Service Authentication, and the app runs with API_AUTH=entra. */
    signIn: boolean;
    help: boolean;
}

/** The command line was wrong; the message says how. */
export class StartUsageError extends Error {
    constructor(message: string) {
        super(`${message}\n\n${START_USAGE}`);
        this.name = 'StartUsageError';
    }
}

export const START_USAGE = `Usage: npm start [-- options]     (npm run start:func [-- options] for Core Tools)
  --port N             the functions' HTTP port (default ${LOCAL_RUN_DEFAULTS.functionsPort})
  --bot-port N         the example bot's port, where the relay delivers (default ${LOCAL_RUN_DEFAULTS.botPort})
  --simulator-port N   the call simulator's HTTPS port (default ${LOCAL_RUN_DEFAULTS.simulatorPort})
  --azurite-port N     Azurite's Table port (default ${LOCAL_RUN_DEFAULTS.azuritePort}); Blob and Queue listen on N-2 and N-1
  --azurite-blob-port N, --azurite-queue-port N
                       other ports for Azurite's Blob and Queue services
  --data-dir DIR       where Azurite keeps the tables (default ${LOCAL_RUN_DEFAULTS.dataDir})
  --tls-dir DIR        the simulator's CA and certificate (default ${LOCAL_RUN_DEFAULTS.tlsDir})
  --settings FILE      the app's settings, created from ${LOCAL_RUN_DEFAULTS.sampleSettingsFile} if missing
                       (default ${LOCAL_RUN_DEFAULTS.settingsFile})
  --sign-in            people sign in: the local host plays App Service Authentication (a sign-in page at
                       /.auth/login/aad where you choose a name and app roles) and the app runs with API_AUTH=entra
  --func               run the functions with Azure Functions Core Tools (func start)`;

/**
 * Reads `npm start`'s arguments; relative paths are taken from the repository root, where npm runs scripts.
 *
 * @example
 * parseStartArguments(['--port', '7072']) // { functionsPort: 7072, azuritePort: 10002, ... }
 */
export function parseStartArguments(argv: readonly string[]): LocalRunOptions {
    let values: Record<string, string | boolean | undefined>;
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: {
                port: { type: 'string' },
                'bot-port': { type: 'string' },
                'simulator-port': { type: 'string' },
                'azurite-port': { type: 'string' },
                'azurite-blob-port': { type: 'string' },
                'azurite-queue-port': { type: 'string' },
                'data-dir': { type: 'string' },
                'tls-dir': { type: 'string' },
                settings: { type: 'string' },
                func: { type: 'boolean' },
                'sign-in': { type: 'boolean' },
                help: { type: 'boolean', short: 'h' },
            },
        }));
    } catch (err) {
        throw new StartUsageError((err as Error).message);
    }
    const folder = (value: unknown, fallback: string): string => path.resolve(REPOSITORY_ROOT, typeof value === 'string' ? value : fallback);
    const azuritePort = portOption(values['azurite-port'], '--azurite-port', LOCAL_RUN_DEFAULTS.azuritePort);
    const options: LocalRunOptions = {
        functionsPort: portOption(values.port, '--port', LOCAL_RUN_DEFAULTS.functionsPort),
        botPort: portOption(values['bot-port'], '--bot-port', LOCAL_RUN_DEFAULTS.botPort),
        simulatorPort: portOption(values['simulator-port'], '--simulator-port', LOCAL_RUN_DEFAULTS.simulatorPort),
        azuritePort,
        azuriteBlobPort: portOption(values['azurite-blob-port'], '--azurite-blob-port', azuritePort - 2),
        azuriteQueuePort: portOption(values['azurite-queue-port'], '--azurite-queue-port', azuritePort - 1),
        dataDir: folder(values['data-dir'], LOCAL_RUN_DEFAULTS.dataDir),
        tlsDir: folder(values['tls-dir'], LOCAL_RUN_DEFAULTS.tlsDir),
        settingsFile: folder(values.settings, LOCAL_RUN_DEFAULTS.settingsFile),
        useCoreTools: values.func === true,
        signIn: values['sign-in'] === true,
        help: values.help === true,
    };
    if (options.signIn && options.useCoreTools) {
        throw new StartUsageError('--sign-in needs the local host, which plays App Service Authentication; Core Tools (--func) has no sign-in of its own.');
    }
    const ports = [options.functionsPort, options.simulatorPort, options.azuriteBlobPort, options.azuriteQueuePort, options.azuritePort, options.botPort];
    if (new Set(ports).size !== ports.length) {
        throw new StartUsageError(`The functions, the simulator, Azurite's Blob, Queue and Table services and the example bot need six different ports, not ${ports.join(', ')}.`);
    }
    return options;
}

function portOption(value: unknown, flag: string, fallback: number): number {
    if (value === undefined) {
        if (fallback < 1) throw new StartUsageError(`${flag} is needed: the default (${fallback}) is not a port.`);
        return fallback;
    }
    const port = Number(value);
    if (typeof value !== 'string' || !/^\d+$/.test(value) || port < 1 || port > 65535) {
        throw new StartUsageError(`${flag} must be a port number from 1 to 65535, not "${String(value)}".`);
    }
    return port;
}
