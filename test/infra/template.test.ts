// The deployment template, checked offline (npm run infra:check; needs the Bicep CLI, so plain npm test skips
// this folder): infra/main.bicep compiled by the Bicep CLI, evaluated by `bicep snapshot` for the parameter sets
// people deploy, and held against the app itself: its settings reader, its functions loaded from the zip
// azure.yaml deploys, its callback route.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { parse as parseYaml } from 'yaml';
import { createPackage, PACKAGE_FILE } from '../../dev/package';
import { APP_ROLES } from '../../shared/access/appRoles';
import { DEFAULTS, loadConfig, type AppConfig } from '../../shared/settings/config';
import { METRICS, type MetricDefinition } from '../../shared/telemetry/catalogue';
import { ArmDeploymentFailure } from './armExpression';
import { metricsNamedIn, problemsOf } from './kqlSignals';
import type { LoadedFunction } from './loadFunctionApp';
import {
    compileTemplate,
    deploy,
    DEPLOYING_TENANT_ID,
    LOCATION,
    parseResourceId,
    REPOSITORY_ROOT,
    runtimeProperties,
    type CompiledTemplate,
    type Deployment,
    type ParameterValue,
    type PredictedResource,
} from './templateDeployment';

const BOT_APP_ID = '22222222-2222-4222-8222-222222222222';
/** Distinctive, so a search for it anywhere it must not be cannot miss it. */
const BOT_SECRET = 'test-only-bot-secret-7Qm2-value';
const DEPLOYER = '33333333-3333-4333-8333-333333333333';
const OTHER_TENANTS = '55555555-5555-4555-8555-555555555555,66666666-6666-4666-8666-666666666666';
/** A Standard Webhooks secret, as distinctive as the bot's ("test-only-relay-secret-K9p-value"). */
const RELAY_SECRET = `whsec_${Buffer.from('test-only-relay-secret-K9p-value').toString('base64')}`;
const RELAY_URL = 'https://bot.example.com/api/calling';
const AUTH_CLIENT_ID = '77777777-7777-4777-8777-777777777777';
const AUTH_SECRET = 'test-only-sign-in-secret-3Kp9-value';

const SCENARIOS: Record<string, Record<string, ParameterValue>> = {
    // What docs/deploy.md sets up: the bot's client secret, everything else by default.
    secret: { environmentName: 'dev', location: LOCATION, botAppId: BOT_APP_ID, botAppSecret: BOT_SECRET, principalId: DEPLOYER },
    // The template's bot resource, callbacks from two named tenants, the other knobs turned.
    secretWithBot: {
        environmentName: 'staging',
        location: LOCATION,
        botAppId: BOT_APP_ID,
        botAppSecret: BOT_SECRET,
        principalId: DEPLOYER,
        principalType: 'ServicePrincipal',
        createBot: true,
        allowedTenantIds: OTHER_TENANTS,
        instanceMemoryMB: 4096,
        maximumInstanceCount: 40,
        retentionDays: 30,
        callEventsQueue: '',
        alertEmail: 'on-call@example.com',
        alertReconcilerClosedPercent: 35,
        callRecords: 'on',
        keepAliveMinutes: 15,
        participantDetails: 'ids',
    },
    // No secret anywhere: the managed identity is the bot, and any tenant may call.
    identity: { environmentName: 'prod', location: LOCATION, graphCredential: 'managedIdentity', createBot: true, allowedTenantIds: '*' },
    // The app in front of the bot: the identity is the bot, the relay's secret is the vault's only secret; Graph's call
    // records on too, so the relay's retries and the call record fetches share AzureWebJobsStorage's queues.
    relay: {
        environmentName: 'relay',
        location: LOCATION,
        graphCredential: 'managedIdentity',
        allowedTenantIds: '*',
        relayUrl: RELAY_URL,
        relaySecret: RELAY_SECRET,
        relayMaxAgeHours: '12',
        alertRelayBacklog: 250,
        callRecords: 'on',
    },
    // People sign in (API_AUTH=entra): the registration the script made, the identity as its credential (no secret).
    entra: { environmentName: 'ops', location: LOCATION, botAppId: BOT_APP_ID, botAppSecret: BOT_SECRET, principalId: DEPLOYER, authClientId: AUTH_CLIENT_ID },
    // People sign in with the registration's client secret (kept in Key Vault), from two tenants; the identity is the bot.
    entraSecret: {
        environmentName: 'secops',
        location: LOCATION,
        graphCredential: 'managedIdentity',
        authClientId: AUTH_CLIENT_ID,
        authCredential: 'clientSecret',
        authClientSecret: AUTH_SECRET,
        authAllowedTenantIds: OTHER_TENANTS,
    },
};

/** The scenario relays to a bot. */
function relays(scenario: string): boolean {
    return typeof SCENARIOS[scenario]?.relayUrl === 'string' && SCENARIOS[scenario]?.relayUrl !== '';
}

const ROLE = {
    storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
} as const;

/** SPEC.md "Configuration" and "Deployment": what the template must write, by name. */
const SPEC_SETTINGS = [
    'AzureWebJobsStorage__credential',
    'AzureWebJobsStorage__clientId',
    'AzureWebJobsStorage__blobServiceUri',
    'AzureWebJobsStorage__queueServiceUri',
    'AzureWebJobsStorage__tableServiceUri',
    'CallHistoryStorage__tableServiceUri',
    'CallHistoryStorage__clientId',
    'CallEventsStorage__queueServiceUri',
    'CallEventsStorage__clientId',
    'CallRecordsStorage__blobServiceUri',
    'CallRecordsStorage__clientId',
    'CALL_HISTORY_TABLE',
    'CALL_EVENTS_QUEUE',
    'BOT_APP_ID',
    'AZURE_TENANT_ID',
    'AZURE_CLIENT_ID',
    'ALLOWED_TENANT_IDS',
    'CALLBACK_AUTH',
    'API_AUTH',
    'RECONCILE_SCHEDULE',
    'RECONCILE_AFTER_MINUTES',
    'RECONCILE_MAX_CALLS',
    'RETENTION_SCHEDULE',
    'RETENTION_DAYS',
    'PARTICIPANT_DETAILS',
    'KEEP_ALIVE_MINUTES',
    'CALL_RECORDS',
    'CALL_RECORD_DELAY_MINUTES',
    'CALL_RECORD_GIVE_UP_HOURS',
    'APPLICATIONINSIGHTS_CONNECTION_STRING',
    'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
];

