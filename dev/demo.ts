// `npm run demo`, against a running `npm start`: plays the bot placing a call through the simulator's Graph
// (with a token from the simulator's Entra), hangs it up through the app's DELETE /api/calls/{id}, waits until
// the app has recorded the notifications, and prints the call's summary and timeline from the query API.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DemoError, describeAnswer, jsonRequest, type JsonResponse } from './demoClient';
import type { CallEventJson, CallSummaryJson } from '../shared/callJson';
import { formatCallSummary, formatCallTimeline } from './demoReport';
import { SIMULATOR_DEFAULTS } from './simulator';

const REPOSITORY_ROOT = path.resolve(__dirname, '../..');
const START_HINT = 'Start everything with `npm start` in another terminal, wait for "Ready", then run `npm run demo` again.';
const POLL_MS = 150;

const USAGE = `Usage: npm run demo [-- options]      (needs a running \`npm start\`)
  --api URL          the functions' API (default http://localhost:7071/api; env DEMO_API_URL)
  --simulator URL    the call simulator (default https://localhost:${SIMULATOR_DEFAULTS.port}; env DEMO_SIMULATOR_URL)
  --ca FILE          the simulator's CA certificate (default ${SIMULATOR_DEFAULTS.tlsFolder}/ca.pem; env DEMO_SIMULATOR_CA)
  --timeout SECONDS  how long to wait for each step's notifications (default 20; env DEMO_TIMEOUT_SECONDS)`;

interface DemoOptions {
    api: string;
    simulator: string;
    caFile: string;
    timeoutMs: number;
}

/** What /_control/info tells about the simulator. */
interface SimulatorInfo {
    tokenEndpoint: string;
    graphBaseUrl: string;
    controlUrl: string;
    tenantId: string;
    clientId: string;
}

function parseDemoArguments(argv: string[], env: NodeJS.ProcessEnv): DemoOptions | undefined {
    let values: Record<string, string | boolean | undefined>;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { api: { type: 'string' }, simulator: { type: 'string' }, ca: { type: 'string' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
        timeoutMs: timeoutSeconds * 1000,
    };
    for (const [flag, url] of [['--api', options.api], ['--simulator', options.simulator]] as const) {
        if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new DemoError(`${flag} must be an http(s) URL, not "${url}".`);
    }
    return options;
}

async function runDemo(options: DemoOptions): Promise<void> {
    const say = (line = ''): void => void process.stdout.write(`${line}\n`);
    say('Demo: a simulated Teams call through the app, from placing it to its recorded timeline.');
    say(`  app        ${options.api}`);
    say(`  simulator  ${options.simulator} (plays Entra ID and Microsoft Graph)`);
    say();

    await checkApp(options);
    const ca = readCa(options.caFile);
    const sim = await simulatorInfo(options, ca);

    const token = await graphToken(sim, ca);
    say(`1. Got an app-only Graph token from the simulator's Entra (client credentials of app ${sim.clientId}).`);

    const started = Date.now();
    const callbackUri = `${options.api}/callback`;
    const callId = await placeCall(sim, ca, token, callbackUri);
    say(`2. Placed a call: POST ${sim.graphBaseUrl}/communications/calls -> 201, call id ${callId}.`);
    say(`   Graph now notifies the bot's calling webhook, ${callbackUri}.`);

    await waitForCall(options, sim, ca, callId, 'established', (summary) => summary.callState === 'established' || isEnded(summary));
    say(`3. The app verified and recorded the notifications: the call is established (${seconds(started)}).`);

    const hangupStarted = Date.now();
    const hangup = await jsonRequest('DELETE', `${options.api}/calls/${encodeURIComponent(callId)}`, { whenUnreachable: START_HINT });
    if (hangup.status !== 204) {
        throw new DemoError(`The app did not hang up the call: DELETE ${options.api}/calls/${callId} answered ${describeAnswer(hangup)}`);
    }
    say(`4. Hung up through the app: DELETE ${options.api}/calls/${callId} -> 204 (${seconds(hangupStarted)}).`);

    const summary = await waitForCall(options, sim, ca, callId, 'terminated', isEnded);
    say(`5. The app recorded Graph's terminating and terminated notifications (${seconds(hangupStarted)} after the hang-up).`);
    say();
    say(`Summary: GET ${options.api}/calls/${callId}`);
    process.stdout.write(formatCallSummary(summary));
    say();
    say(`Timeline: GET ${options.api}/calls/${callId}/history`);
    process.stdout.write(formatCallTimeline(callId, await history(options, callId)));
    say();
    say(`Try: curl -s ${options.api}/calls/${callId}/history`);
}

/** The app answers its query API; a 404 for a call means the app is there and the call unknown. */
async function checkApp(options: DemoOptions): Promise<void> {
    const answer = await jsonRequest('GET', `${options.api}/calls?top=1`, { whenUnreachable: START_HINT, timeoutMs: 10_000 });
    if (answer.status !== 200 || !Array.isArray((answer.json as { calls?: unknown } | undefined)?.calls)) {
        throw new DemoError(`${options.api} answers, but not like this app: GET /calls?top=1 gave ${describeAnswer(answer)}. Is --api right?`);
    }
}

function readCa(file: string): string {
    try {
        return readFileSync(file, 'utf8');
    } catch {
        throw new DemoError(`The simulator's CA certificate is not at ${file}. \`npm start\` creates it on its first run. ${START_HINT}`);
    }
}

async function simulatorInfo(options: DemoOptions, ca: string): Promise<SimulatorInfo> {
    const answer = await jsonRequest('GET', `${options.simulator}/_control/info`, { ca, whenUnreachable: START_HINT, timeoutMs: 10_000 });
    const info = answer.json as Partial<SimulatorInfo> | undefined;
    if (answer.status !== 200 || typeof info?.tokenEndpoint !== 'string' || typeof info.graphBaseUrl !== 'string') {
        throw new DemoError(`${options.simulator} answers, but not like the call simulator: ${describeAnswer(answer)}. Is --simulator right?`);
    }
    return info as SimulatorInfo;
}

async function graphToken(sim: SimulatorInfo, ca: string): Promise<string> {
    const form = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.clientId,
        client_secret: SIMULATOR_DEFAULTS.clientSecret,
        scope: SIMULATOR_DEFAULTS.graphScope,
    });
    const answer = await jsonRequest('POST', sim.tokenEndpoint, {
        body: form.toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ca,
        whenUnreachable: START_HINT,
    });
    const token = (answer.json as { access_token?: unknown } | undefined)?.access_token;
    if (answer.status !== 200 || typeof token !== 'string') {
        throw new DemoError(`The simulator's Entra refused a token: ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    return token;
}

/** What a calling bot sends to place a call: a target user, audio, service-hosted media. */
async function placeCall(sim: SimulatorInfo, ca: string, token: string, callbackUri: string): Promise<string> {
    const answer = await jsonRequest('POST', `${sim.graphBaseUrl}/communications/calls`, {
        ca,
        headers: { authorization: `Bearer ${token}` },
        whenUnreachable: START_HINT,
        body: {
            '@odata.type': '#microsoft.graph.call',
            callbackUri,
            targets: [
                {
                    '@odata.type': '#microsoft.graph.invitationParticipantInfo',
                    identity: {
                        '@odata.type': '#microsoft.graph.identitySet',
                        user: { '@odata.type': '#microsoft.graph.identity', displayName: 'Demo user', id: '8b081ef6-4792-4def-b2c9-c363a1bf41d5' },
                    },
                },
            ],
            requestedModalities: ['audio'],
            mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
            tenantId: sim.tenantId,
        },
    });
    const id = (answer.json as { id?: unknown } | undefined)?.id;
    if (answer.status !== 201 || typeof id !== 'string') {
        throw new DemoError(`The simulator's Graph did not create the call: ${describeAnswer(answer)}`);
    }
    return id;
}

