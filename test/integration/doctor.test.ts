// `calls doctor`, compiled and run as a child process: against a healthy local run (Azurite, the simulator as Entra
// and Graph and as the callback's signing keys) every check passes or does not apply and the exit code is 0, the
// same when the app runs the checks itself (GET /api/doctor, `--app`); the relay's bot gets a signed test delivery
// it verifies with `standardwebhooks`. Then one broken thing at a time, each failing its own check and no other,
// with what to do: a wrong BOT_APP_ID, storage that cannot be reached, the signing keys down, a Graph app without a
// calling permission, call records without CallRecords.Read.All, a bot refusing the relay's signature, sign-in
// without the platform's. No run prints a secret.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../dev/ports';
import { simulatorAppSettings, startSimulator, type RunningSimulator } from '../../dev/simulator';
import type { DoctorReport } from '../../shared/doctor/doctorCheck';
import { startCallbackIssuer, type CallbackIssuer } from '../support/callbackIssuer';
import { startHostProcess, type HostProcess } from '../support/hostProcess';
import { testConnectionString, uniqueTableName } from '../support/storage';
import { newRelaySecret, startTestBot, type TestBot } from '../support/testBot';
import { testTls } from '../support/tls';

const CLI = path.resolve(__dirname, '../../cli/calls.js');
/** Distinctive, so a search of the output for it cannot miss it. */
const CLIENT_SECRET = 'doctor-test-secret-Zq7Vw2';

interface Run {
    code: number | null;
    stdout: string;
    stderr: string;
}