/** Settings the app reads that the template leaves to the app's default, and why. */
const LEFT_TO_THE_APP: Record<string, string> = {
    GRAPH_BASE_URL: 'Graph v1.0 in the public cloud',
    GRAPH_CALL_PATH: 'the v1.0 path',
    GRAPH_TIMEOUT_SECONDS: '30 s',
    AZURE_AUTHORITY_HOST: 'the public cloud',
    CALLBACK_OPENID_CONFIGURATION: "the Skype/Graph signing keys' real address",
    CALLBACK_ISSUERS: 'Graph and the Bot Framework',
    DEDUPE_WINDOW_SECONDS: '600 s',
    TELEMETRY_SUMMARY_SECONDS: 'a local summary on the console: refused in Azure, where the console comes back as duplicate logs',
    OTEL_SERVICE_NAME: "the Function App's name (WEBSITE_SITE_NAME) as the telemetry's cloud role",
    CALL_RECORDS_QUEUE: 'call-record-fetches, which the template creates',
    CALL_RECORDS_CONTAINER: 'call-records, which the template creates',
    RELAY_RETRY_SCHEDULE: '5s,15s,30s,1m,2m,5m,10m,30m,1h',
};
/** Connection-string settings: an account key or SAS would be in them, so the template must never set them. */
const CONNECTION_STRING_SETTINGS = ['AzureWebJobsStorage', 'CallHistoryStorage', 'CallEventsStorage', 'CallRecordsStorage'];
/** Refused on Flex Consumption (functionAppConfig replaces them) or only meaningful with shared keys. */
const NOT_ON_FLEX_CONSUMPTION = [
    'FUNCTIONS_WORKER_RUNTIME',
    'FUNCTIONS_EXTENSION_VERSION',
    'FUNCTIONS_WORKER_RUNTIME_VERSION',
    'WEBSITE_NODE_DEFAULT_VERSION',
    'WEBSITE_RUN_FROM_PACKAGE',
    'WEBSITE_CONTENTSHARE',
    'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
    'SCM_DO_BUILD_DURING_DEPLOYMENT',
    'ENABLE_ORYX_BUILD',
];
/** What the platform adds to the environment of a Flex Consumption app (none of it is an app setting). */
const AZURE_MARKERS = {
    WEBSITE_INSTANCE_ID: 'a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819',
    WEBSITE_SITE_NAME: 'func-calls-test',
    WEBSITE_SKU: 'FlexConsumption',
    FUNCTIONS_WORKER_RUNTIME: 'node',
    AZURE_FUNCTIONS_ENVIRONMENT: 'Production',
    IDENTITY_ENDPOINT: 'http://localhost:42356/msi/token',
    IDENTITY_HEADER: 'platform-identity-header',
};

let compiled: CompiledTemplate;
const deployments = new Map<string, Deployment>();
let appDir: string;
let loadedFunctions: Map<string, LoadedFunction[]>;
/** What the tsc build registers with each scenario's settings. */
let localBuildFunctions: Map<string, LoadedFunction[]>;

function deployment(scenario: string): Deployment {
    const found = deployments.get(scenario);
    if (found === undefined) throw new Error(`No deployment for scenario ${scenario}.`);
    return found;
}

/** The nested template resources.bicep compiles to (symbolic names, languageVersion 2.0). */
function resourcesTemplate(): Record<string, Record<string, unknown>> {
    const outer = compiled.template.resources as Array<Record<string, unknown>>;
    const module = outer.find((r) => r.type === 'Microsoft.Resources/deployments');
    assert.ok(module, 'the template deploys resources.bicep as a nested deployment');
    const template = (module.properties as { template: { resources: Record<string, Record<string, unknown>> } }).template;
    return template.resources;
}

function identityOf(d: Deployment): { id: string; clientId: string; principalId: string } {
    const identity = d.one('Microsoft.ManagedIdentity/userAssignedIdentities');
    const { clientId, principalId } = runtimeProperties(identity.id) as { clientId: string; principalId: string };
    return { id: identity.id, clientId, principalId };
}

/** `role@resourceType/name` for every role assignment of `principalId`, with the scope taken from its id. */
function rolesOf(d: Deployment, principalId: string): string[] {
    const names = Object.fromEntries(Object.entries(ROLE).map(([name, id]) => [id, name]));
    return d
        .all('Microsoft.Authorization/roleAssignments')
        .filter((assignment) => assignment.properties?.principalId === principalId)
        .map((assignment) => {
            const roleId = String(assignment.properties?.roleDefinitionId).split('/').pop() as string;
            const scopeId = assignment.id.slice(0, assignment.id.lastIndexOf('/providers/Microsoft.Authorization/roleAssignments/'));
            const scope = parseResourceId(scopeId);
            return `${names[roleId] ?? roleId}@${scope.type}/${scope.names.join('/')}`;
        })
        .sort();
}

/** What the platform adds for a deployment: the markers of Flex Consumption, and WEBSITE_AUTH_ENABLED when App Service Authentication is on. */
function platformMarkers(d: Deployment): Record<string, string> {
    const platform = d.siteConfig('authsettingsV2')?.properties?.platform as { enabled?: boolean } | undefined;
    return { ...AZURE_MARKERS, ...(platform?.enabled === true ? { WEBSITE_AUTH_ENABLED: 'True' } : {}) };
}

function withAzureMarkers(d: Deployment, settings = d.resolvedAppSettings()): Record<string, string> {
    return { ...settings, ...platformMarkers(d) };
}

/** The route (route prefix included) of a registered HTTP function, as a path. */
function routeOf(functions: readonly LoadedFunction[], name: string): string {
    const trigger = functions.find((f) => f.name === name)?.bindings.find((b) => b.type === 'httpTrigger');
    assert.ok(trigger, `the app registers ${name} with an HTTP trigger`);
    const routePrefix = (JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'host.json'), 'utf8')) as { extensions?: { http?: { routePrefix?: string } } }).extensions?.http
        ?.routePrefix;
    return `/${routePrefix ?? 'api'}/${String(trigger.route)}`;
}

/** loadConfig over the settings, recording every name it reads. */
function loadRecordingReads(env: Record<string, string>): { config: AppConfig; reads: Set<string> } {
    const reads = new Set<string>();
    const recorded = new Proxy(env, {
        get(target, name) {
            if (typeof name === 'string') reads.add(name);
            return Reflect.get(target, name) as unknown;
        },
    });
    return { config: loadConfig(recorded), reads };
}

function callbackRoute(functions: readonly LoadedFunction[]): string {
    return routeOf(functions, 'callNotifications');
}

before(async () => {
    compiled = compileTemplate();
    for (const [scenario, parameters] of Object.entries(SCENARIOS)) deployments.set(scenario, deploy(scenario, parameters, compiled));
    // The zip azure.yaml deploys, unpacked as the platform runs it.
    appDir = mkdtempSync(path.join(os.tmpdir(), 'call-record-package-'));
    const { zipPath } = await createPackage(REPOSITORY_ROOT, path.join(appDir, 'app.zip'));
    for (const [name, data] of Object.entries(unzipSync(readFileSync(zipPath)))) {
        mkdirSync(path.dirname(path.join(appDir, 'app', name)), { recursive: true });
        writeFileSync(path.join(appDir, 'app', name), data);
    }
    const load = (dir: string, d: Deployment): LoadedFunction[] => {
        const result = spawnSync(process.execPath, [path.join(__dirname, 'loadFunctionApp.js'), dir], {
            // Only the template's settings and the platform's markers: nothing from the developer's environment.
            env: { PATH: process.env.PATH ?? '', ...withAzureMarkers(d) },
            encoding: 'utf8',
        });
        assert.equal(result.status, 0, `${d.scenario}: ${dir} refused to start with the template's settings: ${result.stderr}`);
        return JSON.parse(result.stdout) as LoadedFunction[];
    };
    loadedFunctions = new Map([...deployments].map(([scenario, d]) => [scenario, load(path.join(appDir, 'app'), d)]));
    // The functions registered depend on settings (KEEP_ALIVE_MINUTES, CALL_RECORDS): compare each scenario with the build under its own settings.
    localBuildFunctions = new Map([...deployments].map(([scenario, d]) => [scenario, load(REPOSITORY_ROOT, d)]));
});

