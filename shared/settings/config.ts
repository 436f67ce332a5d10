// The app's settings, read from the environment and validated once; nothing else reads process.env.
// A missing or malformed setting throws a ConfigError that names it, which stops start-up.

import { defined } from '../defined';
import { connectionStringParts, serviceEndpointOf } from './connectionString';
import { ConfigError } from '../errors';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Where the call record lives: a connection string, or a table endpoint reached with an Entra identity. */
export type StorageConfig =
    | { kind: 'connectionString'; setting: string; connectionString: string; tableEndpoint: string; tableName: string }
    | { kind: 'identity'; setting: string; tableServiceUri: string; credential: StorageCredentialConfig; tableName: string };

/**
 * Who storage reached by identity (tables, queues) and Application Insights ingestion sign in as: the app's managed identity in Azure (the
 * user-assigned one named by `<connection>__clientId`, else the system-assigned one), the developer's own
 * login elsewhere. Never the Graph app's client secret, whose app registration has no storage roles.
 */
export type StorageCredentialConfig = { kind: 'managedIdentity'; clientId?: string } | { kind: 'developer' };

/** How `@azure/identity` gets the app's Graph token. */
export type CredentialConfig =
    | { kind: 'clientSecret'; tenantId: string; clientId: string; clientSecret: string; authorityHost?: string }
    | { kind: 'managedIdentity'; clientId?: string }
    | { kind: 'default'; tenantId?: string; clientId?: string; authorityHost?: string };

export interface GraphConfig {
    /** Graph root without a trailing slash, e.g. `https://graph.microsoft.com/v1.0`. */
    baseUrl: string;
    /** Path of one call below `baseUrl`, with a `{callId}` placeholder. */
    callPathTemplate: string;
    /** Upper bound for one hang-up, retries included. */
    timeoutMs: number;
    credential: CredentialConfig;
}

export interface CallbackAuthConfig {
    enabled: boolean;
    openIdConfigurationUrl: string;
    issuers: readonly string[];
    /** Expected `aud`: the bot's app id. Empty only when auth is disabled. */
    audience: string;
    /** `null` means any tenant. */
    allowedTenantIds: ReadonlySet<string> | null;
}

/**
 * A timer's schedule: the NCRONTAB expression in force, and what the function registers, which is the
 * `%SETTING%` reference when the setting is given (the Functions host resolves it, as for any binding) and
 * the default expression itself when it is not (a reference to a missing setting would stop the host).
 */
interface TimerScheduleConfig {
    expression: string;
    binding: string;
}

/** Where call-ended events go (SPEC "Call lifecycle"); absent when `CALL_EVENTS_QUEUE` is empty. */
export type CallEventsConfig =
    | { kind: 'connectionString'; setting: string; connectionString: string; queueEndpoint: string; queueName: string }
    | { kind: 'identity'; setting: string; queueServiceUri: string; credential: StorageCredentialConfig; queueName: string };

interface LifecycleConfig {
    reconcile: {
        schedule: TimerScheduleConfig;
        /** Active calls quiet for this long are checked with Graph; 0: every active call, every run. */
        afterMinutes: number;
        maxCalls: number;
    };
    retention: {
        schedule: TimerScheduleConfig;
        /** 0 keeps everything. */
        days: number;
    };
    /** keepAlive for every active call every `minutes` (0: off); the timer's schedule follows from it. */
    keepAlive: {
        minutes: number;
        schedule: TimerScheduleConfig;
    };
    callEvents?: CallEventsConfig;
}

/** Where Application Insights takes the telemetry, and how the app signs in to send it. */
interface AzureMonitorConfig {
    /** `APPLICATIONINSIGHTS_CONNECTION_STRING`: instrumentation key and ingestion endpoint (not a secret that grants access on its own when local auth is off). */
    connectionString: string;
    /**
     * Entra sign-in for ingestion (`APPLICATIONINSIGHTS_AUTHENTICATION_STRING` `Authorization=AAD`), required when the
     * component has local auth off: the managed identity in Azure (the user-assigned one its `ClientId` names), the
     * developer's login elsewhere. Absent: the instrumentation key alone (local auth on).
     */
    credential?: StorageCredentialConfig;
}

/** What the app does with its metrics and traces (docs/operations.md); all off by default. */
export interface TelemetryConfig {
    /** Export to Application Insights; absent without a connection string. */
    azureMonitor?: AzureMonitorConfig;
    /** Local runs only: print a summary of the metrics this often (`npm start -- --telemetry`: every 60 s). */
    summarySeconds?: number;
    /** `service.name` of the telemetry (Application Insights' cloud role name): the Function App's name in Azure. */
    serviceName: string;
    /** `service.instance.id` (the cloud role instance): the instance in Azure, the process elsewhere. */
    serviceInstanceId?: string;
}

/** `PARTICIPANT_DETAILS`: `full` keeps names and phone numbers; `ids` keeps ids only (no names, phone numbers masked). */
export type ParticipantDetails = 'full' | 'ids';

/**
 * A Storage queue of the host's own account (`AzureWebJobsStorage`), which a queue trigger of the app reads: the
 * relay's retries and the delayed call record fetches.
 */