/** Polls the app's summary of the call until `done`; on timeout, says what the simulator saw. */
async function waitForCall(
    options: DemoOptions,
    sim: SimulatorInfo,
    ca: string,
    callId: string,
    goal: string,
    done: (summary: CallSummaryJson) => boolean,
): Promise<CallSummaryJson> {
    const deadline = Date.now() + options.timeoutMs;
    let last: JsonResponse | undefined;
    while (Date.now() < deadline) {
        last = await jsonRequest('GET', `${options.api}/calls/${encodeURIComponent(callId)}`, { whenUnreachable: START_HINT });
        if (last.status === 200 && done(last.json as CallSummaryJson)) return last.json as CallSummaryJson;
        if (last.status !== 200 && last.status !== 404) {
            throw new DemoError(`GET ${options.api}/calls/${callId} answered ${describeAnswer(last)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const state = last?.status === 200 ? `its state is ${(last.json as CallSummaryJson).callState ?? 'unknown'}` : 'nothing is recorded for it';
    throw new DemoError(
        `The app did not record the call as ${goal} within ${options.timeoutMs / 1000} s: ${state}. ${await deliveryDiagnosis(sim, ca, callId)}`,
    );
}

/** Why notifications may be missing, from the simulator's record of its callback POSTs. */
async function deliveryDiagnosis(sim: SimulatorInfo, ca: string, callId: string): Promise<string> {
    const answer = await jsonRequest('GET', `${sim.controlUrl}/stats`, { ca, whenUnreachable: START_HINT }).catch(() => undefined);
    const deliveries = (answer?.json as { calls?: Record<string, { deliveries?: Array<{ status: number | null; error?: string }> }> } | undefined)?.calls?.[callId]
        ?.deliveries;
    if (deliveries === undefined || deliveries.length === 0) {
        return 'The simulator has sent no notifications for it yet; see the npm start terminal.';
    }
    const outcomes = deliveries.map((delivery) => (delivery.status !== null ? String(delivery.status) : `failed (${delivery.error ?? 'no answer'})`));
    const hint = deliveries.some((delivery) => delivery.status === 401)
        ? ' The app refused the callback tokens: its BOT_APP_ID and CALLBACK_OPENID_CONFIGURATION must point at this simulator, as npm start sets them.'
        : '';
    return `The simulator's notification POSTs to the app were answered: ${outcomes.join(', ')}.${hint}`;
}

async function history(options: DemoOptions, callId: string): Promise<CallEventJson[]> {
    const events: CallEventJson[] = [];
    let token: string | undefined;
    do {
        const query = new URLSearchParams({ top: '1000', ...(token === undefined ? {} : { continuationToken: token }) });
        const answer = await jsonRequest('GET', `${options.api}/calls/${encodeURIComponent(callId)}/history?${query}`, { whenUnreachable: START_HINT });
        const page = answer.json as { events?: CallEventJson[]; continuationToken?: string } | undefined;
        if (answer.status !== 200 || !Array.isArray(page?.events)) {
            throw new DemoError(`GET ${options.api}/calls/${callId}/history answered ${describeAnswer(answer)}`);
        }
        events.push(...page.events);
        token = page.continuationToken;
    } while (token !== undefined);
    return events;
}

function isEnded(summary: CallSummaryJson): boolean {
    return summary.callState === 'terminated' && summary.deleted;
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
