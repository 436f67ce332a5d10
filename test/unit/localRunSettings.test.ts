// Which settings `npm start` sets for the app: none for the sample on the default ports, and exactly those
// that would otherwise point the app somewhere else than this run's Azurite and simulator.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEVELOPMENT_STORAGE_PORTS, devStorageConnectionString } from '../../dev/azurite';
import { parseStartArguments, StartUsageError } from '../../dev/localRun/options';
import { accessOverrides, ensureSettingsFile, LOCAL_RELAY_SECRET, lifecycleOverrides, readSettingValues, relayOverrides, settingOverrides } from '../../dev/localRun/settings';
import { startSimulator, type RunningSimulator } from '../../dev/simulator';
import { REPOSITORY_ROOT } from '../support/hostProcess';

const SAMPLE = path.join(REPOSITORY_ROOT, 'local.settings.sample.json');

describe('settingOverrides', () => {
    let sim: RunningSimulator;
    /** The sample's values, as if the simulator listened on the default port it names. */
    let sample: Record<string, string>;

    before(async () => {
        sim = await startSimulator({ port: 0 });
        sample = Object.fromEntries(Object.entries(readSettingValues(SAMPLE)).map(([name, value]) => [name, value.replace('localhost:7443', `localhost:${sim.port}`)]));
    });
    after(() => sim.stop());

    const names = (overrides: ReturnType<typeof settingOverrides>) => overrides.map((override) => override.name).sort();

    test('the sample needs nothing set when everything runs on its ports', () => {
        assert.deepEqual(settingOverrides(sample, { azurite: DEVELOPMENT_STORAGE_PORTS, simulator: sim }), []);
    });

    test('other Azurite ports set both storage settings to all three endpoints of those ports', () => {
        // prepare
        const azurite = { blob: 11000, queue: 11001, table: 11002 };

        // act
        const overrides = settingOverrides(sample, { azurite, simulator: sim });

        // assess
        assert.deepEqual(names(overrides), ['AzureWebJobsStorage', 'CallHistoryStorage']);
        assert.ok(overrides.every((override) => override.value === devStorageConnectionString(azurite) && override.previous === 'UseDevelopmentStorage=true'));
        assert.match(
            devStorageConnectionString(azurite),
            /BlobEndpoint=http:\/\/127\.0\.0\.1:11000\/devstoreaccount1;QueueEndpoint=http:\/\/127\.0\.0\.1:11001\/devstoreaccount1;TableEndpoint=http:\/\/127\.0\.0\.1:11002\/devstoreaccount1;$/,
        );
    });

    test('one Azurite service off its default port is enough to leave UseDevelopmentStorage=true', () => {
        const overrides = settingOverrides(sample, { azurite: { ...DEVELOPMENT_STORAGE_PORTS, queue: 11001 }, simulator: sim });
        assert.deepEqual(names(overrides), ['AzureWebJobsStorage', 'CallHistoryStorage']);
    });

    test('settings pointing at a real tenant are pointed at the simulator, ids compared without case', () => {
        // prepare
        const real = {
            ...sample,
            AZURE_CLIENT_ID: sample.AZURE_CLIENT_ID?.toUpperCase(),
            GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0',
            AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com',
            CALLBACK_OPENID_CONFIGURATION: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
            AZURE_CLIENT_SECRET: 'a-real-secret',
            CALLBACK_ISSUERS: 'https://graph.microsoft.com',
            ALLOWED_TENANT_IDS: 'aaaaaaaa-0000-4000-8000-aaaaaaaaaaaa',
        };

        // act
        const overrides = settingOverrides(real, { azurite: DEVELOPMENT_STORAGE_PORTS, simulator: sim });

        // assess
        assert.deepEqual(names(overrides), [
            'ALLOWED_TENANT_IDS',
            'AZURE_AUTHORITY_HOST',
            'AZURE_CLIENT_SECRET',
            'CALLBACK_ISSUERS',
            'CALLBACK_OPENID_CONFIGURATION',
            'GRAPH_BASE_URL',
        ]);
        const value = (name: string) => overrides.find((override) => override.name === name)?.value;
        assert.equal(value('GRAPH_BASE_URL'), sim.graphBaseUrl);
        assert.equal(value('CALLBACK_ISSUERS'), 'https://graph.microsoft.com,https://api.botframework.com');
        assert.equal(value('ALLOWED_TENANT_IDS'), `aaaaaaaa-0000-4000-8000-aaaaaaaaaaaa,${sim.tenantId}`);
    });

    test('missing settings are set', () => {
        const overrides = settingOverrides({}, { azurite: DEVELOPMENT_STORAGE_PORTS, simulator: sim });
        assert.ok(names(overrides).includes('BOT_APP_ID'));
        assert.ok(names(overrides).includes('CallHistoryStorage'));
    });
});

describe('lifecycleOverrides', () => {
    test("the reconciler checks every active call in a local run: 0 instead of the sample's 45, and says what it replaced", () => {
        assert.deepEqual(lifecycleOverrides(readSettingValues(SAMPLE), {}), [{ name: 'RECONCILE_AFTER_MINUTES', value: '0', previous: '45' }]);
        assert.deepEqual(lifecycleOverrides({}, {}), [{ name: 'RECONCILE_AFTER_MINUTES', value: '0', previous: undefined }]);
    });

    test("a value from the environment is the developer's choice for this run; a file that says 0 needs nothing", () => {
        assert.deepEqual(lifecycleOverrides({ RECONCILE_AFTER_MINUTES: '45' }, { RECONCILE_AFTER_MINUTES: '45' }), []);
        assert.deepEqual(lifecycleOverrides({ RECONCILE_AFTER_MINUTES: '0' }, {}), []);
    });
});