type HostQueueConfig = (
    | { kind: 'connectionString'; setting: string; connectionString: string; queueEndpoint: string }
    | { kind: 'identity'; setting: string; queueServiceUri: string; credential: StorageCredentialConfig }
) & {
    queueName: string;
    /** What the queue trigger registers: `%SETTING%` when the setting is given, else the default name. */
    binding: string;
};

/** Where whole call records are kept: a Blob Storage container, by connection string or by identity. */
export type CallRecordBlobsConfig =
    | { kind: 'connectionString'; setting: string; connectionString: string; blobEndpoint: string; containerName: string }
    | { kind: 'identity'; setting: string; blobServiceUri: string; credential: StorageCredentialConfig; containerName: string };

/** Graph's call record after the call (SPEC "After the call"); absent when `CALL_RECORDS` is off. */
export interface CallRecordsConfig {
    /** The first fetch this long after the call ended; then every 30, 60, 120, 240, ... minutes. */
    delayMinutes: number;
    /** No fetch later than this long after the call ended: then the record is `notFound`. */
    giveUpHours: number;
    /** The queue of delayed fetches. */
    queue: HostQueueConfig;
    blobs: CallRecordBlobsConfig;
}

/** The relay to the bot (SPEC "Relay to the bot"); absent when `RELAY_URL` is empty. */
export interface RelayConfig {
    url: string;
    /** The decoded `RELAY_SECRET`s, in the order given: each signs every request (several during a rotation). */
    secrets: readonly Buffer[];
    /** Budget of the callback's own first attempt (and what follows it at once) before it answers Graph. */
    inlineTimeoutMs: number;
    /** A notification still not delivered this long after it was received (or replayed) is dead-lettered. */
    maxAgeMs: number;
    /** Waits between attempts of one delivery; the last one repeats. */
    retrySchedule: readonly number[];
    /** The queue of its retries. */
    queue: HostQueueConfig;
}

/**
 * Who may call the API (SPEC "Who may do what"). `functionKey`: the Functions host checks a key before the app
 * runs; `entra`: App Service Authentication signs people and applications in, and the app checks their app roles.
 */
export interface AccessConfig {
    mode: 'functionKey' | 'entra';
    /**
     * The platform says App Service Authentication is on (`WEBSITE_AUTH_ENABLED`): only then does it strip the
     * client-principal headers a caller sends and put its own on the request, so only then may the app trust them.
     */
    platformSignIn: boolean;
    /** `AUTH_CLIENT_ID`: the sign-in registration the deployment was made for (the template sets it with `entra`); `calls doctor` compares it with the platform's. */
    registrationClientId?: string;
    /** `WEBSITE_AUTH_CLIENT_ID`: the registration App Service Authentication signs people in for, where the platform says it. */
    platformClientId?: string;
}

export interface AppConfig {
    storage: StorageConfig;
    graph: GraphConfig;
    callbackAuth: CallbackAuthConfig;
    lifecycle: LifecycleConfig;
    telemetry: TelemetryConfig;
    relay?: RelayConfig;
    access: AccessConfig;
    dedupeWindowSeconds: number;
    participantDetails: ParticipantDetails;
    callRecords?: CallRecordsConfig;
    /** `WEBSITE_INSTANCE_ID` or `IDENTITY_ENDPOINT` is set: the app runs in Azure, with a managed identity at hand. */
    runningInAzure: boolean;
}

export const DEFAULTS = {
    tableName: 'CallHistory',
    graphBaseUrl: 'https://graph.microsoft.com/v1.0',
    graphCallPathTemplate: '/communications/calls/{callId}',
    graphTimeoutSeconds: 30,
    callbackOpenIdConfiguration: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
    callbackIssuers: 'https://graph.microsoft.com,https://api.botframework.com',
    dedupeWindowSeconds: 600,
    reconcileSchedule: '0 */5 * * * *',
    reconcileAfterMinutes: 45,
    reconcileMaxCalls: 500,
    retentionSchedule: '0 30 2 * * *',
    retentionDays: 0,
    callEventsQueue: 'call-events',
    serviceName: 'teams-call-record',
    keepAliveMinutes: 0,
    callRecordDelayMinutes: 15,
    callRecordGiveUpHours: 6,
    callRecordsQueue: 'call-record-fetches',
    callRecordsContainer: 'call-records',
    relayInlineTimeoutMs: 2000,
    relayMaxAgeHours: 24,
    relayRetrySchedule: '5s,15s,30s,1m,2m,5m,10m,30m,1h',
    relayQueue: 'relay-retries',
} as const;

/** Storage queue and blob container names: 3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit. */
const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

/** An Entra tenant id as it appears in a token's `tid` (a GUID, like an application's client id); compared in lower case. */
const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const MICROSOFT_AUTHORITY_HOSTS = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

/**
 * Reads and validates every setting of the app.
 *
 * @example
 * const config = loadConfig({ CallHistoryStorage: 'UseDevelopmentStorage=true', BOT_APP_ID: '...' });
 */
