// `npm run demo`, against a running `npm start`. Act one plays the bot placing a call through the simulator's
// Graph (with a token from the simulator's Entra), hangs it up through the app's DELETE /api/calls/{id}, and
// prints the call's summary and timeline from the query API. Act two shows a call whose end is lost being
// closed by the reconciler, and reads its call-ended event back from the queue (stuckCall.ts). Act three puts
// the app in front of the example bot: a call rings, the bot answers it through the relay, then the bot goes
// down and gets what it missed, in order, when it is back (relayAct.ts). Act four shows a call's roster and,
// with CALL_RECORDS=on, its quality from Graph's call record (rosterAndQuality.ts).

import path from 'node:path';
import { parseArgs } from 'node:util';
import type { QueueClient } from '@azure/storage-queue';
import { CliError } from '../../cli/cliError';
import { describeQueue, LOCAL_SETTINGS_FILE, settingsEnvironment } from '../../cli/settings';
import { loadCallEventsConfig, loadCallRecordsConfig, type CallEventsConfig, type CallRecordsConfig } from '../../shared/settings/config';
import { ConfigError } from '../../shared/errors';
import { createQueueClient } from '../../shared/settings/queueClient';
import { DemoError, describeAnswer } from './client';
import { callReport } from './report';
import { showRelay } from './relayAct';
import { DEMO_PEOPLE, DemoSession, isEnded, type DemoTargets } from './session';
import { showStuckCall } from './stuckCall';
import { showRosterAndQuality } from './rosterAndQuality';
import { SIMULATOR_DEFAULTS } from '../simulator';

const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
const DEMO_REASON = 'the caller asked to end it';

const USAGE = `Usage: npm run demo [-- options]      (needs a running \`npm start\`)
  --api URL          the functions' API (default http://localhost:7071/api; env DEMO_API_URL)
  --simulator URL    the call simulator (default https://localhost:${SIMULATOR_DEFAULTS.port}; env DEMO_SIMULATOR_URL)
  --ca FILE          the simulator's CA certificate (default ${SIMULATOR_DEFAULTS.tlsFolder}/ca.pem; env DEMO_SIMULATOR_CA)
  --bot URL          the example bot npm start runs (default http://localhost:3978; env DEMO_BOT_URL)
  --settings FILE    the app's settings, as npm start was given them (default ${LOCAL_SETTINGS_FILE}; env DEMO_SETTINGS):
                     where the call-ended events are queued, read with the run file npm start writes beside it
  --timeout SECONDS  how long to wait for each step's outcome (default 20; env DEMO_TIMEOUT_SECONDS)`;

interface DemoOptions extends DemoTargets {
    settingsFile: string;
    bot: string;
}

function parseDemoArguments(argv: string[], env: NodeJS.ProcessEnv): DemoOptions | undefined {
    let values: Record<string, string | boolean | undefined>;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: {
                api: { type: 'string' },
                simulator: { type: 'string' },
                ca: { type: 'string' },
                bot: { type: 'string' },
                settings: { type: 'string' },
                timeout: { type: 'string' },
                help: { type: 'boolean', short: 'h' },
            },
        }));
    } catch (err) {
        throw new DemoError(`${(err as Error).message}\n${USAGE}`);
    }
    if (values.help === true) return undefined;
    const text = (flag: string, variable: string, fallback: string): string => {
        const value = values[flag] ?? env[variable];
        return typeof value === 'string' && value !== '' ? value : fallback;
    };
    const timeoutSeconds = Number(text('timeout', 'DEMO_TIMEOUT_SECONDS', '20'));
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
        throw new DemoError(`--timeout must be a positive number of seconds.\n${USAGE}`);
    }
    const options = {
        api: text('api', 'DEMO_API_URL', 'http://localhost:7071/api').replace(/\/+$/, ''),
        simulator: text('simulator', 'DEMO_SIMULATOR_URL', `https://localhost:${SIMULATOR_DEFAULTS.port}`).replace(/\/+$/, ''),
        caFile: path.resolve(REPOSITORY_ROOT, text('ca', 'DEMO_SIMULATOR_CA', path.join(SIMULATOR_DEFAULTS.tlsFolder, 'ca.pem'))),
        bot: text('bot', 'DEMO_BOT_URL', 'http://localhost:3978').replace(/\/+$/, ''),
        settingsFile: path.resolve(REPOSITORY_ROOT, text('settings', 'DEMO_SETTINGS', LOCAL_SETTINGS_FILE)),
        timeoutMs: timeoutSeconds * 1000,
    };
    for (const [flag, url] of [
        ['--api', options.api],
        ['--simulator', options.simulator],
        ['--bot', options.bot],
    ] as const) {
        if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new DemoError(`${flag} must be an http(s) URL, not "${url}".`);
    }
    return options;
}