describe('calls doctor', () => {
    let sim: RunningSimulator;
    let withoutRoles: RunningSimulator;
    /** An app granted the calling permissions only. */
    let callingOnly: RunningSimulator;
    let issuer: CallbackIssuer;
    /** The bot behind the relay, with the app's secret; and one that was given another secret. */
    let bot: TestBot;
    let strangerBot: TestBot;
    const relaySecret = newRelaySecret();
    let host: HostProcess;
    let emptyDir: string;
    const tableName = uniqueTableName('doctor');
    const queueName = `doctor-${randomUUID().slice(0, 8)}`;

    const settings = (simulator: RunningSimulator): Record<string, string> => ({
        ...simulatorAppSettings(simulator),
        CallHistoryStorage: testConnectionString(),
        AzureWebJobsStorage: testConnectionString(),
        CALL_HISTORY_TABLE: tableName,
        CALL_EVENTS_QUEUE: queueName,
        RELAY_URL: bot.url,
        RELAY_SECRET: relaySecret,
        RELAY_QUEUE: `${queueName}-relay`,
    });

    const doctor = (args: string[], env: Record<string, string>): Promise<Run> =>
        new Promise((resolve) => {
            // A folder without local.settings.json: the settings are the environment's alone.
            execFile(process.execPath, [CLI, 'doctor', ...args], { cwd: emptyDir, env: { ...process.env, ...env }, timeout: 120_000 }, (err, stdout, stderr) => {
                resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
            });
        });

    /** The statuses by check id, from --json. */
    const statuses = (run: Run): Record<string, string> => Object.fromEntries((JSON.parse(run.stdout) as DoctorReport).checks.map((check) => [check.id, check.status]));

    const secretsOf = (env: Record<string, string>) => [
        CLIENT_SECRET,
        relaySecret,
        relaySecret.slice('whsec_'.length),
        ...[...env.CallHistoryStorage!.matchAll(/AccountKey=([^;]+)/g)].map((match) => match[1] as string),
    ];

    before(async () => {
        emptyDir = mkdtempSync(path.join(os.tmpdir(), 'calls-doctor-'));
        [sim, withoutRoles, callingOnly, issuer, bot, strangerBot] = await Promise.all([
            startSimulator({ port: 0, tls: testTls(), clientSecret: CLIENT_SECRET }),
            startSimulator({ port: 0, tls: testTls(), clientSecret: CLIENT_SECRET, graphRoles: [] }),
            startSimulator({ port: 0, tls: testTls(), clientSecret: CLIENT_SECRET, graphRoles: ['Calls.Initiate.All', 'Calls.AccessMedia.All'] }),
            startCallbackIssuer(),
            startTestBot(relaySecret),
            startTestBot(newRelaySecret()),
        ]);
        // Each bot accepts what it can verify with its own secret, as a bot does.
        for (const each of [bot, strangerBot]) each.answer((request) => (request.verified ? { status: 200 } : { status: 401, body: 'bad signature' }));
        host = await startHostProcess({ env: settings(sim) });
    });
    after(async () => {
        await host?.stop();
        await Promise.all([sim?.stop(), withoutRoles?.stop(), callingOnly?.stop(), issuer?.stop(), bot?.stop(), strangerBot?.stop()]);
        if (emptyDir) rmSync(emptyDir, { recursive: true, force: true });
    });

    test('a healthy local run: every check passes or does not apply, exit code 0, one line each, no secret', async () => {
        // act
        const text = await doctor([], settings(sim));
        const json = await doctor(['--json'], settings(sim));
        // assess
        assert.equal(text.code, 0, text.stdout + text.stderr);
        assert.equal(json.code, 0);
        assert.deepEqual(statuses(json), {
            settings: 'ok',
            'callback-auth': 'ok',
            table: 'ok',
            queue: 'ok',
            'signing-keys': 'ok',
            'graph-token': 'ok',
            'graph-permissions': 'ok',
            'bot-app-id': 'ok',
            'sign-in': 'ok',
            'relay-queue': 'ok',
            'relay-endpoint': 'ok',
            telemetry: 'skip',
        });
        assert.match(text.stdout, /^ {2}ok {4}graph-permissions {2}The token carries roles Calls\.Initiate\.All/m);
        assert.match(
            text.stdout,
            /^ {2}ok {4}relay-endpoint {5}http:\/\/127\.0\.0\.1:\d+\/api\/calling accepted a test delivery signed with 1 secret of RELAY_SECRET \(webhook-id doctor\/\d+, no notification\): HTTP 200/m,
        );
        assert.match(text.stdout, /^All is well: 11 checks passed, 1 did not apply\.$/m);
        // The test deliveries, as the bot saw them: signed with the app's secret, a webhook-id of their own, no notification.
        const tests = bot.requests.filter((request) => request.webhookId.startsWith('doctor/'));
        assert.equal(tests.length, 2);
        assert.ok(tests.every((request) => request.verified && /^doctor\/\d+$/.test(request.webhookId) && request.body === '{"value":[]}'));
        for (const secret of secretsOf(settings(sim))) {
            assert.equal(text.stdout.includes(secret) || json.stdout.includes(secret) || text.stderr.includes(secret), false, 'a secret was printed');
        }
    });

    test('--app: the app runs the same checks itself, with its own settings, and answers them', async () => {
        // act
        const run = await doctor(['--app', host.baseUrl, '--json'], {});
        const text = await doctor(['--app', host.baseUrl], {});
        // assess
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.equal(statuses(run)['bot-app-id'], 'ok');
        assert.equal(statuses(run).table, 'ok');
        assert.match(text.stdout, new RegExp(`^calls doctor: 12 checks, inside the app at ${host.baseUrl.replace(/[.]/g, '\\.')}, with its settings and identity\\.$`, 'm'));
        assert.equal(statuses(run)['relay-endpoint'], 'ok', 'the app reaches its bot itself');
        assert.equal(run.stdout.includes(CLIENT_SECRET) || run.stdout.includes(relaySecret), false);
    });

    const broken: Array<{ name: string; check: string; env: () => Promise<Record<string, string>> | Record<string, string>; says: RegExp }> = [
        {
            name: 'a wrong BOT_APP_ID (the audience callbacks are checked for)',
            check: 'bot-app-id',
            env: () => ({ ...settings(sim), BOT_APP_ID: '99999999-9999-4999-8999-999999999999' }),
            says: /every callback would be refused \(401, reason audience\)[\s\S]*What to do: Set BOT_APP_ID to 22222222-2222-4222-8222-222222222222/,
        },
        {
            name: 'storage that cannot be reached',
            check: 'table',
            env: async () => ({
                ...settings(sim),
                CallHistoryStorage: testConnectionString().replace(/TableEndpoint=[^;]+/, `TableEndpoint=http://127.0.0.1:${await freePort()}/devstoreaccount1`),
            }),
            says: /table \S+ at http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1 cannot be reached[\s\S]*What to do: Check the endpoint/,
        },
        {
            name: "the callback's signing keys down",
            check: 'signing-keys',
            env: () => {
                issuer.setJwksAnswer({ status: 503 });
                return { ...settings(sim), CALLBACK_OPENID_CONFIGURATION: issuer.openIdConfigurationUrl };
            },
            says: /the signing keys \(JWKS\) at \S+ answered HTTP 503[\s\S]*What to do: Until they load, every callback is answered 503/,
        },
        {
            name: 'a Graph app without a calling permission',
            check: 'graph-permissions',
            env: () => settings(withoutRoles),
            says: /The token carries no application permissions: nothing for hang-ups, the reconciler and keepAlive[\s\S]*What to do: Add the Microsoft Graph application permission Calls\.Initiate\.All/,
        },
        {
            name: 'call records on (CALL_RECORDS=on) for an app without CallRecords.Read.All',
            check: 'graph-permissions',
            env: () => ({ ...settings(callingOnly), CALL_RECORDS: 'on' }),
            says: /nothing for Graph's call records \(CALL_RECORDS=on\) \(one of CallRecords\.Read\.All\)[\s\S]*What to do: Add the Microsoft Graph application permission CallRecords\.Read\.All/,
        },
        {
            name: "a bot that refuses the relay's signature (it was given another secret)",
            check: 'relay-endpoint',
            env: () => ({ ...settings(sim), RELAY_URL: strangerBot.url }),
            says: /answered a test delivery \(webhook-id doctor\/\d+\) with HTTP 401: bad signature: the bot refuses the relay's signature[\s\S]*What to do: Give the bot the secret of RELAY_SECRET/,
        },
        {
            name: 'sign-in (API_AUTH=entra) without App Service Authentication in front',
            check: 'sign-in',
            env: () => ({ ...settings(sim), API_AUTH: 'entra' }),
            says: /API_AUTH=entra, and App Service Authentication is off \(WEBSITE_AUTH_ENABLED is not true\): the app trusts no principal[\s\S]*What to do: Run the app behind the local sign-in \(npm start -- --sign-in\)/,
        },
    ];

    for (const { name, check, env, says } of broken) {
        test(`${name}: the ${check} check fails, with what to do, and no other; exit code 1`, async () => {
            // prepare
            const given = await env();
            // act
            const text = await doctor([], given);
            const json = await doctor(['--json'], given);
            // assess
            assert.equal(text.code, 1, text.stdout + text.stderr);
            assert.equal(json.code, 1);
            const failed = Object.entries(statuses(json))
                .filter(([, status]) => status === 'fail')
                .map(([id]) => id);
            assert.deepEqual(failed, [check]);
            assert.match(text.stdout, says);
            assert.match(text.stdout, new RegExp(`^1 of 12 checks failed: ${check}\\.$`, 'm'));
            for (const secret of secretsOf(given)) assert.equal(text.stdout.includes(secret) || json.stdout.includes(secret), false, 'a secret was printed');
        });
    }

    test('--app against an app with sign-in (API_AUTH=entra) and nobody signed in: the app refuses, and the command says what to give it', async () => {
        // prepare
        const signInHost = await startHostProcess({ env: { ...settings(sim), API_AUTH: 'entra' }, signIn: true });
        try {
            // act
            const run = await doctor(['--app', signInHost.baseUrl], {});

            // assess
            assert.equal(run.code, 1);
            assert.match(run.stderr, /answered 401 \(Sign-in is required: App Service Authentication put no signed-in principal on this request/);
            assert.match(run.stderr, /with API_AUTH=entra an Entra access token for the sign-in registration \(api:\/\/<AUTH_CLIENT_ID>\) in CALLS_ACCESS_TOKEN/);
        } finally {
            await signInHost.stop();
        }
    });

    test('--app with something that is not a URL is a usage error', async () => {
        // act
        const run = await doctor(['--app', 'func-calls'], settings(sim));
        // assess
        assert.equal(run.code, 2);
        assert.match(run.stderr, /--app takes the app's base URL/);
    });
});