export function loadConfig(env: Environment): AppConfig {
    const runningInAzure = azureMarker(env) !== undefined;
    const relay = loadRelayConfig(env);
    return {
        storage: loadStorageConfig(env),
        graph: loadGraphConfig(env, runningInAzure),
        callbackAuth: loadCallbackAuthConfig(env),
        lifecycle: loadLifecycleConfig(env),
        telemetry: loadTelemetryConfig(env),
        ...(relay === undefined ? {} : { relay }),
        access: loadAccessConfig(env),
        dedupeWindowSeconds: integerSetting(env, 'DEDUPE_WINDOW_SECONDS', DEFAULTS.dedupeWindowSeconds, 0, 7 * 24 * 3600),
        participantDetails: participantDetailsSetting(env),
        ...defined({ callRecords: loadCallRecordsConfig(env) }),
        runningInAzure,
    };
}

let cached: AppConfig | undefined;

/** The process's configuration, read on first use and kept. */
export function appConfig(): AppConfig {
    cached ??= loadConfig(process.env);
    return cached;
}

/** Storage settings alone: what the command line needs to read the table. */
export function loadStorageConfig(env: Environment): StorageConfig {
    const tableName = present(env, 'CALL_HISTORY_TABLE') ?? DEFAULTS.tableName;
    if (!/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(tableName)) {
        throw new ConfigError('CALL_HISTORY_TABLE', `"${tableName}" is not a valid table name (3-63 letters and digits, starting with a letter).`);
    }
    const connection = storageConnection(
        env,
        ['CallHistoryStorage', 'AzureWebJobsStorage'],
        'table',
        'is not a Table Storage connection string (expected DefaultEndpointsProtocol, AccountName, AccountKey and EndpointSuffix or TableEndpoint; TableEndpoint and SharedAccessSignature; or UseDevelopmentStorage=true).',
    );
    if (connection?.kind === 'connectionString') {
        const { setting, connectionString, endpoint } = connection;
        return { kind: 'connectionString', setting, connectionString, tableEndpoint: endpoint, tableName };
    }
    if (connection?.kind === 'identity') {
        const { setting, serviceUri, credential } = connection;
        return { kind: 'identity', setting, tableServiceUri: serviceUri, credential, tableName };
    }
    throw new ConfigError(
        'CallHistoryStorage',
        'is missing. Set it (or AzureWebJobsStorage) to a Table Storage connection string, or set CallHistoryStorage__tableServiceUri for an identity-based connection.',
    );
}

/**
 * The credential of an identity-based storage connection named `connection` (`CallHistoryStorage`,
 * `CallEventsStorage`, ...): its `__clientId` matters in Azure only, where the managed identity exists.
 *
 * @example
 * storageCredentialConfig({ IDENTITY_ENDPOINT: '...', CallHistoryStorage__clientId: 'c1' }, 'CallHistoryStorage')
 * // { kind: 'managedIdentity', clientId: 'c1' }
 */
export function storageCredentialConfig(env: Environment, connection: string): StorageCredentialConfig {
    if (azureMarker(env) === undefined) {
        return { kind: 'developer' };
    }
    const clientId = present(env, `${connection}__clientId`);
    return { kind: 'managedIdentity', ...(clientId ? { clientId } : {}) };
}

/**
 * The setting that shows the app runs in Azure: App Service and Functions set `WEBSITE_INSTANCE_ID`, and
 * `IDENTITY_ENDPOINT` wherever a managed identity is offered.
 */
function azureMarker(env: Environment): 'WEBSITE_INSTANCE_ID' | 'IDENTITY_ENDPOINT' | undefined {
    if (present(env, 'WEBSITE_INSTANCE_ID') !== undefined) return 'WEBSITE_INSTANCE_ID';
    if (present(env, 'IDENTITY_ENDPOINT') !== undefined) return 'IDENTITY_ENDPOINT';
    return undefined;
}

function loadGraphConfig(env: Environment, runningInAzure: boolean): GraphConfig {
    const baseUrl = present(env, 'GRAPH_BASE_URL') ?? DEFAULTS.graphBaseUrl;
    httpsUrl('GRAPH_BASE_URL', baseUrl);
    const callPathTemplate = present(env, 'GRAPH_CALL_PATH') ?? DEFAULTS.graphCallPathTemplate;
    if (!callPathTemplate.startsWith('/') || !callPathTemplate.includes('{callId}')) {
        throw new ConfigError('GRAPH_CALL_PATH', `"${callPathTemplate}" must start with "/" and contain "{callId}".`);
    }
    const timeoutSeconds = integerSetting(env, 'GRAPH_TIMEOUT_SECONDS', DEFAULTS.graphTimeoutSeconds, 1, 230);
    return {
        baseUrl: baseUrl.replace(/\/+$/, ''),
        callPathTemplate,
        timeoutMs: timeoutSeconds * 1000,
        credential: loadCredentialConfig(env, runningInAzure),
    };
}

