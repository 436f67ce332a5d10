// Entra credentials for Graph and for identity-based storage, built from configuration with
// `@azure/identity`. The package is required on first use only: the callback path never needs it.
// Graph and storage are kept apart on purpose: the bot's client secret is for Graph alone.

import type { TokenCredential } from '@azure/identity';
import { isCustomAuthority, type CredentialConfig, type StorageCredentialConfig } from './config';

type Identity = typeof import('@azure/identity');

function identity(): Identity {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@azure/identity') as Identity;
}

/**
 * The credential for Graph's app-only token: a client secret when one is configured, the app's managed
 * identity in Azure, otherwise `DefaultAzureCredential` (environment, workload identity, Azure CLI, ...).
 */
export function graphCredential(config: CredentialConfig): TokenCredential {
    const { ClientSecretCredential, DefaultAzureCredential } = identity();
    switch (config.kind) {
        case 'clientSecret':
            return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
                ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
                // Instance discovery asks login.microsoftonline.com about the authority; a sovereign or local
                // authority is not known there.
                disableInstanceDiscovery: isCustomAuthority(config.authorityHost),
            });
        case 'managedIdentity':
            return managedIdentity(config.clientId);
        case 'default':
            return new DefaultAzureCredential({
                ...(config.tenantId ? { tenantId: config.tenantId } : {}),
                ...(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
                ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
            });
    }
}

/**
 * The credential for storage reached by identity (the call record's table, the call-events queue): the app's
 * managed identity in Azure, the developer's Azure CLI, Azure Developer CLI or Azure PowerShell login elsewhere.
 * Not DefaultAzureCredential: its chain starts with the environment, where AZURE_CLIENT_SECRET is the Graph
 * app's secret, and would sign storage requests as the bot's app registration instead.
 *
 * @example
 * new TableClient(tableServiceUri, tableName, storageCredential(storage.credential));
 */
export function storageCredential(config: StorageCredentialConfig): TokenCredential {
    const { ChainedTokenCredential, AzureCliCredential, AzureDeveloperCliCredential, AzurePowerShellCredential } = identity();
    switch (config.kind) {
        case 'managedIdentity':
            return managedIdentity(config.clientId);
        case 'developer':
            return new ChainedTokenCredential(new AzureCliCredential(), new AzureDeveloperCliCredential(), new AzurePowerShellCredential());
    }
}

/**
 * The credential that signs the telemetry in to Application Insights, whose ingestion takes Entra tokens only when
 * local auth is off: the same identities as storage reached by identity, for the same reason (never the Graph secret).
 */
export function monitorCredential(config: StorageCredentialConfig): TokenCredential {
    return storageCredential(config);
}

/** The user-assigned managed identity named by `clientId`, or the system-assigned one. */
function managedIdentity(clientId: string | undefined): TokenCredential {
    const { ManagedIdentityCredential } = identity();
    return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
}