describe('accessOverrides', () => {
    test('--sign-in runs the app with API_AUTH=entra, unless the environment says otherwise; without it nothing changes', () => {
        assert.deepEqual(accessOverrides(true, readSettingValues(SAMPLE), {}), [{ name: 'API_AUTH', value: 'entra', previous: readSettingValues(SAMPLE).API_AUTH }]);
        assert.deepEqual(accessOverrides(true, { API_AUTH: 'functionKey' }, { API_AUTH: 'functionKey' }), []);
        assert.deepEqual(accessOverrides(true, { API_AUTH: 'Entra' }, {}), []);
        assert.deepEqual(accessOverrides(false, {}, {}), []);
    });
});

describe('ensureSettingsFile', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'settings-file-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    test('copies the sample when the file is missing, and leaves an existing file alone', () => {
        // prepare
        const file = path.join(dir, 'nested', 'local.settings.json');

        // act
        const first = ensureSettingsFile(file, SAMPLE);
        writeFileSync(file, '{"Values":{"MINE":"1"}}');
        const second = ensureSettingsFile(file, SAMPLE);

        // assess
        assert.equal(first, true);
        assert.equal(second, false);
        assert.equal(readFileSync(file, 'utf8'), '{"Values":{"MINE":"1"}}');
    });
});

describe('parseStartArguments', () => {
    test('defaults to the ports the sample is wired to and the git-ignored folders', () => {
        const options = parseStartArguments([]);
        assert.deepEqual(
            [options.azuriteBlobPort, options.azuriteQueuePort, options.azuritePort, options.simulatorPort, options.functionsPort, options.useCoreTools],
            [10000, 10001, 10002, 7443, 7071, false],
        );
        assert.equal(options.dataDir, path.join(REPOSITORY_ROOT, '.azurite'));
        assert.equal(options.tlsDir, path.join(REPOSITORY_ROOT, '.simulator/tls'));
        assert.equal(options.settingsFile, path.join(REPOSITORY_ROOT, 'local.settings.json'));
    });

    test('--sign-in needs the local host: Core Tools has no sign-in to play', () => {
        assert.equal(parseStartArguments(['--sign-in']).signIn, true);
        assert.equal(parseStartArguments([]).signIn, false);
        assert.throws(() => parseStartArguments(['--sign-in', '--func']), /--sign-in needs the local host/);
    });

    test('refuses bad and clashing ports', () => {
        assert.throws(() => parseStartArguments(['--port', '70000']), StartUsageError);
        assert.throws(() => parseStartArguments(['--port', 'abc']), /--port must be a port number/);
        assert.throws(() => parseStartArguments(['--port', '7443']), /six different ports/);
        assert.throws(() => parseStartArguments(['--port', '10000']), /six different ports/, 'Azurite Blob takes 10000 by default');
        assert.throws(() => parseStartArguments(['--port', '3978']), /six different ports/, 'the example bot takes 3978 by default');
        assert.throws(() => parseStartArguments(['--azurite-port', '2']), /--azurite-blob-port is needed/);
        assert.throws(() => parseStartArguments(['--bogus']), StartUsageError);
    });

    test('Blob and Queue follow the Table port unless given their own', () => {
        const below = parseStartArguments(['--azurite-port', '10012']);
        assert.deepEqual([below.azuriteBlobPort, below.azuriteQueuePort, below.azuritePort], [10010, 10011, 10012]);
        const own = parseStartArguments(['--azurite-port', '10012', '--azurite-blob-port', '20000', '--azurite-queue-port', '20001']);
        assert.deepEqual([own.azuriteBlobPort, own.azuriteQueuePort, own.azuritePort], [20000, 20001, 10012]);
    });
});

describe('npm start: the relay to the example bot', () => {
    test('no RELAY_URL: the relay goes to the example bot, with the local secret', () => {
        assert.deepEqual(relayOverrides({}, 3978), [
            { name: 'RELAY_URL', value: 'http://localhost:3978/api/calling', previous: undefined },
            { name: 'RELAY_SECRET', value: LOCAL_RELAY_SECRET, previous: undefined },
        ]);
    });

    test("the sample's RELAY_URL with the bot on another port follows it; the sample's secret stays", () => {
        assert.deepEqual(relayOverrides({ RELAY_URL: 'http://localhost:3978/api/calling', RELAY_SECRET: 'whsec_mine' }, 4000), [
            { name: 'RELAY_URL', value: 'http://localhost:4000/api/calling', previous: 'http://localhost:3978/api/calling' },
        ]);
        assert.deepEqual(relayOverrides({ RELAY_URL: 'http://localhost:3978/api/calling', RELAY_SECRET: 'whsec_mine' }, 3978), []);
    });

    test("a developer's own bot stays where the relay goes", () => {
        assert.deepEqual(relayOverrides({ RELAY_URL: 'https://my-bot.example.com/api/calling', RELAY_SECRET: 'whsec_mine' }, 3978), []);
    });
});