function loadCredentialConfig(env: Environment, runningInAzure: boolean): CredentialConfig {
    const tenantId = present(env, 'AZURE_TENANT_ID');
    const clientId = present(env, 'AZURE_CLIENT_ID');
    const clientSecret = present(env, 'AZURE_CLIENT_SECRET');
    const authorityHost = present(env, 'AZURE_AUTHORITY_HOST');
    if (authorityHost !== undefined) {
        httpsUrl('AZURE_AUTHORITY_HOST', authorityHost);
    }
    if (clientSecret !== undefined) {
        if (tenantId === undefined) {
            throw new ConfigError('AZURE_TENANT_ID', 'is required with AZURE_CLIENT_SECRET.');
        }
        if (clientId === undefined) {
            throw new ConfigError('AZURE_CLIENT_ID', 'is required with AZURE_CLIENT_SECRET.');
        }
        return { kind: 'clientSecret', tenantId, clientId, clientSecret, ...(authorityHost ? { authorityHost } : {}) };
    }
    if (runningInAzure) {
        return { kind: 'managedIdentity', ...(clientId ? { clientId } : {}) };
    }
    return {
        kind: 'default',
        ...(tenantId ? { tenantId } : {}),
        ...(clientId ? { clientId } : {}),
        ...(authorityHost ? { authorityHost } : {}),
    };
}

function loadCallbackAuthConfig(env: Environment): CallbackAuthConfig {
    const mode = (present(env, 'CALLBACK_AUTH') ?? 'enabled').toLowerCase();
    if (mode !== 'enabled' && mode !== 'disabled') {
        throw new ConfigError('CALLBACK_AUTH', `"${mode}" must be "enabled" or "disabled".`);
    }
    const enabled = mode === 'enabled';
    const azure = azureMarker(env);
    if (!enabled && azure !== undefined) {
        throw new ConfigError('CALLBACK_AUTH', `"disabled" is for local debugging only and is refused when the app runs in Azure (${azure} is set).`);
    }
    const openIdConfigurationUrl = present(env, 'CALLBACK_OPENID_CONFIGURATION') ?? DEFAULTS.callbackOpenIdConfiguration;
    httpsUrl('CALLBACK_OPENID_CONFIGURATION', openIdConfigurationUrl);
    const issuers = list(present(env, 'CALLBACK_ISSUERS') ?? DEFAULTS.callbackIssuers);
    if (issuers.length === 0) {
        throw new ConfigError('CALLBACK_ISSUERS', 'must name at least one issuer.');
    }
    const audience = present(env, 'BOT_APP_ID') ?? present(env, 'AZURE_CLIENT_ID') ?? '';
    if (enabled && audience === '') {
        throw new ConfigError('BOT_APP_ID', "is missing (and AZURE_CLIENT_ID is not set either): callback tokens cannot be checked without the bot's app id.");
    }
    const allowed = present(env, 'ALLOWED_TENANT_IDS');
    const allowedTenantIds = allowed === undefined ? null : new Set(list(allowed).map((t) => t.toLowerCase()));
    if (allowedTenantIds !== null && allowedTenantIds.size === 0) {
        throw new ConfigError('ALLOWED_TENANT_IDS', 'is set but names no tenant; remove it to allow any tenant.');
    }
    // A token's `tid` is always the tenant's GUID: a domain here would be accepted now and refuse every callback later.
    const notTenantId = [...(allowedTenantIds ?? [])].find((tenant) => !TENANT_ID.test(tenant));
    if (notTenantId !== undefined) {
        throw new ConfigError(
            'ALLOWED_TENANT_IDS',
            `"${notTenantId}" is not a tenant id. Callback tokens name their tenant by its id, so use the tenant id (GUID), shown as "Tenant ID" on the Overview page of the Microsoft Entra admin center, not a domain name.`,
        );
    }
    return { enabled, openIdConfigurationUrl, issuers, audience, allowedTenantIds };
}

/**
 * `API_AUTH` (`functionKey`, the default, or `entra`) and what the platform says about App Service
 * Authentication. In Azure, `entra` without it would answer every request 401, so start-up refuses it.
 */
function loadAccessConfig(env: Environment): AccessConfig {
    const raw = present(env, 'API_AUTH') ?? 'functionKey';
    const mode = ({ functionkey: 'functionKey', entra: 'entra' } as const)[raw.toLowerCase() as 'functionkey' | 'entra'];
    if (mode === undefined) {
        throw new ConfigError('API_AUTH', `"${raw}" must be "functionKey" (a function key guards the API) or "entra" (people and applications sign in with Entra ID).`);
    }
    const platformSignIn = booleanSetting(env, 'WEBSITE_AUTH_ENABLED');
    const azure = azureMarker(env);
    if (mode === 'entra' && !platformSignIn && azure !== undefined) {
        throw new ConfigError(
            'API_AUTH',
            `"entra" needs App Service Authentication in front of the app, and the platform says it is off (WEBSITE_AUTH_ENABLED is not true while ${azure} is set), ` +
                'so no signed-in principal could be trusted and every request would be refused. Deploy with AUTH_CLIENT_ID (docs/access.md), or set API_AUTH=functionKey.',
        );
    }
    const registrationClientId = present(env, 'AUTH_CLIENT_ID');
    if (registrationClientId !== undefined && !TENANT_ID.test(registrationClientId.toLowerCase())) {
        throw new ConfigError('AUTH_CLIENT_ID', `"${registrationClientId}" is not an application (client) id: copy the GUID from the sign-in registration's Overview page.`);
    }
    const platformClientId = present(env, 'WEBSITE_AUTH_CLIENT_ID');
    return {
        mode,
        platformSignIn,
        ...(registrationClientId === undefined ? {} : { registrationClientId: registrationClientId.toLowerCase() }),
        ...(platformClientId === undefined ? {} : { platformClientId: platformClientId.toLowerCase() }),
    };
}