after(() => {
    if (appDir) rmSync(appDir, { recursive: true, force: true });
});

describe('the compiled template', () => {
    test('compiles with no diagnostics and declares its resources itself (no registry modules)', () => {
        assert.equal(compiled.diagnostics, '');
        const bicepFiles = readdirSync(path.join(REPOSITORY_ROOT, 'infra')).filter((name) => name.endsWith('.bicep'));
        for (const file of bicepFiles) {
            const source = readFileSync(path.join(REPOSITORY_ROOT, 'infra', file), 'utf8');
            for (const [, reference] of source.matchAll(/^\s*(?:module\s+\w+|import\s.*from)\s+'([^']+)'/gm)) {
                assert.match(String(reference), /^[\w./-]+\.bicep$/, `${file}: ${reference} is not a local file`);
            }
        }
    });

    test('holds no account key, connection string, SAS or secret value, and never lists keys', () => {
        assert.doesNotMatch(compiled.text, /\blist(Keys|ConnectionStrings|AccountSas|ServiceSas|Secrets)\s*\(/i);
        assert.doesNotMatch(compiled.text, /AccountKey=|SharedAccessSignature=|DefaultEndpointsProtocol=|UseDevelopmentStorage/i);
        const parameters = compiled.template.parameters as Record<string, { type: string }>;
        assert.equal(parameters.botAppSecret?.type, 'securestring');
        assert.equal(parameters.relaySecret?.type, 'securestring');
        const outputs = compiled.template.outputs as Record<string, { type: string; value: string }>;
        for (const [name, output] of Object.entries(outputs)) {
            assert.notEqual(output.type, 'securestring', name);
            assert.doesNotMatch(output.value, /botAppSecret|relaySecret/, name);
        }
        assert.equal(parameters.authClientSecret?.type, 'securestring');
        // bicep snapshot keeps @secure() values out of what it prints; the secrets reach Key Vault only.
        for (const scenario of Object.keys(SCENARIOS)) {
            const text = readFileSync(path.join(REPOSITORY_ROOT, 'dist/infra/scenarios', `${scenario}.snapshot.json`), 'utf8');
            assert.equal(text.includes(BOT_SECRET), false, scenario);
            assert.equal(text.includes(RELAY_SECRET), false, scenario);
            assert.equal(text.includes(AUTH_SECRET), false, scenario);
        }
    });

    test('writes the app settings only after the identity holds every role it needs', () => {
        const resources = resourcesTemplate();
        const identityRoles = Object.entries(resources)
            .filter(([, r]) => r.type === 'Microsoft.Authorization/roleAssignments')
            .filter(([, r]) => (r.properties as Record<string, string>).principalId === "[reference('identity').principalId]")
            .map(([symbol]) => symbol)
            .sort();
        assert.equal(identityRoles.length, 7, "four data roles and the readers of the three Key Vault secrets (Graph's, the relay's, the sign-in registration's)");
        const settings = resources.appSettings;
        const dependsOn = (settings?.dependsOn ?? []) as string[];
        for (const symbol of identityRoles) assert.ok(dependsOn.includes(symbol), `app settings wait for ${symbol}`);
    });
});

describe('storage', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: shared keys off, no public blobs, TLS 1.2, HTTPS only; the container, table and queue exist`, () => {
            const d = deployment(scenario);
            const storage = d.one('Microsoft.Storage/storageAccounts');
            assert.equal(storage.properties?.allowSharedKeyAccess, false);
            assert.equal(storage.properties?.allowBlobPublicAccess, false);
            assert.equal(storage.properties?.minimumTlsVersion, 'TLS1_2');
            assert.equal(storage.properties?.supportsHttpsTrafficOnly, true);
            const settings = d.appSettings();
            const deploymentStorage = (d.one('Microsoft.Web/sites').properties!.functionAppConfig as { deployment: { storage: { value: string } } }).deployment.storage;
            // The deployment's container, and Graph's call records' container when CALL_RECORDS is on.
            const callRecordsOn = settings.CALL_RECORDS === 'on';
            const containers = d.all('Microsoft.Storage/storageAccounts/blobServices/containers').map((c) => c.name.split('/').pop() ?? '');
            const deploymentContainers = containers.filter((name) => name !== 'call-records');
            assert.equal(deploymentContainers.length, 1, `${scenario}: ${containers.join(', ')}`);
            assert.equal(containers.includes('call-records'), callRecordsOn, `${scenario}: the call-records container exists exactly when CALL_RECORDS is on`);
            assert.equal(deploymentStorage.value, `https://${storage.name}.blob.core.windows.net/${deploymentContainers[0]}`);
            assert.deepEqual(
                d.all('Microsoft.Storage/storageAccounts/tableServices/tables').map((t) => t.name),
                [`${storage.name}/default/${settings.CALL_HISTORY_TABLE}`],
            );
            const queues = d.all('Microsoft.Storage/storageAccounts/queueServices/queues').map((q) => q.name);
            const expectedQueues = [
                ...(settings.CALL_EVENTS_QUEUE === '' ? [] : [`${storage.name}/default/${settings.CALL_EVENTS_QUEUE}`]),
                ...(callRecordsOn ? [`${storage.name}/default/call-record-fetches`] : []),
                ...(relays(scenario) ? [`${storage.name}/default/relay-retries`] : []),
            ];
            assert.deepEqual(queues.sort(), expectedQueues.sort());
        });
    }
});

