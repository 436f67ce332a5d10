// The simulator's public URLs, derived from its origin: what the app's settings point at.

import { callbackOpenIdConfigurationUrl } from './callbackSigner';
import type { SimulatorSettings } from './context';
import { SIMULATOR_DEFAULTS, SIMULATOR_PATHS } from './defaults';
import { authorityUrl, tokenEndpoint } from './entra';

export interface SimulatorEndpoints {
    /** `https://localhost:PORT`. */
    url: string;
    /** `AZURE_AUTHORITY_HOST` for the app (MSAL adds the tenant). */
    authorityHost: string;
    /** `https://localhost:PORT/{tenant}`. */
    authority: string;
    tenantOpenIdConfigurationUrl: string;
    tokenEndpoint: string;
    /** `GRAPH_BASE_URL` for the app. */
    graphBaseUrl: string;
    /** `CALLBACK_OPENID_CONFIGURATION` for the app. */
    callbackOpenIdConfigurationUrl: string;
    callbackJwksUrl: string;
    controlUrl: string;
    /** `APPLICATIONINSIGHTS_CONNECTION_STRING` for the app: the simulator's ingestion endpoint (Entra tokens only). */
    applicationInsightsConnectionString: string;
}

export function simulatorEndpoints(settings: SimulatorSettings): SimulatorEndpoints {
    return {
        url: settings.url,
        authorityHost: settings.url,
        authority: authorityUrl(settings),
        tenantOpenIdConfigurationUrl: `${authorityUrl(settings)}/v2.0/.well-known/openid-configuration`,
        tokenEndpoint: tokenEndpoint(settings),
        graphBaseUrl: `${settings.url}${SIMULATOR_PATHS.graphV1}`,
        callbackOpenIdConfigurationUrl: callbackOpenIdConfigurationUrl(settings),
        callbackJwksUrl: `${settings.url}${SIMULATOR_PATHS.callbackKeys}`,
        controlUrl: `${settings.url}${SIMULATOR_PATHS.control}`,
        applicationInsightsConnectionString: `InstrumentationKey=${SIMULATOR_DEFAULTS.instrumentationKey};IngestionEndpoint=${settings.url}/`,
    };
}