function loadLifecycleConfig(env: Environment): LifecycleConfig {
    const callEvents = loadCallEventsConfig(env);
    return {
        reconcile: {
            schedule: scheduleSetting(env, 'RECONCILE_SCHEDULE', DEFAULTS.reconcileSchedule),
            afterMinutes: integerSetting(env, 'RECONCILE_AFTER_MINUTES', DEFAULTS.reconcileAfterMinutes, 0, 10_080),
            maxCalls: integerSetting(env, 'RECONCILE_MAX_CALLS', DEFAULTS.reconcileMaxCalls, 1, 100_000),
        },
        retention: {
            schedule: scheduleSetting(env, 'RETENTION_SCHEDULE', DEFAULTS.retentionSchedule),
            days: integerSetting(env, 'RETENTION_DAYS', DEFAULTS.retentionDays, 0, 36_500),
        },
        keepAlive: keepAliveSetting(env),
        ...(callEvents === undefined ? {} : { callEvents }),
    };
}

/**
 * Telemetry is off unless Application Insights is named (`APPLICATIONINSIGHTS_CONNECTION_STRING`, the setting the
 * Functions host reads too) or a local summary is asked for. `TELEMETRY_SUMMARY_SECONDS` prints to the console,
 * which the Functions host in Azure forwards as logs: there it would duplicate the telemetry, so it is refused.
 */
function loadTelemetryConfig(env: Environment): TelemetryConfig {
    const azure = azureMarker(env);
    const summary = present(env, 'TELEMETRY_SUMMARY_SECONDS');
    if (summary !== undefined && azure !== undefined) {
        throw new ConfigError(
            'TELEMETRY_SUMMARY_SECONDS',
            `prints a summary to the console, for local runs only; in Azure (${azure} is set) the console is forwarded as logs and would duplicate the telemetry Application Insights receives. Remove it.`,
        );
    }
    const summarySeconds = summary === undefined ? undefined : integerSetting(env, 'TELEMETRY_SUMMARY_SECONDS', 60, 1, 3600);
    const connectionString = present(env, 'APPLICATIONINSIGHTS_CONNECTION_STRING');
    const azureMonitor = connectionString === undefined ? undefined : loadAzureMonitorConfig(env, connectionString);
    const instance = present(env, 'WEBSITE_INSTANCE_ID');
    return {
        ...(azureMonitor === undefined ? {} : { azureMonitor }),
        ...(summarySeconds === undefined ? {} : { summarySeconds }),
        serviceName: present(env, 'OTEL_SERVICE_NAME') ?? present(env, 'WEBSITE_SITE_NAME') ?? DEFAULTS.serviceName,
        ...(instance === undefined ? {} : { serviceInstanceId: instance }),
    };
}

function loadAzureMonitorConfig(env: Environment, connectionString: string): AzureMonitorConfig {
    const parts = connectionStringParts(connectionString);
    const key = parts.get('instrumentationkey') ?? '';
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(key)) {
        throw new ConfigError(
            'APPLICATIONINSIGHTS_CONNECTION_STRING',
            'has no InstrumentationKey (a GUID): copy the connection string from the Application Insights resource (Overview, Connection String).',
        );
    }
    const endpoint = parts.get('ingestionendpoint');
    if (endpoint !== undefined) httpsUrl('APPLICATIONINSIGHTS_CONNECTION_STRING IngestionEndpoint', endpoint);
    const authentication = present(env, 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING');
    if (authentication === undefined) return { connectionString };
    const auth = connectionStringParts(authentication);
    if (auth.get('authorization')?.toUpperCase() !== 'AAD') {
        throw new ConfigError('APPLICATIONINSIGHTS_AUTHENTICATION_STRING', 'must be "Authorization=AAD" or "ClientId=<client id of a user-assigned identity>;Authorization=AAD".');
    }
    const clientId = auth.get('clientid')?.trim();
    const credential: StorageCredentialConfig = azureMarker(env) === undefined ? { kind: 'developer' } : { kind: 'managedIdentity', ...(clientId ? { clientId } : {}) };
    return { connectionString, credential };
}

/**
 * The queue of call-ended events: `CALL_EVENTS_QUEUE` (set but empty turns the events off) on
 * `CallEventsStorage`, which falls back to `AzureWebJobsStorage`; a connection string, or a queue endpoint
 * reached by identity (`__queueServiceUri`).
 */
