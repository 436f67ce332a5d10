// `node dist/dev/host/main.js [--port 7071] [--settings <local.settings.json>] [--app <dir>] [--timer-status-dir <dir>] [--sign-in]`:
// a small local Azure Functions host (Core Tools cannot be installed everywhere) that runs the compiled function
// files through the real `@azure/functions`, by providing the `@azure/functions-core` module the worker provides.
// It serves the HTTP functions, runs the timer functions on their schedules and the Storage queue functions on
// their queues' messages, and serves the admin API that runs any non-HTTP function on demand. With --sign-in it also
// plays App Service Authentication (localSignIn.ts).

import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { AdminApi } from './adminApi';
import { createCoreApi, FunctionAppRegistry, provideCoreModule, type RegisteredFunction } from './coreApi';
import { findEntryPoints, loadEntryPoints } from './entryPoints';
import { describeStartupFailure, HostStartupError } from './errors';
import { readHostJson, readRoutePrefix } from './hostJson';
import { logLine, logSystemMessage } from './hostLog';
import { hostIdOf } from './hostId';
import { invokeFunction, triggerOf } from './invocation';
import { applyLocalSettings, type AppliedSettings } from './localSettings';
import { queueFunctionsOf, type QueueFunction } from './queueFunctions';
import { QueueListener, type QueueRun } from './queueListener';
import { queueTriggerData, queueTriggerDetails, queueTriggerMetadata } from './queueMessage';
import { AZURE_LEASE_MS, LEASE_SETTING, readQueuesOptions, type QueuesOptions } from './queueOptions';
import { SIGN_IN_PATH, SIGN_OUT_PATH } from '../../shared/access/signInPaths';
import { LocalSignIn } from './localSignIn';
import { httpRoutesOf, RouteTable } from './routeTable';
import { traceContextOf, WORKER_CAPABILITIES } from './rpcRequest';
import { ScheduleMonitor } from './scheduleMonitor';
import { FunctionHostServer } from './server';
import { timerFunctionsOf, type TimerFunction } from './timerFunctions';
import { jsonDate, timerTriggerData } from './timerInfo';
import { TimerListener, type TimerRun } from './timerListener';

const HOST_VERSION = '4.0.0-local';
const DEFAULT_PORT = 7071;
/** How long a shutdown waits for in-flight requests. */
const SHUTDOWN_GRACE_MS = 5000;

interface HostOptions {
    port: number;
    settingsFile: string;
    appDir: string;
    /** Where timers' schedule status is kept; default a folder per host id in the temp folder. */
    timerStatusDir: string | undefined;
    /** Play App Service Authentication in front of the functions. */
    signIn: boolean;
}

/** What the platform sets when App Service Authentication is on; the app trusts client-principal headers only then. */
const PLATFORM_SIGN_IN_SETTING = 'WEBSITE_AUTH_ENABLED';

function parseHostArguments(argv: string[]): HostOptions {
    let values: { port?: string; settings?: string; app?: string; 'timer-status-dir'?: string; 'sign-in'?: boolean };
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                port: { type: 'string' },
                settings: { type: 'string' },
                app: { type: 'string' },
                'timer-status-dir': { type: 'string' },
                'sign-in': { type: 'boolean' },
            },
        }));
    } catch (err) {
        throw new HostStartupError(
            `${(err as Error).message} Usage: node dist/dev/host/main.js [--port 7071] [--settings <file>] [--app <dir>] [--timer-status-dir <dir>] [--sign-in]`,
        );
    }
    const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new HostStartupError(`--port must be a whole number from 0 to 65535 (0 picks a free port), not "${values.port}".`);
    }
    const appDir = path.resolve(values.app ?? '.');
    // Core Tools reads local.settings.json from the app's folder.
    const settingsFile = values.settings === undefined ? path.join(appDir, 'local.settings.json') : path.resolve(values.settings);
    const timerStatusDir = values['timer-status-dir'] === undefined ? undefined : path.resolve(values['timer-status-dir']);
    return { port, settingsFile, appDir, timerStatusDir, signIn: values['sign-in'] === true };
}

/**
 * WEBSITE_AUTH_ENABLED is the platform's to say, and the platform here is this host: set with --sign-in, where the
 * host also strips the client-principal headers callers send. Set by anyone else, it would make the app trust them.
 */