describe('roles', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: the identity holds exactly the data roles, on exactly their scopes`, () => {
            const d = deployment(scenario);
            const storage = d.one('Microsoft.Storage/storageAccounts').name;
            const insights = d.one('Microsoft.Insights/components').name;
            const expected = [
                `monitoringMetricsPublisher@Microsoft.Insights/components/${insights}`,
                `storageBlobDataOwner@Microsoft.Storage/storageAccounts/${storage}`,
                `storageQueueDataContributor@Microsoft.Storage/storageAccounts/${storage}`,
                `storageTableDataContributor@Microsoft.Storage/storageAccounts/${storage}`,
            ];
            // The one reader of each secret the template stores: the bot's Graph secret, the relay's, the sign-in registration's.
            for (const secret of d.all('Microsoft.KeyVault/vaults/secrets')) expected.push(`keyVaultSecretsUser@Microsoft.KeyVault/vaults/secrets/${secret.name}`);
            const secrets = d.all('Microsoft.KeyVault/vaults/secrets').map((secret) => secret.name.split('/').pop());
            const parameters = SCENARIOS[scenario] ?? {};
            assert.deepEqual(secrets, [
                ...(parameters.graphCredential === 'managedIdentity' ? [] : ['bot-app-secret']),
                ...(relays(scenario) ? ['relay-secret'] : []),
                ...(parameters.authCredential === 'clientSecret' ? ['sign-in-secret'] : []),
            ]);
            assert.deepEqual(rolesOf(d, identityOf(d).principalId), expected.sort());
        });
    }

    test('the person running azd may read the record and the events, nothing more; no one else gets a role', () => {
        for (const scenario of ['secret', 'secretWithBot', 'entra']) {
            const d = deployment(scenario);
            const storage = d.one('Microsoft.Storage/storageAccounts').name;
            assert.deepEqual(rolesOf(d, DEPLOYER), [
                `storageQueueDataContributor@Microsoft.Storage/storageAccounts/${storage}`,
                `storageTableDataContributor@Microsoft.Storage/storageAccounts/${storage}`,
            ]);
            const types = d
                .all('Microsoft.Authorization/roleAssignments')
                .filter((a) => a.properties?.principalId === DEPLOYER)
                .map((a) => a.properties?.principalType);
            assert.deepEqual(types, [SCENARIOS[scenario]?.principalType ?? 'User', SCENARIOS[scenario]?.principalType ?? 'User']);
        }
        const d = deployment('identity');
        const principals = new Set(d.all('Microsoft.Authorization/roleAssignments').map((a) => a.properties?.principalId));
        assert.deepEqual([...principals], [identityOf(d).principalId]);
    });

    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: the timers can take their blob lease with the identity`, () => {
            const d = deployment(scenario);
            const settings = d.appSettings();
            const identity = identityOf(d);
            const storage = d.one('Microsoft.Storage/storageAccounts');
            assert.equal(settings.AzureWebJobsStorage__credential, 'managedidentity');
            assert.equal(settings.AzureWebJobsStorage__clientId, identity.clientId);
            assert.equal(settings.AzureWebJobsStorage__blobServiceUri, `https://${storage.name}.blob.core.windows.net/`);
            assert.ok(rolesOf(d, identity.principalId).includes(`storageBlobDataOwner@Microsoft.Storage/storageAccounts/${storage.name}`));
            const site = d.one('Microsoft.Web/sites');
            assert.deepEqual(Object.keys(site.identity?.userAssignedIdentities ?? {}), [identity.id]);
        });
    }
});

