// The doctor's first checks: the settings the app would load (the same reader, so the same words when one is
// wrong), and the callback's token check being on, with what it expects of a token.

import { ConfigError } from '../errors';
import { loadConfig, type CredentialConfig, type StorageCredentialConfig } from '../settings/config';
import type { DoctorCheck } from './doctorCheck';

export const settingsCheck: DoctorCheck = {
    id: 'settings',
    title: 'the settings the app loads',
    async run(context) {
        try {
            context.config ??= loadConfig(context.env ?? {});
        } catch (err) {
            if (!(err instanceof ConfigError)) throw err;
            return { status: 'fail', detail: err.message, action: `Fix ${err.setting} (docs/settings.md says what each setting takes); the app refuses to start until then.` };
        }
        const { storage, graph, lifecycle } = context.config;
        const table = storage.kind === 'connectionString' ? `${storage.tableEndpoint} (${storage.setting})` : `${storage.tableServiceUri} (${storage.setting})`;
        const events = lifecycle.callEvents === undefined ? 'call-ended events off' : `call-ended events on queue ${lifecycle.callEvents.queueName}`;
        return {
            status: 'ok',
            detail: `They load: table ${storage.tableName} at ${table}, Graph ${graph.baseUrl} as ${graphSignIn(graph.credential)}, ${events}.`,
        };
    },
};

export const callbackAuthCheck: DoctorCheck = {
    id: 'callback-auth',
    title: "the callback's token check",
    async run(context) {
        const auth = context.config?.callbackAuth;
        if (auth === undefined) return { status: 'skip', detail: 'The settings do not load (see above).' };
        if (!auth.enabled) {
            return {
                status: 'fail',
                detail: 'CALLBACK_AUTH is disabled: anyone who finds the callback URL can write to the record.',
                action: 'Set CALLBACK_AUTH=enabled (disabled is for local debugging; the app refuses it in Azure).',
            };
        }
        const tenants = auth.allowedTenantIds === null ? 'any tenant' : `tenants ${[...auth.allowedTenantIds].join(', ')}`;
        return { status: 'ok', detail: `On: a callback needs a token for ${auth.audience} (BOT_APP_ID), issued by ${auth.issuers.join(' or ')}, for ${tenants}.` };
    },
};

/** Who the app signs in to Graph as, in words, without the secret. */
function graphSignIn(credential: CredentialConfig): string {
    switch (credential.kind) {
        case 'clientSecret':
            return `app ${credential.clientId} with its client secret (tenant ${credential.tenantId})`;
        case 'managedIdentity':
            return credential.clientId === undefined ? 'the system-assigned managed identity' : `the managed identity ${credential.clientId}`;
        case 'default':
            return 'DefaultAzureCredential (the environment, then your Azure CLI or azd login)';
    }
}

/** Who storage and Application Insights are reached as, in words. */
export function identitySignIn(credential: StorageCredentialConfig): string {
    return credential.kind === 'developer'
        ? 'your Azure CLI, azd or Azure PowerShell login'
        : credential.clientId === undefined
          ? 'the system-assigned managed identity'
          : `the managed identity ${credential.clientId}`;
}