function applyPlatformSignIn(signIn: boolean, env: NodeJS.ProcessEnv = process.env): void {
    if (signIn) {
        env[PLATFORM_SIGN_IN_SETTING] = 'True';
        return;
    }
    if (env[PLATFORM_SIGN_IN_SETTING] !== undefined) {
        throw new HostStartupError(
            `${PLATFORM_SIGN_IN_SETTING} is set (to "${env[PLATFORM_SIGN_IN_SETTING]}"), but this host does not play App Service Authentication: the app would trust ` +
                `client-principal headers that anyone can send. Remove the setting, or start the host with --sign-in (npm start -- --sign-in), which sets it and strips those headers.`,
        );
    }
}

async function startHost(options: HostOptions): Promise<void> {
    // Settings first: the app reads and validates them while its files load.
    const settings = applyLocalSettings(options.settingsFile);
    applyPlatformSignIn(options.signIn);
    const hostJson = readHostJson(options.appDir);
    const routePrefix = readRoutePrefix(hostJson, process.env);
    const queuesOptions = readQueuesOptions(hostJson, process.env);

    const registry = new FunctionAppRegistry();
    provideCoreModule(createCoreApi(registry, logSystemMessage, HOST_VERSION));
    loadEntryPoints(findEntryPoints(options.appDir), registry, options.appDir);
    registry.lockRegistrations();
    await negotiateCapabilities(registry);

    const routes = new RouteTable(httpRoutesOf(registry.functions.values(), routePrefix));
    const timers = timerFunctionsOf(registry.functions.values(), process.env);
    const queueFunctions = queueFunctionsOf(registry.functions.values(), process.env);
    await runAppHooks(registry, 'appStart', { functionAppDirectory: options.appDir });

    const server = new FunctionHostServer(registry, routes);
    const statusDir = options.timerStatusDir ?? path.join(os.tmpdir(), 'azure-functions-local-host', 'timers', hostIdOf(process.env, options.appDir));
    const monitor = new ScheduleMonitor(statusDir);
    const listeners = timers.map((timer) => new TimerListener(timer, monitor, (run) => invokeTimer(registry, timer, run)));
    const queueListeners = queueFunctions.map((queue) => new QueueListener(queue, queuesOptions, (run) => invokeQueue(registry, queue, run)));
    server.useAdminApi(new AdminApi(registry, listeners, (run) => server.track(run)));
    if (options.signIn) server.useSignIn(new LocalSignIn());
    const port = await server.listen(options.port);
    const baseUrl = `http://localhost:${port}${routePrefix === '' ? '' : `/${routePrefix}`}`;
    // Like the host, timers and queue listeners start once everything else has: a start-up run never delays serving requests.
    for (const listener of [...listeners, ...queueListeners]) listener.start();
    printStartupSummary(registry, routes, { timers, listeners, queueListeners, queuesOptions }, settings, baseUrl);
    if (options.signIn) {
        const origin = new URL(baseUrl).origin;
        logLine(
            `Sign-in: this host plays App Service Authentication with Entra ID (${PLATFORM_SIGN_IN_SETTING}=True for the app). Sign in at ${origin}${SIGN_IN_PATH}, ` +
                `sign out at ${origin}${SIGN_OUT_PATH}; client-principal headers that callers send are stripped.`,
        );
    }
    logLine(`Host is listening on ${baseUrl}`);
    stopOnSignals(server, [...listeners, ...queueListeners], registry);
}

function invokeTimer(registry: FunctionAppRegistry, timer: TimerFunction, run: TimerRun) {
    return invokeFunction(registry, timer.fn, {
        invocationId: randomUUID(),
        reason: run.reason,
        triggerData: timerTriggerData(run.status, run.isPastDue),
        traceContext: traceContextOf(),
        triggerDetails: run.triggerDetails,
    });
}

async function invokeQueue(registry: FunctionAppRegistry, queue: QueueFunction, { message, text }: QueueRun): Promise<boolean> {
    const outcome = await invokeFunction(registry, queue.fn, {
        invocationId: randomUUID(),
        reason: `New queue message detected on '${queue.queueName}'.`,
        triggerData: queueTriggerData(text),
        triggerMetadata: queueTriggerMetadata(message, text),
        traceContext: traceContextOf(),
        triggerDetails: queueTriggerDetails(message),
    });
    return outcome.succeeded;
}