describe('the function app', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: Flex Consumption on Linux, Node.js 20, HTTPS only, TLS 1.2, no FTP, no publishing passwords`, () => {
            const d = deployment(scenario);
            const parameters = SCENARIOS[scenario] ?? {};
            const plan = d.one('Microsoft.Web/serverfarms');
            assert.deepEqual(plan.sku, { tier: 'FlexConsumption', name: 'FC1' });
            assert.equal(plan.properties?.reserved, true);
            const site = d.one('Microsoft.Web/sites');
            assert.equal(site.kind, 'functionapp,linux');
            assert.equal(site.properties?.serverFarmId, plan.id);
            assert.equal(site.properties?.httpsOnly, true);
            assert.equal(site.properties?.keyVaultReferenceIdentity, identityOf(d).id);
            const siteConfig = site.properties?.siteConfig as Record<string, unknown>;
            assert.equal(siteConfig.minTlsVersion, '1.2');
            assert.equal(siteConfig.scmMinTlsVersion, '1.2');
            assert.equal(siteConfig.ftpsState, 'Disabled');
            const config = site.properties?.functionAppConfig as {
                runtime: unknown;
                scaleAndConcurrency: unknown;
                deployment: { storage: { type: string; authentication: unknown } };
            };
            assert.deepEqual(config.runtime, { name: 'node', version: '20' });
            assert.deepEqual(config.scaleAndConcurrency, {
                instanceMemoryMB: parameters.instanceMemoryMB ?? 2048,
                maximumInstanceCount: parameters.maximumInstanceCount ?? 100,
            });
            assert.equal(config.deployment.storage.type, 'blobContainer');
            assert.deepEqual(config.deployment.storage.authentication, { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityOf(d).id });
            const basicAuth = d.all('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
            assert.deepEqual(basicAuth.map((p) => [p.name.split('/').pop(), p.properties?.allow]).sort(), [
                ['ftp', false],
                ['scm', false],
            ]);
        });
    }

    test("sets nothing Flex Consumption refuses, no connection string and none of the simulator's values", () => {
        for (const scenario of Object.keys(SCENARIOS)) {
            const settings = deployment(scenario).appSettings();
            for (const name of [...NOT_ON_FLEX_CONSUMPTION, ...CONNECTION_STRING_SETTINGS]) assert.equal(name in settings, false, `${scenario}: ${name}`);
            for (const [name, value] of Object.entries(settings)) {
                assert.doesNotMatch(value, /localhost|127\.0\.0\.1|UseDevelopmentStorage|local-simulator|AccountKey=|SharedAccessSignature/i, `${scenario}: ${name}`);
            }
            assert.equal(settings.CALLBACK_AUTH, 'enabled');
        }
    });
});

describe('the app settings, held against the app', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: every setting SPEC.md names is there`, () => {
            const settings = deployment(scenario).appSettings();
            assert.deepEqual(
                SPEC_SETTINGS.filter((name) => !(name in settings)),
                [],
            );
            assert.equal(settings.RECONCILE_SCHEDULE, '0 */5 * * * *');
            assert.equal(settings.RETENTION_SCHEDULE, '0 30 2 * * *');
            assert.equal(settings.RETENTION_DAYS, String(SCENARIOS[scenario]?.retentionDays ?? 90));
            assert.equal(settings.RECONCILE_AFTER_MINUTES, '45');
            assert.equal(settings.RECONCILE_MAX_CALLS, '500');
        });
    }

    test('the settings reader accepts them in Azure and reaches storage, Graph and the callback check as intended', () => {
        for (const scenario of Object.keys(SCENARIOS)) {
            const d = deployment(scenario);
            const identity = identityOf(d);
            const storage = d.one('Microsoft.Storage/storageAccounts').name;
            const { config } = loadRecordingReads(withAzureMarkers(d));
            assert.equal(config.runningInAzure, true);
            assert.deepEqual(config.storage, {
                kind: 'identity',
                setting: 'CallHistoryStorage__tableServiceUri',
                tableServiceUri: `https://${storage}.table.core.windows.net`,
                // The user-assigned identity, never the Graph client secret the same settings carry.
                credential: { kind: 'managedIdentity', clientId: identity.clientId },
                tableName: 'CallHistory',
            });
            assert.equal(config.callbackAuth.enabled, true);
            assert.equal(config.graph.baseUrl, DEFAULTS.graphBaseUrl);
            // Telemetry to the deployment's Application Insights, signed in as the identity (local auth is off there).
            assert.equal(config.telemetry.azureMonitor?.connectionString, d.appSettings().APPLICATIONINSIGHTS_CONNECTION_STRING);
            assert.deepEqual(config.telemetry.azureMonitor?.credential, { kind: 'managedIdentity', clientId: identity.clientId });
            assert.equal(config.telemetry.summarySeconds, undefined);
            const signIn = SCENARIOS[scenario]?.authClientId !== undefined;
            assert.deepEqual(
                config.access,
                signIn ? { mode: 'entra', platformSignIn: true, registrationClientId: AUTH_CLIENT_ID.toLowerCase() } : { mode: 'functionKey', platformSignIn: false },
                "with sign-in, the registration calls doctor holds against the platform's",
            );
            if (SCENARIOS[scenario]?.graphCredential === 'managedIdentity') {
                assert.deepEqual(config.graph.credential, { kind: 'managedIdentity', clientId: identity.clientId });
                assert.equal(config.callbackAuth.audience, identity.clientId);
            } else {
                assert.deepEqual(config.graph.credential, { kind: 'clientSecret', tenantId: DEPLOYING_TENANT_ID, clientId: BOT_APP_ID, clientSecret: BOT_SECRET });
                assert.equal(config.callbackAuth.audience, BOT_APP_ID);
            }
            const allowedTenants = SCENARIOS[scenario]?.allowedTenantIds ?? DEPLOYING_TENANT_ID;
            if (allowedTenants === '*') {
                assert.equal(config.callbackAuth.allowedTenantIds, null, 'ALLOWED_TENANT_IDS=* lets any tenant call');
            } else {
                assert.deepEqual([...(config.callbackAuth.allowedTenantIds ?? [])].sort(), String(allowedTenants).split(',').sort());
            }
        }
    });

    test("every setting the app reads in Azure is set, or left to the app's default on purpose", () => {
        for (const scenario of Object.keys(SCENARIOS)) {
            const d = deployment(scenario);
            const settings = d.resolvedAppSettings();
            const { reads } = loadRecordingReads(withAzureMarkers(d, settings));
            // WEBSITE_AUTH_ENABLED and WEBSITE_AUTH_CLIENT_ID are the platform's (App Service sets them when authsettingsV2 is on), never app settings.
            const leftUnset = new Set([
                ...Object.keys(LEFT_TO_THE_APP),
                ...Object.keys(AZURE_MARKERS),
                'WEBSITE_AUTH_ENABLED',
                'WEBSITE_AUTH_CLIENT_ID',
                ...CONNECTION_STRING_SETTINGS,
            ]);
            // Without a sign-in registration there is none to name.
            if (SCENARIOS[scenario]?.authClientId === undefined) leftUnset.add('AUTH_CLIENT_ID');
            // With the identity as the bot there is no secret to read.
            if (SCENARIOS[scenario]?.graphCredential === 'managedIdentity') leftUnset.add('AZURE_CLIENT_SECRET');
            // Without relayUrl the relay is off: the app reads RELAY_URL, finds none, and reads no other relay setting.
            if (!relays(scenario)) leftUnset.add('RELAY_URL');
            const unexplained = [...reads].filter((name) => !(name in settings) && !leftUnset.has(name));
            assert.deepEqual(unexplained, [], `${scenario}: the app reads these in Azure, and the template neither sets them nor says why not`);
            assert.ok(reads.has('CallHistoryStorage__tableServiceUri') && reads.has('BOT_APP_ID'), 'the reads are recorded');
        }
    });

    test('the zip azure.yaml deploys starts with them, registers what the local build registers, and every %SETTING% its triggers name is set', () => {
        const describeFunctions = (functions: readonly LoadedFunction[]) => JSON.stringify([...functions].sort((a, b) => a.name.localeCompare(b.name)));
        for (const [scenario, functions] of loadedFunctions) {
            assert.ok(functions.length >= 5, `${scenario}: ${functions.length} functions`);
            assert.equal(
                describeFunctions(functions),
                describeFunctions(localBuildFunctions.get(scenario) ?? []),
                `${scenario}: the zip and the tsc build register the same functions`,
            );
            const settings = deployment(scenario).appSettings();
            const referenced = functions.flatMap((f) => f.bindings.flatMap((b) => Object.values(b).flatMap((v) => (typeof v === 'string' ? [...v.matchAll(/%([^%]+)%/g)] : []))));
            for (const [, name] of referenced) assert.ok(name !== undefined && name in settings, `${scenario}: a trigger uses %${name}%`);
        }
    });

    test("with the relay on, the settings reader relays to the bot's https endpoint with the vault's secret, and the queue trigger's %RELAY_QUEUE% is set", () => {
        const d = deployment('relay');
        const settings = d.appSettings();
        assert.match(settings.RELAY_SECRET ?? '', /^@Microsoft\.KeyVault\(SecretUri=https:\/\/kv-calls-[a-z0-9]+\.vault\.azure\.net\/secrets\/relay-secret\)$/);
        const { config } = loadRecordingReads(withAzureMarkers(d));
        assert.equal(config.relay?.url, RELAY_URL);
        assert.deepEqual(
            config.relay?.secrets.map((secret) => secret.toString('utf8')),
            ['test-only-relay-secret-K9p-value'],
        );
        assert.equal(config.relay?.maxAgeMs, 12 * 3_600_000);
        assert.equal(config.relay?.inlineTimeoutMs, 2000);
        assert.deepEqual(config.relay?.queue, {
            kind: 'identity',
            setting: 'AzureWebJobsStorage__queueServiceUri',
            queueServiceUri: `https://${d.one('Microsoft.Storage/storageAccounts').name}.queue.core.windows.net`,
            credential: { kind: 'managedIdentity', clientId: identityOf(d).clientId },
            queueName: 'relay-retries',
            binding: '%RELAY_QUEUE%',
        });
        const relayRetries = loadedFunctions.get('relay')?.find((f) => f.name === 'relayRetries');
        assert.ok(relayRetries, 'the queue trigger is registered with the relay on');
        assert.equal(
            loadedFunctions.get('identity')?.find((f) => f.name === 'relayRetries'),
            undefined,
            'and not with it off',
        );
        for (const scenario of ['secret', 'secretWithBot', 'identity']) assert.equal('RELAY_URL' in deployment(scenario).appSettings(), false, scenario);
    });

    test('a relay without its secret, or to a plain http endpoint, stops before anything is created', () => {
        const { relaySecret: _secret, ...withoutSecret } = SCENARIOS.relay as Record<string, ParameterValue>;
        assert.throws(
            () => deploy('relayWithoutSecret', withoutSecret, compiled),
            (err: unknown) => err instanceof ArmDeploymentFailure && /relaySecret is required with relayUrl/.test(err.message),
        );
        assert.throws(
            () => deploy('relayOverHttp', { ...SCENARIOS.relay, relayUrl: 'http://bot.example.com/api/calling' } as Record<string, ParameterValue>, compiled),
            (err: unknown) => err instanceof ArmDeploymentFailure && /relayUrl must be https/.test(err.message),
        );
    });

    test('a secret-based deployment without the secret or the app id stops before anything is created', () => {
        const { botAppSecret: _secret, ...withoutSecret } = SCENARIOS.secret as Record<string, ParameterValue>;
        assert.throws(
            () => deploy('withoutSecret', withoutSecret, compiled),
            (err: unknown) => err instanceof ArmDeploymentFailure && /botAppSecret is required/.test(err.message),
        );
        const { botAppId: _appId, ...withoutAppId } = SCENARIOS.secret as Record<string, ParameterValue>;
        assert.throws(
            () => deploy('withoutAppId', withoutAppId, compiled),
            (err: unknown) => err instanceof ArmDeploymentFailure && /botAppId is required/.test(err.message),
        );
    });
});

