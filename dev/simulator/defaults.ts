// The simulator's local identities and addresses, in one place so `npm start`, the tests and the app's local
// settings are wired from the same values. None of these ids exist in any real tenant.

export const SIMULATOR_DEFAULTS = {
    port: 7443,
    tenantId: '11111111-1111-4111-8111-111111111111',
    clientId: '22222222-2222-4222-8222-222222222222',
    clientSecret: 'local-simulator-secret',
    /** The bot's app id (`aud` of callback tokens); a calling bot usually authenticates to Graph as itself. */
    botAppId: '22222222-2222-4222-8222-222222222222',
    /** Where `npm start` keeps the simulator's CA and server certificate (git-ignored). */
    tlsFolder: '.simulator/tls',
    graphScope: 'https://graph.microsoft.com/.default',
    graphAudience: 'https://graph.microsoft.com',
    /** Application permissions a calling bot holds; written into the access token's `roles`. */
    graphRoles: ['Calls.Initiate.All', 'Calls.AccessMedia.All', 'Calls.JoinGroupCall.All', 'CallRecords.Read.All'],
    /** The instrumentation key of the simulated Application Insights component (`InstrumentationKey=` of its connection string). */
    instrumentationKey: '33333333-3333-4333-8333-333333333333',
    callbackIssuer: 'https://api.botframework.com',
    callbackTokenLifetimeMinutes: 10,
    accessTokenLifetimeSeconds: 3600,
    /** Graph gives a bot 15 seconds to answer, reject or redirect an incoming call (call: answer). */
    ringTimeoutMs: 15_000,
} as const;

/** Paths on the simulator's origin; the Entra ones mirror login.microsoftonline.com, the signer's api.aps.skype.com. */
export const SIMULATOR_PATHS = {
    callbackOpenIdConfiguration: '/botframework/.well-known/openidconfiguration',
    callbackKeys: '/botframework/keys',
    graphV1: '/v1.0',
    control: '/_control',
} as const;