export function loadCallEventsConfig(env: Environment): CallEventsConfig | undefined {
    const raw = env.CALL_EVENTS_QUEUE;
    if (raw !== undefined && raw.trim() === '') return undefined;
    const queueName = raw?.trim() ?? DEFAULTS.callEventsQueue;
    if (!QUEUE_NAME.test(queueName)) {
        throw new ConfigError(
            'CALL_EVENTS_QUEUE',
            `"${queueName}" is not a queue name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit), or set it empty to turn call-ended events off.`,
        );
    }
    const connection = storageConnection(
        env,
        ['CallEventsStorage', 'AzureWebJobsStorage'],
        'queue',
        'names no Queue Storage endpoint for the call-ended events (QueueEndpoint, or AccountName with EndpointSuffix, or UseDevelopmentStorage=true).',
    );
    if (connection?.kind === 'connectionString') {
        const { setting, connectionString, endpoint } = connection;
        return { kind: 'connectionString', setting, connectionString, queueEndpoint: endpoint, queueName };
    }
    if (connection?.kind === 'identity') {
        const { setting, serviceUri, credential } = connection;
        return { kind: 'identity', setting, queueServiceUri: serviceUri, credential, queueName };
    }
    throw new ConfigError(
        'CallEventsStorage',
        `is missing: call-ended events go to the queue "${queueName}" of CallEventsStorage (or AzureWebJobsStorage), a connection string or CallEventsStorage__queueServiceUri. Set CALL_EVENTS_QUEUE empty to turn them off.`,
    );
}

/**
 * `CALL_RECORDS=on` (needs Graph's application permission CallRecords.Read.All): the delays, the fetch queue
 * (`CALL_RECORDS_QUEUE` on `AzureWebJobsStorage`, read by the queue trigger) and the blob container
 * (`CALL_RECORDS_CONTAINER` on `CallRecordsStorage`, which falls back to `AzureWebJobsStorage`; identity-based
 * `CallRecordsStorage__blobServiceUri` works too).
 */
export function loadCallRecordsConfig(env: Environment): CallRecordsConfig | undefined {
    const mode = (present(env, 'CALL_RECORDS') ?? 'off').toLowerCase();
    if (mode !== 'on' && mode !== 'off') throw new ConfigError('CALL_RECORDS', `"${mode}" must be "on" or "off".`);
    if (mode === 'off') return undefined;
    const queue = hostQueueSetting(
        env,
        'CALL_RECORDS_QUEUE',
        DEFAULTS.callRecordsQueue,
        'the delayed call record fetches',
        'with CALL_RECORDS=on the app keeps its delayed fetches',
    );
    const containerName = present(env, 'CALL_RECORDS_CONTAINER') ?? DEFAULTS.callRecordsContainer;
    if (!QUEUE_NAME.test(containerName)) {
        throw new ConfigError(
            'CALL_RECORDS_CONTAINER',
            `"${containerName}" is not a container name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit).`,
        );
    }
    const blob = storageConnection(
        env,
        ['CallRecordsStorage', 'AzureWebJobsStorage'],
        'blob',
        'names no Blob Storage endpoint for the call records (BlobEndpoint, or AccountName with EndpointSuffix, or UseDevelopmentStorage=true).',
    );
    if (blob === undefined) {
        throw new ConfigError(
            'CallRecordsStorage',
            'is missing: with CALL_RECORDS=on whole call records go to Blob Storage: CallRecordsStorage (or AzureWebJobsStorage), a connection string or CallRecordsStorage__blobServiceUri.',
        );
    }
    const blobs: CallRecordBlobsConfig =
        blob.kind === 'connectionString'
            ? { kind: 'connectionString', setting: blob.setting, connectionString: blob.connectionString, blobEndpoint: blob.endpoint, containerName }
            : { kind: 'identity', setting: blob.setting, blobServiceUri: blob.serviceUri, credential: blob.credential, containerName };
    return {
        delayMinutes: integerSetting(env, 'CALL_RECORD_DELAY_MINUTES', DEFAULTS.callRecordDelayMinutes, 0, 1440),
        // Graph keeps a call record for 30 days.
        giveUpHours: integerSetting(env, 'CALL_RECORD_GIVE_UP_HOURS', DEFAULTS.callRecordGiveUpHours, 1, 720),
        queue,
        blobs,
    };
}

/**
 * The relay to the bot, or undefined when `RELAY_URL` is not set. A relay without a secret is refused: the bot
 * could not tell the app's requests from anyone's.
 *
 * @example
 * loadRelayConfig({ RELAY_URL: 'https://bot.example.com/api/calling', RELAY_SECRET: 'whsec_...', AzureWebJobsStorage: '...' })
 */