describe('outputs and the bot', () => {
    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: the callback URL is the app's callback route on its host`, () => {
            const d = deployment(scenario);
            const site = d.one('Microsoft.Web/sites');
            const host = (runtimeProperties(site.id) as { defaultHostName: string }).defaultHostName;
            assert.equal(d.outputs.FUNCTION_APP_URL, `https://${host}`);
            assert.equal(d.outputs.CALLBACK_URL, `https://${host}${callbackRoute(loadedFunctions.get(scenario) ?? [])}`);
            assert.equal(d.outputs.FUNCTION_APP_NAME, site.name);
            assert.equal(d.outputs.STORAGE_ACCOUNT_NAME, d.one('Microsoft.Storage/storageAccounts').name);
            assert.equal(d.outputs.MANAGED_IDENTITY_CLIENT_ID, identityOf(d).clientId);
        });
    }

    test('without createBot there is no bot; with it, Teams calls the callback URL for the bot the app checks tokens for', () => {
        assert.deepEqual(deployment('secret').all('Microsoft.BotService/botServices'), []);
        for (const scenario of ['secretWithBot', 'identity']) {
            const d = deployment(scenario);
            const bot = d.one('Microsoft.BotService/botServices') as PredictedResource & { properties: Record<string, unknown> };
            assert.equal(bot.properties.msaAppId, d.appSettings().BOT_APP_ID);
            assert.equal(bot.properties.msaAppTenantId, d.appSettings().AZURE_TENANT_ID);
            const managed = SCENARIOS[scenario]?.graphCredential === 'managedIdentity';
            assert.equal(bot.properties.msaAppType, managed ? 'UserAssignedMSI' : 'SingleTenant');
            if (managed) assert.equal(bot.properties.msaAppMSIResourceId, identityOf(d).id);
            const teams = d.one('Microsoft.BotService/botServices/channels').properties as { channelName: string; properties: Record<string, unknown> };
            assert.equal(teams.channelName, 'MsTeamsChannel');
            assert.equal(teams.properties.isEnabled, true);
            assert.equal(teams.properties.enableCalling, true);
            assert.equal(teams.properties.callingWebhook, d.outputs.CALLBACK_URL);
        }
        assert.equal(deployment('identity').all('Microsoft.KeyVault/vaults').length, 0, 'no Key Vault without a secret');
        assert.equal(deployment('entraSecret').all('Microsoft.KeyVault/vaults').length, 1, 'a Key Vault for the sign-in secret alone');
        assert.equal('AZURE_CLIENT_SECRET' in deployment('identity').appSettings(), false);
    });

    test('the Graph secret is a Key Vault reference to the secret the template stores, read with the identity', () => {
        for (const scenario of ['secret', 'secretWithBot']) {
            const d = deployment(scenario);
            const secret = d.one('Microsoft.KeyVault/vaults/secrets');
            const vault = d.one('Microsoft.KeyVault/vaults');
            assert.equal(vault.properties?.enableRbacAuthorization, true);
            assert.equal(d.appSettings().AZURE_CLIENT_SECRET, `@Microsoft.KeyVault(SecretUri=${String(runtimeProperties(secret.id).secretUri)})`);
            assert.equal(d.resolvedAppSettings().AZURE_CLIENT_SECRET, BOT_SECRET);
        }
    });
});

/** What the alert rules and the workbook query, by where the query is. */
function monitoringQueries(d: Deployment): Array<{ where: string; query: string }> {
    const rules = d.all('Microsoft.Insights/scheduledQueryRules').map((rule) => {
        const criteria = (rule.properties as { criteria: { allOf: Array<{ query: string }> } }).criteria.allOf;
        assert.equal(criteria.length, 1, rule.name);
        return { where: `alert ${rule.name}`, query: criteria[0]?.query ?? '' };
    });
    const workbook = JSON.parse(String(d.one('Microsoft.Insights/workbooks').properties?.serializedData)) as {
        items: Array<{ type: number; name: string; content: { query?: string } }>;
    };
    const charts = workbook.items.filter((item) => item.type === 3).map((item) => ({ where: `workbook ${item.name}`, query: item.content.query ?? '' }));
    return [...rules, ...charts];
}

