// Entra credentials for Graph and for identity-based storage, built from configuration with
// `@azure/identity`. The package is required on first use only: the callback path never needs it.

import type { TokenCredential } from '@azure/identity';
import { isCustomAuthority, type CredentialConfig } from './config';

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
    const { ClientSecretCredential, ManagedIdentityCredential, DefaultAzureCredential } = identity();
    switch (config.kind) {
        case 'clientSecret':
            return new ClientSecretCredential(config.tenantId, config.clientId, config.clientSecret, {
                ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
                // Instance discovery asks login.microsoftonline.com about the authority; a sovereign or local
                // authority is not known there.
                disableInstanceDiscovery: isCustomAuthority(config.authorityHost),
            });
        case 'managedIdentity':
            return config.clientId ? new ManagedIdentityCredential({ clientId: config.clientId }) : new ManagedIdentityCredential();
        case 'default':
            return new DefaultAzureCredential({
                ...(config.tenantId ? { tenantId: config.tenantId } : {}),
                ...(config.clientId ? { managedIdentityClientId: config.clientId } : {}),
                ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
            });
    }
}

/** The credential for an identity-based table connection (`CallHistoryStorage__tableServiceUri`). */
export function storageCredential(clientId: string | undefined): TokenCredential {
    const { DefaultAzureCredential } = identity();
    return new DefaultAzureCredential(clientId ? { managedIdentityClientId: clientId } : {});
}