export function loadRelayConfig(env: Environment): RelayConfig | undefined {
    const url = present(env, 'RELAY_URL');
    if (url === undefined) return undefined;
    const parsed = httpsUrl('RELAY_URL', url);
    if (parsed.username !== '' || parsed.password !== '') {
        throw new ConfigError('RELAY_URL', 'must not carry a user name or password: the bot checks the signature (RELAY_SECRET) instead.');
    }
    const secret = present(env, 'RELAY_SECRET');
    if (secret === undefined) {
        throw new ConfigError(
            'RELAY_SECRET',
            "is missing: the relay signs every request to RELAY_URL so the bot can tell them from anyone else's. Set it to whsec_ followed by base64 of at least 16 random bytes (e.g. node -e \"console.log('whsec_'+require('crypto').randomBytes(32).toString('base64'))\").",
        );
    }
    return {
        url: parsed.href,
        secrets: relaySecrets(secret),
        inlineTimeoutMs: integerSetting(env, 'RELAY_INLINE_TIMEOUT_MS', DEFAULTS.relayInlineTimeoutMs, 100, 30_000),
        maxAgeMs: hoursSetting(env, 'RELAY_MAX_AGE_HOURS', DEFAULTS.relayMaxAgeHours, 168),
        retrySchedule: retrySchedule(present(env, 'RELAY_RETRY_SCHEDULE') ?? DEFAULTS.relayRetrySchedule),
        queue: hostQueueSetting(env, 'RELAY_QUEUE', DEFAULTS.relayQueue, "the relay's retries", 'the relay keeps its retries'),
    };
}

/** Standard Webhooks secrets: `whsec_` and base64; 16 bytes is the least that is not guessable. */
const MIN_SECRET_BYTES = 16;

/** `whsec_<base64>`, several separated by spaces or commas; the prefix may be left out. */
function relaySecrets(value: string): Buffer[] {
    const secrets = value.split(/[\s,]+/).filter((secret) => secret !== '');
    return secrets.map((secret, index) => {
        const encoded = secret.replace(/^whsec_/, '');
        const which = secrets.length > 1 ? `secret ${index + 1} of ${secrets.length}` : 'the secret';
        if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
            throw new ConfigError('RELAY_SECRET', `${which} is not whsec_ followed by base64.`);
        }
        const bytes = Buffer.from(encoded, 'base64');
        if (bytes.length < MIN_SECRET_BYTES) {
            throw new ConfigError('RELAY_SECRET', `${which} holds ${bytes.length} bytes; use at least ${MIN_SECRET_BYTES} random bytes.`);
        }
        return bytes;
    });
}

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;
const MAX_RETRY_WAIT_MS = 24 * 3_600_000;

/**
 * `5s,15s,1m,1h`: whole seconds, minutes or hours, each from 1 s to 24 h (a queue message waits in whole seconds).
 *
 * @example
 * retrySchedule('5s,1m') // [5000, 60000]
 */
function retrySchedule(value: string): number[] {
    const steps = value.split(/[\s,]+/).filter((step) => step !== '');
    const waits = steps.map((step) => {
        const match = /^(\d{1,6})(s|m|h)$/.exec(step);
        const ms = match === null ? Number.NaN : Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
        if (!(ms >= 1000 && ms <= MAX_RETRY_WAIT_MS)) {
            throw new ConfigError('RELAY_RETRY_SCHEDULE', `"${step}" is not a wait from 1s to 24h (whole seconds, minutes or hours: 5s, 2m, 1h), in "${value}".`);
        }
        return ms;
    });
    if (waits.length === 0) throw new ConfigError('RELAY_RETRY_SCHEDULE', 'names no wait; e.g. "5s,30s,2m,10m,30m,1h".');
    return waits;
}

/** A number of hours, fractions allowed (0.5 is 30 minutes), above 0 and at most `max`; in milliseconds. */
function hoursSetting(env: Environment, name: string, fallback: number, max: number): number {
    const raw = present(env, name);
    if (raw === undefined) return fallback * 3_600_000;
    const hours = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(hours > 0 && hours <= max)) {
        throw new ConfigError(name, `"${raw}" must be a number of hours above 0 and at most ${max} (fractions allowed: 0.5 is 30 minutes).`);
    }
    return Math.round(hours * 3_600_000);
}

/**
 * A queue of the host's own account (`AzureWebJobsStorage`, the connection the app's queue triggers use), named by
 * `setting` (else `fallback`): the relay's retries (`RELAY_QUEUE`) and the delayed call record fetches
 * (`CALL_RECORDS_QUEUE`). What the trigger registers is `%SETTING%` when the setting is given.
 *
 * @example
 * hostQueueSetting({ AzureWebJobsStorage: 'UseDevelopmentStorage=true' }, 'RELAY_QUEUE', 'relay-retries', "the relay's retries", 'the relay keeps its retries')
 * // { kind: 'connectionString', setting: 'AzureWebJobsStorage', ..., queueName: 'relay-retries', binding: 'relay-retries' }
 */
function hostQueueSetting(env: Environment, setting: string, fallback: string, holds: string, why: string): HostQueueConfig {
    const queueName = present(env, setting) ?? fallback;
    if (!QUEUE_NAME.test(queueName)) {
        throw new ConfigError(setting, `"${queueName}" is not a queue name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit).`);
    }
    const host = storageConnection(
        env,
        ['AzureWebJobsStorage'],
        'queue',
        `names no Queue Storage endpoint for ${holds} (QueueEndpoint, or AccountName with EndpointSuffix, or UseDevelopmentStorage=true).`,
    );
    if (host === undefined) {
        throw new ConfigError('AzureWebJobsStorage', `is missing: ${why} on a queue of AzureWebJobsStorage (or AzureWebJobsStorage__queueServiceUri).`);
    }
    const queueBinding = { queueName, binding: present(env, setting) === undefined ? queueName : `%${setting}%` };
    return host.kind === 'connectionString'
        ? { kind: 'connectionString', setting: host.setting, connectionString: host.connectionString, queueEndpoint: host.endpoint, ...queueBinding }
        : { kind: 'identity', setting: host.setting, queueServiceUri: host.serviceUri, credential: host.credential, ...queueBinding };
}