describe('monitoring: alert rules, the action group and the workbook', () => {
    const catalogue: readonly MetricDefinition[] = Object.values(METRICS);

    test('every alert and workbook query reads only metrics, attributes and values the telemetry catalogue lists', () => {
        for (const d of deployments.values()) {
            const queries = monitoringQueries(d);
            assert.ok(queries.length >= 10, `${d.scenario}: ${queries.length} queries`);
            for (const { where, query } of queries) assert.deepEqual(problemsOf(query, catalogue), [], `${d.scenario}: ${where}`);
        }
    });

    test('the check fails a query that names a metric, an attribute or a value the app never writes', () => {
        const base = 'AppMetrics | where Name == "callrecord.callback.requests"';
        assert.deepEqual(problemsOf(`${base} and tostring(Properties.status) == "401"`, catalogue), []);
        assert.deepEqual(problemsOf('AppMetrics | where Name == "callrecord.callback.rejected"', catalogue), ['metric callrecord.callback.rejected is not in the catalogue']);
        assert.equal(problemsOf(`${base} | summarize by tostring(Properties.callId)`, catalogue).length, 1, 'an attribute the metric does not have');
        assert.equal(problemsOf(`${base} and tostring(Properties.status) in ("401", "418")`, catalogue).length, 1, 'a value the attribute never takes');
        assert.equal(problemsOf(`${base} and tostring(Properties.status) startswith "3"`, catalogue).length, 1);
        assert.equal(problemsOf('AppRequests | where Success == false', catalogue).length, 1, "a query on none of the app's metrics");
    });

    test('the workbook charts every metric of the catalogue over time', () => {
        const charted = new Set(
            monitoringQueries(deployment('secret'))
                .filter(({ where }) => where.startsWith('workbook'))
                .flatMap(({ query }) => metricsNamedIn(query)),
        );
        assert.deepEqual(
            catalogue.map((metric) => metric.name).filter((name) => !charted.has(name)),
            [],
        );
    });

    for (const scenario of Object.keys(SCENARIOS)) {
        test(`${scenario}: the log alerts deploy on a new, empty workspace and fire on the app's own signals`, () => {
            const d = deployment(scenario);
            const workspace = d.one('Microsoft.OperationalInsights/workspaces');
            const rules = d.all('Microsoft.Insights/scheduledQueryRules');
            // The relay's rules only where the app relays to a bot.
            const relayRules = relays(scenario) ? ['alert-calls-relay-backlog', 'alert-calls-relay-dead-letters'] : [];
            assert.deepEqual(
                rules.map((rule) => rule.name.replace(/-[a-z0-9]+$/, '')).sort(),
                [
                    'alert-calls-callback-401',
                    'alert-calls-callback-5xx',
                    'alert-calls-function-failures',
                    'alert-calls-graph-refused',
                    'alert-calls-reconciler-closing',
                    ...relayRules,
                ].sort(),
            );
            for (const rule of rules) {
                const properties = rule.properties as Record<string, unknown> & { criteria: { allOf: Array<{ query: string; threshold: number }> } };
                assert.deepEqual(properties.scopes, [workspace.id], rule.name);
                // AppMetrics does not exist until the first metric lands: nothing to validate, and the union keeps the columns.
                assert.equal(properties.skipQueryValidation, true, rule.name);
                assert.match(
                    properties.criteria.allOf[0]?.query ?? '',
                    /^union isfuzzy=true \(datatable\(TimeGenerated: datetime, Name: string, Sum: real, ItemCount: int, Max: real, Properties: dynamic\)\[\]\), AppMetrics\n/,
                );
                assert.equal(properties.enabled, true);
            }
            const closing = rules.find((rule) => rule.name.startsWith('alert-calls-reconciler-closing'));
            assert.ok(closing);
            const threshold = (closing.properties as { criteria: { allOf: Array<{ threshold: number }> } }).criteria.allOf[0]?.threshold;
            assert.equal(threshold, SCENARIOS[scenario]?.alertReconcilerClosedPercent ?? 20);
            const backlog = rules.find((rule) => rule.name.startsWith('alert-calls-relay-backlog'));
            if (backlog !== undefined) {
                const criterion = (backlog.properties as { criteria: { allOf: Array<{ threshold: number; metricMeasureColumn: string }> } }).criteria.allOf[0];
                assert.equal(criterion?.threshold, SCENARIOS[scenario]?.alertRelayBacklog ?? 100);
                assert.equal(criterion?.metricMeasureColumn, 'backlog');
            }
        });
    }

    test('an action group emails the address given, and only when one is given; every rule notifies it', () => {
        assert.deepEqual(deployment('secret').all('Microsoft.Insights/actionGroups'), []);
        for (const rule of deployment('secret').all('Microsoft.Insights/scheduledQueryRules')) {
            assert.deepEqual((rule.properties as { actions: { actionGroups: unknown[] } }).actions.actionGroups, [], rule.name);
        }
        const d = deployment('secretWithBot');
        const group = d.one('Microsoft.Insights/actionGroups');
        assert.deepEqual(
            (group.properties as { emailReceivers: Array<{ emailAddress: string }> }).emailReceivers.map((receiver) => receiver.emailAddress),
            ['on-call@example.com'],
        );
        for (const rule of d.all('Microsoft.Insights/scheduledQueryRules')) {
            assert.deepEqual((rule.properties as { actions: { actionGroups: unknown[] } }).actions.actionGroups, [group.id], rule.name);
        }
    });
});

