// `npm start` (and `npm run start:func`): the whole app offline in one terminal. Azurite, the call simulator
// and the functions, wired together, their logs behind name tags, all stopped by Ctrl-C or when one dies.

import path from 'node:path';
import { isStopRequested, LocalRun, PortsTakenError, refuseTakenPorts, type LocalRunOutput, type ReadyRun } from './localRun/run';
import { LOCAL_RUN_DEFAULTS, parseStartArguments, REPOSITORY_ROOT, START_USAGE, StartUsageError, type LocalRunOptions } from './localRun/options';
import type { ChildExit } from './localRun/processes';
import { ensureSettingsFile, type SettingOverride } from './localRun/settings';
import { CoreToolsMissingError, coreToolsRunner, describeRunner, type FunctionsRunner } from './localRun/startFunc';

const output: LocalRunOutput = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
};

async function main(argv: readonly string[]): Promise<number> {
    const options = parseStartArguments(argv);
    if (options.help) {
        output.out(`${START_USAGE}\n`);
        return 0;
    }
    const runner: FunctionsRunner = options.useCoreTools ? coreToolsRunner(process.env, REPOSITORY_ROOT, options.settingsFile) : { kind: 'localHost' };
    await refuseTakenPorts([
        { port: options.azuriteBlobPort, role: 'Azurite, Blob Storage' },
        { port: options.azuriteQueuePort, role: 'Azurite, Queue Storage' },
        { port: options.azuritePort, role: 'Azurite, Table Storage' },
        { port: options.simulatorPort, role: 'the call simulator' },
        { port: options.functionsPort, role: 'the functions' },
        { port: options.botPort, role: 'the example bot' },
    ]);
    const created = ensureSettingsFile(options.settingsFile, path.join(REPOSITORY_ROOT, LOCAL_RUN_DEFAULTS.sampleSettingsFile));
    output.out(`Starting Azurite, the call simulator, the example bot and the ${describeRunner(runner)}...\n`);

    const run = new LocalRun(options, runner, output, (exit) => void stopAfterDeath(exit));
    const stop = (reason: string, code: number): void => {
        if (run.stopRequested) return;
        output.out(`${reason}\n`);
        run.stop().then(
            () => {
                output.out('Everything stopped.\n');
                process.exit(code);
            },
            (err: unknown) => {
                output.err(`Stopping failed: ${String(err)}\n`);
                process.exit(1);
            },
        );
    };
    const stopAfterDeath = (exit: ChildExit): void => {
        const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
        output.err(`${exit.name} (pid ${exit.pid ?? '?'}) ${how} unexpectedly; stopping everything else.\n`);
        stop('Stopping.', 1);
    };
    process.on('SIGINT', () => stop('SIGINT received: stopping everything.', 0));
    process.on('SIGTERM', () => stop('SIGTERM received: stopping everything.', 0));
    // One stray failure in the simulator's requests must not take a developer's whole session down.
    process.on('unhandledRejection', (reason) => output.err(`Unhandled rejection (carrying on): ${String(reason)}\n`));
    // A crash of this process must not leave Azurite and the functions running without it.
    process.on('uncaughtException', (err) => {
        output.err(`npm start failed: ${err.stack ?? err.message}\n`);
        stop('Stopping.', 1);
    });

    try {
        const ready = await run.start();
        output.out(readyMessage(options, runner, ready, created));
        return await new Promise<number>(() => undefined); // runs until a signal or a child's death ends the process
    } catch (err) {
        if (isStopRequested(err)) return new Promise<number>(() => undefined); // the signal handler exits
        output.err(`${err instanceof Error ? err.message : String(err)}\n`);
        await run.stop();
        return 1;
    }
}

