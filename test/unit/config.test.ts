// Settings: defaults, fallbacks, and start-up errors that name the bad setting.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig, loadStorageConfig, storageCredentialConfig } from '../../shared/settings/config';
import { ConfigError } from '../../shared/errors';

/** What every Functions app has: AzureWebJobsStorage (the call-ended events fall back to it). */
const hostStorage = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };
const base = { ...hostStorage, CallHistoryStorage: 'UseDevelopmentStorage=true', BOT_APP_ID: 'bot-app' };

function failsOn(env: Record<string, string>, setting: string, pattern?: RegExp) {
    assert.throws(
        () => loadConfig(env),
        (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.equal(err.setting, setting);
            assert.match(err.message, new RegExp(setting));
            if (pattern) assert.match(err.message, pattern);
            return true;
        },
    );
}

describe('loadConfig', () => {
    test('defaults', () => {
        const config = loadConfig(base);
        assert.equal(config.storage.tableName, 'CallHistory');
        assert.equal(config.graph.baseUrl, 'https://graph.microsoft.com/v1.0');
        assert.equal(config.graph.callPathTemplate, '/communications/calls/{callId}');
        assert.equal(config.graph.timeoutMs, 30_000);
        assert.equal(config.graph.credential.kind, 'default');
        assert.equal(config.callbackAuth.enabled, true);
        assert.equal(config.callbackAuth.openIdConfigurationUrl, 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration');
        assert.deepEqual(config.callbackAuth.issuers, ['https://graph.microsoft.com', 'https://api.botframework.com']);
        assert.equal(config.callbackAuth.allowedTenantIds, null);
        assert.equal(config.dedupeWindowSeconds, 600);
        assert.equal(config.runningInAzure, false);
    });

    test('API_AUTH: functionKey by default, entra on request; WEBSITE_AUTH_ENABLED as App Service writes it', () => {
        assert.deepEqual(loadConfig(base).access, { mode: 'functionKey', platformSignIn: false });
        assert.deepEqual(loadConfig({ ...base, API_AUTH: 'entra' }).access, { mode: 'entra', platformSignIn: false });
        assert.deepEqual(loadConfig({ ...base, API_AUTH: 'Entra', WEBSITE_AUTH_ENABLED: 'True' }).access, { mode: 'entra', platformSignIn: true });
        assert.deepEqual(loadConfig({ ...base, API_AUTH: 'FUNCTIONKEY', WEBSITE_AUTH_ENABLED: '1' }).access, { mode: 'functionKey', platformSignIn: true });
        assert.deepEqual(loadConfig({ ...base, WEBSITE_AUTH_ENABLED: 'false' }).access, { mode: 'functionKey', platformSignIn: false });
        failsOn({ ...base, API_AUTH: 'aad' }, 'API_AUTH', /"aad" must be "functionKey" .* or "entra"/);
        failsOn({ ...base, WEBSITE_AUTH_ENABLED: 'yes' }, 'WEBSITE_AUTH_ENABLED', /must be true or false/);
    });

    test('in Azure, API_AUTH=entra without App Service Authentication stops start-up; with it, it starts', () => {
        const azure = { ...base, WEBSITE_INSTANCE_ID: 'a4c5d6e7', API_AUTH: 'entra' };
        failsOn(azure, 'API_AUTH', /App Service Authentication .*WEBSITE_AUTH_ENABLED is not true while WEBSITE_INSTANCE_ID is set/);
        failsOn({ ...azure, WEBSITE_AUTH_ENABLED: 'False' }, 'API_AUTH');
        assert.deepEqual(loadConfig({ ...azure, WEBSITE_AUTH_ENABLED: 'True' }).access, { mode: 'entra', platformSignIn: true });
        assert.deepEqual(loadConfig({ ...base, WEBSITE_INSTANCE_ID: 'a4c5d6e7' }).access, { mode: 'functionKey', platformSignIn: false }, 'function keys need no platform sign-in');
    });

    test("AUTH_CLIENT_ID, the deployment's sign-in registration, and WEBSITE_AUTH_CLIENT_ID, the platform's, kept for calls doctor", () => {
        const registration = '7F3C2B1A-0D9E-4C8B-A7F6-E5D4C3B2A190';
        assert.deepEqual(loadConfig({ ...base, API_AUTH: 'entra', WEBSITE_AUTH_ENABLED: 'True', AUTH_CLIENT_ID: registration, WEBSITE_AUTH_CLIENT_ID: registration }).access, {
            mode: 'entra',
            platformSignIn: true,
            registrationClientId: registration.toLowerCase(),
            platformClientId: registration.toLowerCase(),
        });
        failsOn({ ...base, AUTH_CLIENT_ID: 'api://call-record' }, 'AUTH_CLIENT_ID', /is not an application \(client\) id/);
    });

    test('storage falls back to AzureWebJobsStorage, and identity-based connections are recognised', () => {
        assert.deepEqual(loadStorageConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }), {
            kind: 'connectionString',
            setting: 'AzureWebJobsStorage',
            connectionString: 'UseDevelopmentStorage=true',
            tableEndpoint: 'http://127.0.0.1:10002/devstoreaccount1',
            tableName: 'CallHistory',
        });
        assert.deepEqual(
            loadStorageConfig({ CallHistoryStorage__tableServiceUri: 'https://acct.table.core.windows.net/', CallHistoryStorage__clientId: 'mi-1', CALL_HISTORY_TABLE: 'Calls' }),
            {
                kind: 'identity',
                setting: 'CallHistoryStorage__tableServiceUri',
                tableServiceUri: 'https://acct.table.core.windows.net',
                credential: { kind: 'developer' },
                tableName: 'Calls',
            },
        );
    });

    test('storage reached by identity uses the managed identity in Azure (__clientId) and the developer login elsewhere, never the Graph client secret', () => {
        const settings = {
            CallHistoryStorage__tableServiceUri: 'https://acct.table.core.windows.net',
            CallHistoryStorage__clientId: 'uami-1',
            AZURE_TENANT_ID: 'tenant-1',
            AZURE_CLIENT_ID: 'bot-app',
            AZURE_CLIENT_SECRET: 'graph-secret',
        };
        const credential = (env: Record<string, string>) => {
            const storage = loadStorageConfig(env);
            return storage.kind === 'identity' ? storage.credential : storage.kind;
        };

        assert.deepEqual(credential({ ...settings, IDENTITY_ENDPOINT: 'http://127.0.0.1:41741/msi/token' }), { kind: 'managedIdentity', clientId: 'uami-1' });
        assert.deepEqual(credential({ ...settings, WEBSITE_INSTANCE_ID: 'abc' }), { kind: 'managedIdentity', clientId: 'uami-1' });
        assert.deepEqual(credential({ ...settings, CallHistoryStorage__clientId: '', WEBSITE_INSTANCE_ID: 'abc' }), { kind: 'managedIdentity' });
        assert.deepEqual(credential(settings), { kind: 'developer' });
        assert.deepEqual(storageCredentialConfig({ IDENTITY_ENDPOINT: 'http://x', CallEventsStorage__clientId: 'uami-2' }, 'CallEventsStorage'), {
            kind: 'managedIdentity',
            clientId: 'uami-2',
        });
        // Graph keeps its secret.
        assert.equal(loadConfig({ ...settings, ...hostStorage, BOT_APP_ID: 'bot-app', WEBSITE_INSTANCE_ID: 'abc' }).graph.credential.kind, 'clientSecret');
    });

    test('the audience defaults to AZURE_CLIENT_ID; a client secret selects the secret credential', () => {
        const config = loadConfig({
            ...hostStorage,
            AZURE_TENANT_ID: 't',
            AZURE_CLIENT_ID: 'app-1',
            AZURE_CLIENT_SECRET: 's',
            AZURE_AUTHORITY_HOST: 'https://localhost:7443',
            ALLOWED_TENANT_IDS: 'AAAAAAAA-1111-4111-8111-AAAAAAAAAAAA, bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb ,',
        });
        assert.equal(config.callbackAuth.audience, 'app-1');
        assert.deepEqual(config.graph.credential, { kind: 'clientSecret', tenantId: 't', clientId: 'app-1', clientSecret: 's', authorityHost: 'https://localhost:7443' });
        assert.deepEqual([...config.callbackAuth.allowedTenantIds!], ['aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa', 'bbbbbbbb-2222-4222-8222-bbbbbbbbbbbb']);
    });

    test('in Azure without a secret the managed identity is used', () => {
        const config = loadConfig({ ...base, WEBSITE_INSTANCE_ID: 'abc', AZURE_CLIENT_ID: 'uami' });
        assert.deepEqual(config.graph.credential, { kind: 'managedIdentity', clientId: 'uami' });
        assert.equal(config.runningInAzure, true);
    });

    test('bad or missing settings stop start-up with a message naming them', () => {
        failsOn({ BOT_APP_ID: 'x' }, 'CallHistoryStorage', /missing/);
        failsOn({ ...base, CallHistoryStorage: 'nonsense' }, 'CallHistoryStorage');
        failsOn({ ...base, CALL_HISTORY_TABLE: 'bad-name' }, 'CALL_HISTORY_TABLE');
        failsOn({ ...base, GRAPH_BASE_URL: 'http://graph.example.com/v1.0' }, 'GRAPH_BASE_URL', /https/);
        failsOn({ ...base, GRAPH_CALL_PATH: '/calls/x' }, 'GRAPH_CALL_PATH');
        failsOn({ ...base, DEDUPE_WINDOW_SECONDS: 'ten' }, 'DEDUPE_WINDOW_SECONDS');
        failsOn({ ...base, CALLBACK_AUTH: 'maybe' }, 'CALLBACK_AUTH');
        failsOn({ ...base, CALLBACK_AUTH: 'disabled', WEBSITE_INSTANCE_ID: 'prod-1' }, 'CALLBACK_AUTH', /refused.*WEBSITE_INSTANCE_ID/);
        failsOn({ ...base, CALLBACK_AUTH: 'disabled', IDENTITY_ENDPOINT: 'http://127.0.0.1:41741/msi/token' }, 'CALLBACK_AUTH', /refused.*IDENTITY_ENDPOINT/);
        failsOn({ ...hostStorage, CallHistoryStorage: 'UseDevelopmentStorage=true' }, 'BOT_APP_ID');
        failsOn({ ...base, AZURE_CLIENT_SECRET: 's', AZURE_CLIENT_ID: 'c' }, 'AZURE_TENANT_ID');
        failsOn({ ...base, ALLOWED_TENANT_IDS: ' , ' }, 'ALLOWED_TENANT_IDS');
        failsOn({ ...base, RECONCILE_SCHEDULE: '*/5 * * * *' }, 'RECONCILE_SCHEDULE', /six-field NCRONTAB/);
        failsOn({ ...base, RETENTION_SCHEDULE: 'daily' }, 'RETENTION_SCHEDULE');
        failsOn({ ...base, RECONCILE_AFTER_MINUTES: '10081' }, 'RECONCILE_AFTER_MINUTES', /0 to 10080/);
        failsOn({ ...base, RECONCILE_MAX_CALLS: '0' }, 'RECONCILE_MAX_CALLS');
        failsOn({ ...base, RETENTION_DAYS: '-1' }, 'RETENTION_DAYS');
        failsOn({ ...base, CALL_EVENTS_QUEUE: 'Call_Events' }, 'CALL_EVENTS_QUEUE');
        failsOn({ ...base, KEEP_ALIVE_MINUTES: '31' }, 'KEEP_ALIVE_MINUTES', /0 to 30/);
        failsOn({ ...base, PARTICIPANT_DETAILS: 'names' }, 'PARTICIPANT_DETAILS', /"full".*"ids"/);
        failsOn({ CallHistoryStorage: 'UseDevelopmentStorage=true', BOT_APP_ID: 'b' }, 'CallEventsStorage', /CALL_EVENTS_QUEUE empty/);
        failsOn(
            { ...base, CallEventsStorage: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=a2V5;TableEndpoint=https://a.table.core.windows.net' },
            'CallEventsStorage',
            /Queue/,
        );
    });

    test('lifecycle: the SPEC defaults; a schedule given as a setting is registered as its %SETTING% reference', () => {
        const defaults = loadConfig(base).lifecycle;
        assert.deepEqual(defaults.reconcile, { schedule: { expression: '0 */5 * * * *', binding: '0 */5 * * * *' }, afterMinutes: 45, maxCalls: 500 });
        assert.deepEqual(defaults.retention, { schedule: { expression: '0 30 2 * * *', binding: '0 30 2 * * *' }, days: 0 });
        assert.deepEqual(defaults.callEvents, {
            kind: 'connectionString',
            setting: 'AzureWebJobsStorage',
            connectionString: 'UseDevelopmentStorage=true',
            queueEndpoint: 'http://127.0.0.1:10001/devstoreaccount1',
            queueName: 'call-events',
        });
        const set = loadConfig({ ...base, RECONCILE_SCHEDULE: '30 */2 * * * *', RECONCILE_AFTER_MINUTES: '0', RETENTION_DAYS: '90' }).lifecycle;
        assert.deepEqual(set.reconcile.schedule, { expression: '30 */2 * * * *', binding: '%RECONCILE_SCHEDULE%' });
        assert.equal(set.reconcile.afterMinutes, 0);
        assert.equal(set.retention.days, 90);
    });

    test('keepAlive is off by default; KEEP_ALIVE_MINUTES=15 runs the timer every 15 minutes; PARTICIPANT_DETAILS defaults to full', () => {
        assert.equal(loadConfig(base).lifecycle.keepAlive.minutes, 0);
        assert.deepEqual(loadConfig({ ...base, KEEP_ALIVE_MINUTES: '15' }).lifecycle.keepAlive, {
            minutes: 15,
            schedule: { expression: '0 */15 * * * *', binding: '0 */15 * * * *' },
        });
        assert.equal(loadConfig(base).participantDetails, 'full');
        assert.equal(loadConfig({ ...base, PARTICIPANT_DETAILS: 'IDS' }).participantDetails, 'ids');
    });

    test('call-ended events: CallEventsStorage first, by identity too; CALL_EVENTS_QUEUE empty turns them off', () => {
        const identity = loadConfig({
            ...base,
            CallEventsStorage__queueServiceUri: 'https://acct.queue.core.windows.net/',
            CallEventsStorage__clientId: 'uami',
            WEBSITE_INSTANCE_ID: 'abc',
        });
        assert.deepEqual(identity.lifecycle.callEvents, {
            kind: 'identity',
            setting: 'CallEventsStorage__queueServiceUri',
            queueServiceUri: 'https://acct.queue.core.windows.net',
            credential: { kind: 'managedIdentity', clientId: 'uami' },
            queueName: 'call-events',
        });
        assert.equal(loadConfig({ ...base, CALL_EVENTS_QUEUE: 'ended-calls' }).lifecycle.callEvents?.queueName, 'ended-calls');
        assert.equal(loadConfig({ CallHistoryStorage: 'UseDevelopmentStorage=true', BOT_APP_ID: 'b', CALL_EVENTS_QUEUE: ' ' }).lifecycle.callEvents, undefined);
    });

    test('ALLOWED_TENANT_IDS=contoso.onmicrosoft.com stops start-up: tokens name their tenant by id, so a domain would refuse every callback', () => {
        failsOn({ ...base, ALLOWED_TENANT_IDS: 'contoso.onmicrosoft.com' }, 'ALLOWED_TENANT_IDS', /"contoso\.onmicrosoft\.com".*tenant id \(GUID\)/);
        failsOn({ ...base, ALLOWED_TENANT_IDS: 'aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa,contoso.com' }, 'ALLOWED_TENANT_IDS', /"contoso\.com"/);
        failsOn({ ...base, ALLOWED_TENANT_IDS: '{aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa}' }, 'ALLOWED_TENANT_IDS');
    });

    test('plain http is allowed for loopback stand-ins only', () => {
        assert.equal(loadConfig({ ...base, GRAPH_BASE_URL: 'http://127.0.0.1:8080/v1.0/' }).graph.baseUrl, 'http://127.0.0.1:8080/v1.0');
        assert.equal(loadConfig({ ...base, CALLBACK_AUTH: 'disabled', BOT_APP_ID: '' }).callbackAuth.enabled, false);
    });

    describe('telemetry', () => {
        const CONNECTION = 'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=https://swedencentral-0.in.applicationinsights.azure.com/';
        const IN_AZURE = { WEBSITE_INSTANCE_ID: 'instance-1', WEBSITE_SITE_NAME: 'func-calls-abc' };

        test('is off without a connection string or a summary, and then names itself after the app', () => {
            // act
            const { telemetry } = loadConfig(base);
            // assess
            assert.deepEqual(telemetry, { serviceName: 'teams-call-record' });
        });

        test('in Azure: Application Insights signed in as the user-assigned identity the authentication string names', () => {
            // act
            const { telemetry } = loadConfig({
                ...base,
                ...IN_AZURE,
                APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION,
                APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=mi-client;Authorization=AAD',
            });
            // assess
            assert.deepEqual(telemetry, {
                azureMonitor: { connectionString: CONNECTION, credential: { kind: 'managedIdentity', clientId: 'mi-client' } },
                serviceName: 'func-calls-abc',
                serviceInstanceId: 'instance-1',
            });
        });

        test('outside Azure Entra sign-in is the developer login; without an authentication string, the key alone', () => {
            // act
            const developer = loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD' });
            const keyOnly = loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION });
            // assess
            assert.deepEqual(developer.telemetry.azureMonitor?.credential, { kind: 'developer' });
            assert.deepEqual(keyOnly.telemetry.azureMonitor, { connectionString: CONNECTION });
        });

        test('a local summary every N seconds, refused in Azure (the console comes back as logs there)', () => {
            // act
            const local = loadConfig({ ...base, TELEMETRY_SUMMARY_SECONDS: '60' });
            // assess
            assert.equal(local.telemetry.summarySeconds, 60);
            failsOn({ ...base, ...IN_AZURE, TELEMETRY_SUMMARY_SECONDS: '60' }, 'TELEMETRY_SUMMARY_SECONDS', /duplicate/);
            failsOn({ ...base, TELEMETRY_SUMMARY_SECONDS: '0' }, 'TELEMETRY_SUMMARY_SECONDS');
        });

        test('a connection string without an instrumentation key, an http endpoint, or an authentication string that is not AAD stop start-up', () => {
            // assess
            failsOn(
                { ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: 'IngestionEndpoint=https://x.in.applicationinsights.azure.com/' },
                'APPLICATIONINSIGHTS_CONNECTION_STRING',
                /InstrumentationKey/,
            );
            failsOn(
                { ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=00000000-0000-4000-8000-000000000001;IngestionEndpoint=http://ingest.example.com/' },
                'APPLICATIONINSIGHTS_CONNECTION_STRING IngestionEndpoint',
                /https/,
            );
            failsOn(
                { ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=Key' },
                'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
            );
        });
    });
});