/** Lets the package settle its setup (as the worker's init does) and refuses what the host cannot serve. */
async function negotiateCapabilities(registry: FunctionAppRegistry): Promise<void> {
    const capabilities = await registry.programmingModel?.getCapabilities?.({ ...WORKER_CAPABILITIES });
    if (capabilities?.HttpUri) {
        throw new HostStartupError('The app enables HTTP streaming (app.setup({ enableHttpStream: true })), which the local host does not support; use Core Tools.');
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

interface Triggers {
    timers: readonly TimerFunction[];
    listeners: readonly TimerListener[];
    queueListeners: readonly QueueListener[];
    queuesOptions: QueuesOptions;
}

function printStartupSummary(registry: FunctionAppRegistry, routes: RouteTable, triggers: Triggers, settings: AppliedSettings, baseUrl: string): void {
    const { timers, listeners, queueListeners } = triggers;
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
        if (route !== undefined) return `  ${fn.metadata.name}: [${route.methods?.join(',') ?? 'ALL'}] ${origin}/${route.template.text}`;
        const index = timers.findIndex((timer) => timer.fn === fn);
        const [timer, listener] = [timers[index], listeners[index]];
        if (timer !== undefined && listener !== undefined) return describeTimer(timer, listener);
        const queue = queueListeners.find((candidate) => candidate.queueFunction.fn === fn);
        return queue !== undefined ? describeQueue(queue, triggers.queuesOptions) : describeOtherTrigger(fn, origin);
    });
    logLine(lines.length > 0 ? `Functions:\n\n${lines.join('\n')}\n` : 'No functions found. Do the entry points call app.http(...) or app.timer(...)?');
    if (lines.length > routes.routes.length) {
        logLine(`Run a non-HTTP function now: POST ${origin}/admin/functions/<name> with {"input": ""} (Content-Type: application/json).`);
    }
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

function describeTimer({ name, schedule, declaredSchedule }: TimerFunction, listener: TimerListener): string {
    const source = declaredSchedule.trim() === schedule.expression ? '' : ` (from ${declaredSchedule})`;
    const first = listener.startupRun === 'pastDue' ? 'now (past due), then ' : listener.startupRun === 'runOnStartup' ? 'now (runOnStartup), then ' : '';
    const monitor = listener.monitored ? '' : ', not monitored';
    return `  ${name}: timerTrigger, schedule ${schedule.expression}${source}${monitor}, next run ${first}${jsonDate(listener.nextOccurrence)}`;
}

function describeQueue(listener: QueueListener, options: QueuesOptions): string {
    const { name, queueName, declaredQueueName, connectionSetting } = listener.queueFunction;
    const source = declaredQueueName.trim().toLowerCase() === queueName ? '' : ` (from ${declaredQueueName})`;
    const seconds = (ms: number) => `${ms / 1000} s`;
    return (
        `  ${name}: queueTrigger, queue ${queueName}${source} on ${connectionSetting}, ${options.messageEncoding} messages, ` +
        `batchSize ${options.batchSize}, maxDequeueCount ${options.maxDequeueCount} (then ${listener.poisonQueueName}), ` +
        `visibilityTimeout ${seconds(options.visibilityTimeoutMs)}, maxPollingInterval ${seconds(options.maxPollingIntervalMs)}` +
        (options.leaseMs === AZURE_LEASE_MS ? '' : `, a message's lease ${seconds(options.leaseMs)} (${LEASE_SETTING}; 10 min in Azure)`)
    );
}

function describeOtherTrigger(fn: RegisteredFunction, origin: string): string {
    const trigger = triggerOf(fn)?.type ?? 'unknown trigger';
    return `  ${fn.metadata.name}: ${trigger} (not triggered by the local host; run it with POST ${origin}/admin/functions/${fn.metadata.name})`;
}

function stopOnSignals(server: FunctionHostServer, listeners: ReadonlyArray<{ stop(): Promise<void> }>, registry: FunctionAppRegistry): void {
    let stopping = false;
    const stop = async (signal: string): Promise<void> => {
        logLine(`${signal} received: stopping; ${server.inFlightCount} request(s) and run(s) in flight.`);
        // No timer fires and no queue is polled from now on; a run in progress counts as in flight, like a request.
        server.track(Promise.all(listeners.map((listener) => listener.stop())));
        const drained = await server.close(SHUTDOWN_GRACE_MS);
        if (!drained) {
            logLine(`[Warning] Requests or runs still going after ${SHUTDOWN_GRACE_MS} ms were cut off.`);
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