function readyMessage(options: LocalRunOptions, runner: FunctionsRunner, ready: ReadyRun, settingsCreated: boolean): string {
    const shown = (file: string): string => {
        const relative = path.relative(REPOSITORY_ROOT, file);
        return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
    };
    const api = ready.apiUrl;
    const sim = ready.simulator;
    const settings = `${shown(options.settingsFile)}${settingsCreated ? ` (created just now from ${LOCAL_RUN_DEFAULTS.sampleSettingsFile})` : ''}`;
    const overridden =
        ready.overrides.length === 0 ? [] : [`                 set for this run (the environment wins over the file): ${ready.overrides.map((o) => o.name).join(', ')}`];
    const demoFlags = [
        options.functionsPort === LOCAL_RUN_DEFAULTS.functionsPort &&
        options.simulatorPort === LOCAL_RUN_DEFAULTS.simulatorPort &&
        options.tlsDir === path.resolve(REPOSITORY_ROOT, LOCAL_RUN_DEFAULTS.tlsDir)
            ? ''
            : ` --api ${api} --simulator ${sim.url} --ca ${shown(ready.simulatorCaFile)}`,
        options.botPort === LOCAL_RUN_DEFAULTS.botPort ? '' : ` --bot http://localhost:${options.botPort}`,
        // The demo reads the call-ended events where the app queues them: it needs the settings (and run file) npm start used.
        options.settingsFile === path.resolve(REPOSITORY_ROOT, LOCAL_RUN_DEFAULTS.settingsFile) ? '' : ` --settings ${shown(options.settingsFile)}`,
    ].join('');
    const demoCommand = `npm run demo${demoFlags === '' ? '' : ` --${demoFlags}`}`;
    const azurite = ready.azurite;
    const runFileFolder = path.dirname(ready.runFile);
    const callsCommand = runFileFolder === REPOSITORY_ROOT ? 'npm run calls --' : `(cd ${runFileFolder} && node ${path.join(REPOSITORY_ROOT, 'dist/cli/calls.js')})`;
    const origin = new URL(api).origin;
    const signIn = options.signIn
        ? [
              `  Sign-in        ${origin}/.auth/login/aad   the host plays App Service Authentication: choose a name and app roles`,
              '                 (API_AUTH=entra: every API request needs a signed-in principal; the console sends you to sign in)',
          ]
        : [];
    // With sign-in, curl needs a session first: the sign-in form takes a name and roles and sets the cookie.
    const curl = options.signIn ? `curl -s -b .local-sign-in.cookies` : 'curl -s';
    const httpSteps = options.signIn
        ? [
              `  curl -s -c .local-sign-in.cookies -d name=Ada -d role=CallRecord.Operate ${origin}/.auth/login/aad`,
              '      signs curl in as an operator (a reader: role=CallRecord.Read); the commands below send the cookie',
          ]
        : [];
    return [
        '',
        'Ready: the whole app runs offline.',
        `  Functions      ${api}   ${describeRunner(runner)}, pid ${ready.pids.functions ?? '?'}   [functions]`,
        ...signIn,
        `  Timers         the host runs them on their schedules; run one now: POST ${ready.adminUrl}/functions/<name>`,
        ...reconcilerNote(ready.overrides),
        ...telemetryNote(ready.overrides),
        `  Storage        Azurite, data in ${shown(options.dataDir)}/, pid ${ready.pids.azurite ?? '?'}   [azurite]`,
        `    Blob Storage   http://127.0.0.1:${azurite.blob}    timer status and leases (Core Tools), Graph's call records`,
        `    Queue Storage  http://127.0.0.1:${azurite.queue}    call-ended events, the relay's retries, delayed call-record fetches`,
        `    Table Storage  http://127.0.0.1:${azurite.table}    the call record`,
        `  Graph, Entra   call simulator on ${sim.url} (Graph ${sim.graphBaseUrl}, CA ${shown(ready.simulatorCaFile)})   [simulator]`,
        ...botLines(ready),
        `  Settings       ${settings}`,
        ...overridden,
        `  Run file       ${shown(ready.runFile)}: the calls CLI started in ${runFileFolder === REPOSITORY_ROOT ? 'this folder' : runFileFolder} reads this run's storage from it`,
        '',
        'Next, in a second terminal:',
        `  ${demoCommand}`,
        '      places a simulated call, hangs it up through the app, prints its summary and timeline; then a call',
        '      whose end is lost, closed by the reconciler, and the call-ended event read back from the queue; then',
        '      a call the example bot answers through the relay, and what it missed while it was down; then',
        "      a three-person call's roster and, a simulated quarter of an hour later, its quality",
        ...(options.signIn ? ["      (signed in: a reader is refused the hang-up, an operator's is recorded with their name and reason)"] : []),
        `  ${callsCommand} list          the calls recorded so far, read from the table`,
        ...httpSteps,
        `  ${curl} ${api}/calls                       the same over HTTP`,
        `  ${curl} ${api}/calls/<callId>/history      one call's timeline`,
        `  a browser on ${api}/console                the operator console: calls, timelines, hang-up`,
        `  ${callsCommand} events --follow   the call-ended events as calls end (peeked: they stay on the queue)`,
        `  ${curl} -X DELETE ${options.signIn ? "-H 'X-Requested-With: curl' " : ''}${api}/calls/<callId>?reason=...    hang up a call`,
        `  curl -s -X POST ${ready.adminUrl}/functions/<name> -H 'content-type: application/json' -d '{"input":""}'`,
        '      runs a timer (or any non-HTTP function) now; the host answers 202 and logs the run',
        '',
        'Ctrl-C stops everything.',
        '',
    ].join('\n');
}

/** Where the relay delivers: the example bot, or the developer's own bot when RELAY_URL names it. */
function botLines(ready: ReadyRun): string[] {
    const inFront = ready.bot.relayUrl === ready.bot.url;
    return [
        `  Bot            example bot on ${ready.bot.url}, pid ${ready.pids.bot ?? '?'}   [bot]`,
        inFront
            ? '                 the relay delivers every notification there (RELAY_URL), signed; the bot answers incoming calls'
            : `                 not in front: RELAY_URL names ${ready.bot.relayUrl}, where the relay delivers instead`,
    ];
}

/** Why the reconciler checks young calls here, when npm start made it so. */
function reconcilerNote(overrides: readonly SettingOverride[]): string[] {
    const set = overrides.find((override) => override.name === 'RECONCILE_AFTER_MINUTES');
    if (set === undefined) return [];
    return [
        `                 reconcileCalls checks every active call, however recent: RECONCILE_AFTER_MINUTES=${set.value} for this run`,
        `                 (the simulator's calls are young; RECONCILE_AFTER_MINUTES=45 npm start keeps Graph's 45 minutes)`,
    ];
}

/** Where the metrics show, when npm start -- --telemetry asked for them. */
function telemetryNote(overrides: readonly SettingOverride[]): string[] {
    const set = overrides.find((override) => override.name === 'TELEMETRY_SUMMARY_SECONDS');
    if (set === undefined) return [];
    return [`  Telemetry      the app's metrics, summed up every ${set.value} s in its output ([functions] Telemetry, last ...)`];
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
        const expected = err instanceof StartUsageError || err instanceof PortsTakenError || err instanceof CoreToolsMissingError;
        output.err(`${expected ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
    },
);