async function runDemo(options: DemoOptions): Promise<void> {
    const say = (line = ''): void => void process.stdout.write(`${line}\n`);
    const session = await DemoSession.open(options);
    const events = callEventsQueue(options.settingsFile);
    const callRecords = callRecordsConfig(options.settingsFile);
    say('Demo: simulated Teams calls through the app. First a call hung up through the app, from placing it to its');
    say('recorded timeline; then a call whose end never reaches the app, closed by the reconciler, and its call-ended event;');
    say('then the app in front of a bot: a call it answers through the relay, and what it missed while it was down;');
    say("then who was in a call, and how well by Graph's call record after it.");
    say(`  app        ${options.api}${session.signsIn ? ` (people sign in: ${session.signInUrl})` : ''}`);
    say(`  simulator  ${options.simulator} (plays Entra ID and Microsoft Graph)`);
    say(`  events     ${events.config === undefined ? 'off (CALL_EVENTS_QUEUE is empty)' : describeQueue(events.config)}`);
    say();

    say('Act one: a call hung up through the app.');
    say(`1. Got an app-only Graph token from the simulator's Entra (client credentials of app ${session.clientId}).`);

    const started = Date.now();
    const callbackUri = `${options.api}/callback`;
    const callId = await session.placeCall(callbackUri);
    say(`2. Placed a call: POST ${session.graphBaseUrl}/communications/calls -> 201, call id ${callId}.`);
    say(`   Graph now notifies the bot's calling webhook, ${callbackUri}.`);

    await session.waitForCall(callId, 'established', (summary) => summary.callState === 'established' || isEnded(summary));
    say(`3. The app verified and recorded the notifications: the call is established (${seconds(started)}).`);

    const hangupStarted = Date.now();
    if (session.signsIn) {
        await hangUpAsPeople(session, callId, say);
    } else {
        await session.hangUp(callId);
        say(`4. Hung up through the app: DELETE ${session.callUrl(callId)} -> 204 (${seconds(hangupStarted)}).`);
    }

    const summary = await session.waitForCall(callId, 'terminated', (s) => s.callState === 'terminated' && s.deleted);
    say(`5. The app recorded Graph's terminating and terminated notifications (${seconds(hangupStarted)} after the hang-up).`);
    say();
    process.stdout.write(callReport(session.callUrl(callId), summary, await session.history(callId)));

    say();
    say('Act two: a call whose end never reaches the app, closed by the reconciler.');
    const stuckId = await showStuckCall(session, events.queue, say);
    say();
    say('Act three: the app in front of the bot (the example bot npm start runs; RELAY_URL points at it).');
    const relayedId = await showRelay(session, options.bot, say);
    say();
    say('Act four: who was in a call, and how well.');
    const rosterId = await showRosterAndQuality(session, { ...(callRecords === undefined ? {} : { config: callRecords }), settingsFile: options.settingsFile }, say);
    say();
    say(`Try: npm run calls -- events --follow      the call-ended events as calls end (Ctrl-C stops)`);
    say(`     curl -s ${session.signsIn ? '-b .local-sign-in.cookies ' : ''}${session.callUrl(stuckId)}/history`);
    say(`     npm run calls -- relay status ${relayedId}   each notification's delivery to the bot`);
    say(`     npm run calls -- show ${rosterId}      the roster and the quality by participant`);
    say(`     a browser on ${options.api}/console         the call's relay state and replay button, a call's participants`);
    if (!session.signsIn) say('     npm start -- --sign-in, then npm run demo again: people sign in, and a reader is refused the hang-up');
}

/** Graph's call record after the call as the app is configured (undefined: CALL_RECORDS is off). */
function callRecordsConfig(settingsFile: string): CallRecordsConfig | undefined {
    try {
        return loadCallRecordsConfig(settingsEnvironment(settingsFile, process.env).environment);
    } catch (err) {
        if (err instanceof ConfigError || err instanceof CliError) throw new DemoError(`${err.message} (read from ${settingsFile} and the environment, as the app reads them).`);
        throw err;
    }
}

/**
 * Step 4 when the run signs people in: a reader asks for the hang-up and is refused with the role they lack; an
 * operator hangs up with a reason, which the call's history keeps with their name.
 */
async function hangUpAsPeople(session: DemoSession, callId: string, say: (line?: string) => void): Promise<void> {
    const { reader, operator } = DEMO_PEOPLE;
    say(`4. Hung up through the app, signed in at ${session.signInUrl}:`);
    await session.signIn(reader.name, reader.role);
    const refused = await session.askToHangUp(callId);
    if (refused.status !== 403) throw new DemoError(`A reader's hang-up should be refused with 403: DELETE ${session.callUrl(callId)} answered ${describeAnswer(refused)}`);
    say(`   ${reader.name} (${reader.role}): DELETE ${session.callUrl(callId)} -> 403`);
    say(`     ${(refused.json as { detail?: string } | undefined)?.detail ?? ''}`);
    await session.signIn(operator.name, operator.role);
    const started = Date.now();
    await session.hangUp(callId, DEMO_REASON);
    say(`   ${operator.name} (${operator.role}): DELETE ${session.callUrl(callId)} {"reason":"${DEMO_REASON}"} -> 204 (${seconds(started)}).`);
    say('     The hang-up in the timeline below says who asked and why.');
}

/** The queue of call-ended events as the app is configured: the settings file, the run file beside it, the environment. */
function callEventsQueue(settingsFile: string): { config?: CallEventsConfig; queue?: QueueClient } {
    let config: CallEventsConfig | undefined;
    try {
        config = loadCallEventsConfig(settingsEnvironment(settingsFile, process.env).environment);
    } catch (err) {
        if (err instanceof ConfigError || err instanceof CliError) {
            throw new DemoError(`${err.message} (read from ${settingsFile} and the environment, as the app reads them; --settings names the file npm start was given).`);
        }
        throw err;
    }
    return config === undefined ? {} : { config, queue: createQueueClient(config) };
}

function seconds(since: number): string {
    return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
    const options = parseDemoArguments(process.argv.slice(2), process.env);
    if (options === undefined) {
        process.stdout.write(`${USAGE}\n`);
        return 0;
    }
    await runDemo(options);
    return 0;
}

main().then(
    (code) => process.exit(code),
    (err: unknown) => {
        process.stderr.write(`Demo failed: ${err instanceof DemoError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
        process.exit(1);
    },
);