describe('App Service Authentication (API_AUTH=entra)', () => {
    const signInScenarios = Object.keys(SCENARIOS).filter((scenario) => SCENARIOS[scenario]?.authClientId !== undefined);

    test('without a sign-in registration: no authsettingsV2, API_AUTH=functionKey, and every route but the callback and the assets needs a key', () => {
        for (const scenario of Object.keys(SCENARIOS).filter((name) => !signInScenarios.includes(name))) {
            const d = deployment(scenario);
            assert.equal(d.siteConfig('authsettingsV2'), undefined, scenario);
            assert.equal(d.appSettings().API_AUTH, 'functionKey');
            assert.equal(d.outputs.API_AUTH, 'functionKey');
            assert.equal(d.outputs.AUTH_REDIRECT_URI, '');
            for (const name of ['WEBSITE_AUTH_AAD_ALLOWED_TENANTS', 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID', 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET', 'AUTH_CLIENT_ID'])
                assert.equal(name in d.appSettings(), false, name);
            const levels = authLevels(loadedFunctions.get(scenario) ?? []);
            assert.deepEqual(levels.anonymous, ['callNotifications', 'consoleAssets']);
            assert.ok(levels.keyed.includes('endCall') && levels.keyed.includes('console') && levels.keyed.includes('whoAmI'), levels.keyed.join());
        }
    });

    for (const scenario of signInScenarios) {
        test(`${scenario}: the Entra provider for the registration, 401 for the API, the callback and the console's page and assets excluded, the allowed tenants`, () => {
            const d = deployment(scenario);
            const parameters = SCENARIOS[scenario] ?? {};
            const functions = loadedFunctions.get(scenario) ?? [];
            const auth = d.siteConfig('authsettingsV2')?.properties as Record<string, Record<string, unknown>>;
            assert.deepEqual(auth.platform, { enabled: true, runtimeVersion: '~1' });
            assert.deepEqual(auth.globalValidation, {
                requireAuthentication: true,
                unauthenticatedClientAction: 'Return401',
                redirectToProvider: 'azureactivedirectory',
                // The app's own routes: Graph's token guards the callback; the app sends a person who is not signed in from the console page to sign in.
                excludedPaths: [callbackRoute(functions), routeOf(functions, 'console'), `${routeOf(functions, 'consoleAssets').replace(/\/\{name\}$/, '')}/*`],
            });
            assert.equal((auth.httpSettings as { requireHttps: boolean }).requireHttps, true);
            const entra = (auth.identityProviders as { azureActiveDirectory: Record<string, Record<string, unknown>> }).azureActiveDirectory;
            assert.equal(entra.enabled, true);
            assert.equal(entra.registration?.clientId, AUTH_CLIENT_ID);
            assert.equal(entra.registration?.openIdIssuer, `https://login.microsoftonline.com/${DEPLOYING_TENANT_ID}/v2.0`);
            assert.deepEqual(entra.validation?.allowedAudiences, [`api://${AUTH_CLIENT_ID}`, AUTH_CLIENT_ID]);
            const login = auth.login as { tokenStore: { enabled: boolean }; preserveUrlFragmentsForLogins: boolean; allowedExternalRedirectUrls: string[] };
            assert.equal(login.tokenStore.enabled, false);
            assert.equal(login.preserveUrlFragmentsForLogins, true);
            assert.deepEqual(login.allowedExternalRedirectUrls, []);
            const settings = d.appSettings();
            assert.equal(settings.API_AUTH, 'entra');
            assert.equal(settings.AUTH_CLIENT_ID, AUTH_CLIENT_ID, 'the registration, for calls doctor');
            assert.equal(settings.WEBSITE_AUTH_AAD_ALLOWED_TENANTS, parameters.authAllowedTenantIds ?? DEPLOYING_TENANT_ID);
            const site = d.one('Microsoft.Web/sites');
            const host = (runtimeProperties(site.id) as { defaultHostName: string }).defaultHostName;
            assert.equal(d.outputs.API_AUTH, 'entra');
            assert.equal(d.outputs.AUTH_REDIRECT_URI, `https://${host}/.auth/login/aad/callback`);
            assert.equal(d.outputs.CONSOLE_URL, `https://${host}${routeOf(functions, 'console')}`);
            // The app the platform starts trusts the principal, and lets the host check no key on any route.
            assert.deepEqual(authLevels(functions).keyed, []);
        });
    }

    test("no client secret with the identity as the registration's credential: the platform signs in with a federated identity credential", () => {
        const d = deployment('entra');
        const entra = (d.siteConfig('authsettingsV2')!.properties!.identityProviders as { azureActiveDirectory: { registration: Record<string, string> } }).azureActiveDirectory;
        assert.equal(entra.registration.clientSecretSettingName, 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID');
        assert.equal(d.appSettings().OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID, identityOf(d).clientId);
        assert.equal('MICROSOFT_PROVIDER_AUTHENTICATION_SECRET' in d.appSettings(), false);
        assert.deepEqual(
            d.all('Microsoft.KeyVault/vaults/secrets').map((secret) => secret.name.split('/').pop()),
            ['bot-app-secret'],
        );
    });

    test('with a client secret: it is a Key Vault reference to the secret the template stores, read with the identity, and the setting the platform reads', () => {
        const d = deployment('entraSecret');
        const entra = (d.siteConfig('authsettingsV2')!.properties!.identityProviders as { azureActiveDirectory: { registration: Record<string, string> } }).azureActiveDirectory;
        assert.equal(entra.registration.clientSecretSettingName, 'MICROSOFT_PROVIDER_AUTHENTICATION_SECRET');
        const secret = d.one('Microsoft.KeyVault/vaults/secrets');
        assert.equal(d.appSettings().MICROSOFT_PROVIDER_AUTHENTICATION_SECRET, `@Microsoft.KeyVault(SecretUri=${String(runtimeProperties(secret.id).secretUri)})`);
        assert.equal(d.resolvedAppSettings().MICROSOFT_PROVIDER_AUTHENTICATION_SECRET, AUTH_SECRET);
        assert.equal('OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID' in d.appSettings(), false);
    });

    test('the platform reads the settings after they are written; a secret-based sign-in without the secret stops before anything is created', () => {
        const resources = resourcesTemplate();
        assert.ok((resources.authSettings!.dependsOn as string[]).includes('appSettings'));
        const { authClientSecret: _secret, ...withoutSecret } = SCENARIOS.entraSecret as Record<string, ParameterValue>;
        assert.throws(
            () => deploy('entraWithoutSecret', withoutSecret, compiled),
            (err: unknown) => err instanceof ArmDeploymentFailure && /authClientSecret is required with authCredential=clientSecret/.test(err.message),
        );
    });

    test('the registration script declares exactly the app roles the app checks, for people and applications, with stable ids', () => {
        const manifest = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'infra/sign-in/app-roles.json'), 'utf8')) as Array<Record<string, unknown>>;
        assert.deepEqual(manifest.map((role) => role.value).sort(), Object.values(APP_ROLES).sort());
        for (const role of manifest) {
            assert.deepEqual(role.allowedMemberTypes, ['User', 'Application'], String(role.value));
            assert.equal(role.isEnabled, true);
            assert.match(String(role.id), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
            assert.ok(String(role.description).length > 20 && String(role.displayName).length > 0);
        }
        const script = readFileSync(path.join(REPOSITORY_ROOT, 'infra/sign-in/sign-in.sh'), 'utf8');
        assert.match(script, /az ad app create .*--app-roles "\$roles"/s);
        assert.match(script, /--web-redirect-uris/);
        assert.match(script, /az ad app federated-credential create/);
        const syntax = spawnSync('bash', ['-n', path.join(REPOSITORY_ROOT, 'infra/sign-in/sign-in.sh')], { encoding: 'utf8' });
        assert.equal(syntax.status, 0, syntax.stderr);
    });
});

/** The names of the HTTP functions, by the authLevel their trigger registers with. */
function authLevels(functions: readonly LoadedFunction[]): { anonymous: string[]; keyed: string[] } {
    const http = functions.flatMap((fn) => {
        const trigger = fn.bindings.find((binding) => binding.type === 'httpTrigger');
        return trigger === undefined ? [] : [{ name: fn.name, level: String(trigger.authLevel) }];
    });
    assert.ok(http.length >= 8, `${http.length} HTTP functions`);
    return {
        anonymous: http
            .filter((fn) => fn.level === 'anonymous')
            .map((fn) => fn.name)
            .sort(),
        keyed: http
            .filter((fn) => fn.level !== 'anonymous')
            .map((fn) => fn.name)
            .sort(),
    };
}

describe('azd wiring', () => {
    test('azure.yaml deploys the zip npm run package writes to the site the template tags for it', () => {
        const project = parseYaml(readFileSync(path.join(REPOSITORY_ROOT, 'azure.yaml'), 'utf8')) as {
            services: Record<string, { host: string; language: string; dist: string; hooks?: { prepackage?: { run: string } } }>;
        };
        const [[name, service] = []] = Object.entries(project.services);
        assert.ok(name !== undefined && service !== undefined);
        assert.equal(service.host, 'function');
        assert.equal(service.language, 'custom', 'azd uploads dist as it is, without building or zipping');
        assert.equal(service.dist, PACKAGE_FILE);
        assert.match(service.hooks?.prepackage?.run ?? '', /npm run package/);
        for (const d of deployments.values()) assert.equal(d.one('Microsoft.Web/sites').tags?.['azd-service-name'], name);
    });

    test('main.parameters.json maps every template parameter to an azd environment value, and nothing else', () => {
        const file = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, 'infra/main.parameters.json'), 'utf8')) as { parameters: Record<string, { value: string }> };
        const parameters = compiled.template.parameters as Record<string, unknown>;
        assert.deepEqual(Object.keys(file.parameters).sort(), Object.keys(parameters).sort());
        for (const [name, { value }] of Object.entries(file.parameters)) assert.match(value, /^\$\{[A-Z][A-Z0-9_]*(=[^}]*)?\}$/, name);
    });
});
