// `node dist/dev/host.js [--port 7071] [--settings <local.settings.json>] [--app <dir>]`: a small local
// Azure Functions host (Core Tools cannot be installed everywhere) that runs the compiled function files
// through the real `@azure/functions`, by providing the `@azure/functions-core` module the worker provides.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { createCoreApi, FunctionAppRegistry, provideCoreModule } from './host/coreApi';
import { findEntryPoints, loadEntryPoints } from './host/entryPoints';
import { describeStartupFailure, HostStartupError } from './host/errors';
import { readRoutePrefix } from './host/hostJson';
import { logLine, logSystemMessage } from './host/hostLog';
import { applyLocalSettings, type AppliedSettings } from './host/localSettings';
import { httpRoutesOf, RouteTable } from './host/routeTable';
import { WORKER_CAPABILITIES } from './host/rpcRequest';
import { FunctionHostServer } from './host/server';

const HOST_VERSION = '4.0.0-local';
const DEFAULT_PORT = 7071;
/** How long a shutdown waits for in-flight requests. */
const SHUTDOWN_GRACE_MS = 5000;

interface HostOptions {
    port: number;
    settingsFile: string;
    appDir: string;
}

function parseHostArguments(argv: string[]): HostOptions {
    let values: { port?: string; settings?: string; app?: string };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { port: { type: 'string' }, settings: { type: 'string' }, app: { type: 'string' } },
        }));
    } catch (err) {
        throw new HostStartupError(`${(err as Error).message} Usage: node dist/dev/host.js [--port 7071] [--settings <file>] [--app <dir>]`);
    }
    const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new HostStartupError(`--port must be a whole number from 0 to 65535 (0 picks a free port), not "${values.port}".`);
    }
    const appDir = path.resolve(values.app ?? '.');
    // Core Tools reads local.settings.json from the app's folder.
    const settingsFile = values.settings === undefined ? path.join(appDir, 'local.settings.json') : path.resolve(values.settings);
    return { port, settingsFile, appDir };
}

async function startHost(options: HostOptions): Promise<void> {
    // Settings first: the app reads and validates them while its files load.
    const settings = applyLocalSettings(options.settingsFile);
    const routePrefix = readRoutePrefix(options.appDir);

    const registry = new FunctionAppRegistry();
    provideCoreModule(createCoreApi(registry, logSystemMessage, HOST_VERSION));
    loadEntryPoints(findEntryPoints(options.appDir), registry, options.appDir);
    registry.lockRegistrations();
    await negotiateCapabilities(registry);

    const routes = new RouteTable(httpRoutesOf(registry.functions.values(), routePrefix));
    await runAppHooks(registry, 'appStart', { functionAppDirectory: options.appDir });

    const server = new FunctionHostServer(registry, routes);
    const port = await server.listen(options.port);
    const baseUrl = `http://localhost:${port}${routePrefix === '' ? '' : `/${routePrefix}`}`;
    printStartupSummary(registry, routes, settings, baseUrl);
    logLine(`Host is listening on ${baseUrl}`);
    stopOnSignals(server, registry);
}

/** Lets the package settle its setup (as the worker's init does) and refuses what the host cannot serve. */
async function negotiateCapabilities(registry: FunctionAppRegistry): Promise<void> {
    const capabilities = await registry.programmingModel?.getCapabilities?.({ ...WORKER_CAPABILITIES });
    if (capabilities?.['HttpUri']) {
        throw new HostStartupError(
            'The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support; use Core Tools.',
        );
    }
}

/** appStart/appTerminate hooks share `hookData` with each other only, and `appHookData` with every hook. */
async function runAppHooks(registry: FunctionAppRegistry, hookName: 'appStart' | 'appTerminate', extra: object = {}): Promise<void> {
    const context = {
        get hookData() {
            return registry.appLevelOnlyHookData;
        },
        get appHookData() {
            return registry.appHookData;
        },
        ...extra,
    };
    for (const hook of registry.hooks(hookName)) {
        await hook(context);
    }
}

function printStartupSummary(registry: FunctionAppRegistry, routes: RouteTable, settings: AppliedSettings, baseUrl: string): void {
    const model = registry.programmingModel;
    const modelName = model ? `${model.name} ${model.version}` : 'no programming model';
    logLine(`Local Functions host ${HOST_VERSION} (Core Tools stand-in), ${modelName}, Node.js ${process.version}`);
    if (settings.found) {
        const kept = settings.keptFromEnvironment;
        const keptNote = kept.length > 0 ? `; the process environment wins for ${kept.join(', ')}` : '';
        logLine(`Loaded ${settings.applied.length} settings from ${settings.file}${keptNote}`);
    } else {
        logLine(`No settings file at ${settings.file}; using the process environment only.`);
    }
    const origin = new URL(baseUrl).origin;
    const lines = [...registry.functions.values()].map((fn) => {
        const route = routes.routes.find((r) => r.function === fn);
        if (route === undefined) {
            const trigger = Object.values(fn.metadata.bindings).find((b) => b.direction === 'in')?.type ?? 'unknown';
            return `  ${fn.metadata.name}: ${trigger} (not run by the local host)`;
        }
        return `  ${fn.metadata.name}: [${route.methods?.join(',') ?? 'ALL'}] ${origin}/${route.template.text}`;
    });
    logLine(lines.length > 0 ? `Functions:\n\n${lines.join('\n')}\n` : 'No functions found. Do the entry points call app.http(...)?');
    for (const route of routes.routes) {
        for (const constraint of route.template.unknownConstraints) {
            logLine(`[Warning] ${route.function.metadata.name}: the local host ignores the unknown route constraint "${constraint}".`);
        }
    }
    const keyed = routes.routes.filter((route) => route.authLevel !== 'anonymous');
    if (keyed.length > 0) {
        const names = keyed.map((route) => `${route.function.metadata.name} (${route.authLevel})`).join(', ');
        logLine(`Function keys are not checked locally (nor by Core Tools). In Azure these need a key: ${names}`);
    }
}

function stopOnSignals(server: FunctionHostServer, registry: FunctionAppRegistry): void {
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
        logLine(`${signal} received: stopping; ${server.inFlightCount} request(s) in flight.`);
        const drained = await server.close(SHUTDOWN_GRACE_MS);
        if (!drained) {
            logLine(`[Warning] Requests still running after ${SHUTDOWN_GRACE_MS} ms were cut off.`);
        }
        await runAppHooks(registry, 'appTerminate');
        logLine('Host stopped.');
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.on(signal, () => {
            if (stopping) return;
            stopping = true;
            stop(signal).then(
                () => process.exit(0),
                (err: unknown) => {
                    process.stderr.write(`Host shutdown failed: ${describeStartupFailure(err)}\n`);
                    process.exit(1);
                },
            );
        });
    }
}

async function main(): Promise<void> {
    await startHost(parseHostArguments(process.argv.slice(2)));
}

main().catch((err: unknown) => {
    process.stderr.write(`Host start-up failed: ${describeStartupFailure(err)}\n`);
    process.exit(1);
});