/**
 * The first of `prefixes` that names a storage connection for `service`, as the Functions host reads
 * connections: `<prefix>` as a connection string, or `<prefix>__<service>ServiceUri` reached by identity.
 */
function storageConnection(
    env: Environment,
    prefixes: readonly string[],
    service: 'table' | 'queue' | 'blob',
    notAConnectionString: string,
):
    | { kind: 'connectionString'; setting: string; connectionString: string; endpoint: string }
    | { kind: 'identity'; setting: string; serviceUri: string; credential: StorageCredentialConfig }
    | undefined {
    for (const prefix of prefixes) {
        const connectionString = present(env, prefix);
        if (connectionString !== undefined) {
            const endpoint = serviceEndpointOf(connectionString, service);
            if (endpoint === undefined) throw new ConfigError(prefix, notAConnectionString);
            return { kind: 'connectionString', setting: prefix, connectionString, endpoint };
        }
        const setting = `${prefix}__${service}ServiceUri`;
        const serviceUri = present(env, setting);
        if (serviceUri !== undefined) {
            httpsUrl(setting, serviceUri);
            return { kind: 'identity', setting, serviceUri: serviceUri.replace(/\/+$/, ''), credential: storageCredentialConfig(env, prefix) };
        }
    }
    return undefined;
}

/** Read by the participants API and the CLI as well as the callback, so it is a setting of its own. */
export function participantDetailsSetting(env: Environment): ParticipantDetails {
    const value = (present(env, 'PARTICIPANT_DETAILS') ?? 'full').toLowerCase();
    if (value !== 'full' && value !== 'ids') {
        throw new ConfigError('PARTICIPANT_DETAILS', `"${value}" must be "full" (names and phone numbers kept) or "ids" (ids only: no names, phone numbers masked).`);
    }
    return value;
}

/**
 * `KEEP_ALIVE_MINUTES`: 0 (off) or 1 to 30. Graph ends a call that gets no keepAlive within 45 minutes, and every
 * active call gets one on every run, so an interval of 30 leaves a run 15 minutes to be late; 15 is Graph's advice.
 */
function keepAliveSetting(env: Environment): LifecycleConfig['keepAlive'] {
    const minutes = integerSetting(env, 'KEEP_ALIVE_MINUTES', DEFAULTS.keepAliveMinutes, 0, 30);
    // Every `minutes` minutes on the minute; the timer is registered only when keepAlive is on.
    const expression = `0 */${Math.max(1, minutes)} * * * *`;
    return { minutes, schedule: { expression, binding: expression } };
}

/** NCRONTAB: six fields, `{second} {minute} {hour} {day} {month} {day-of-week}` (the Functions host checks the rest). */
function scheduleSetting(env: Environment, name: string, fallback: string): TimerScheduleConfig {
    const raw = present(env, name);
    const expression = raw ?? fallback;
    const fields = expression.split(/\s+/);
    if (fields.length !== 6 || !fields.every((field) => /^(?:[\d*,/-]|[A-Za-z]{3})+$/.test(field))) {
        throw new ConfigError(name, `"${expression}" is not a six-field NCRONTAB schedule ({second} {minute} {hour} {day} {month} {day-of-week}, e.g. "${fallback}").`);
    }
    return { expression, binding: raw === undefined ? fallback : `%${name}%` };
}

/** True for an authority host that is not one of Microsoft's clouds (a sovereign stand-in or a local one). */
export function isCustomAuthority(authorityHost: string | undefined): boolean {
    return authorityHost !== undefined && !MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname);
}

function present(env: Environment, name: string): string | undefined {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
}

function list(value: string): string[] {
    return value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

/** `true`/`false` in any letter case (App Service writes `True`), or `1`/`0`; absent is false. */
function booleanSetting(env: Environment, name: string): boolean {
    const raw = present(env, name);
    if (raw === undefined) return false;
    const value = raw.toLowerCase();
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new ConfigError(name, `"${raw}" must be true or false.`);
}

function integerSetting(env: Environment, name: string, fallback: number, min: number, max: number): number {
    const raw = present(env, name);
    if (raw === undefined) {
        return fallback;
    }
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
        throw new ConfigError(name, `"${raw}" must be a whole number from ${min} to ${max}.`);
    }
    return Number(raw);
}

/** An https URL, or http on a loopback host (local stand-ins and Azurite). */
function httpsUrl(name: string, value: string): URL {
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        throw new ConfigError(name, `"${value}" is not a URL.`);
    }
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
        throw new ConfigError(name, `"${value}" must use https (plain http is allowed for localhost only).`);
    }
    return url;
}
