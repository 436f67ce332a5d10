// The signer of callback tokens, standing in for api.aps.skype.com: its OpenID configuration, its JWKS, and the
// RS256 bearer token put on every notification the simulator delivers.

import type { SimulatorContext, SimulatorSettings } from './context';
import { SIMULATOR_DEFAULTS, SIMULATOR_PATHS } from './defaults';
import { sendJson, type Exchange } from './http';
import { jwks, signJwt } from './signingKeys';

/** Answers the signer's two documents; false for any other request. */
export function handleCallbackSigner(ctx: SimulatorContext, ex: Exchange): boolean {
    if (ex.method !== 'GET') {
        return false;
    }
    // The real signer serves .../OpenIdConfiguration in any letter case.
    const path = ex.url.pathname.toLowerCase();
    if (path === SIMULATOR_PATHS.callbackOpenIdConfiguration) {
        sendJson(ex.res, 200, callbackOpenIdConfiguration(ctx.settings));
        return true;
    }
    if (path === SIMULATOR_PATHS.callbackKeys) {
        sendJson(ex.res, 200, jwks(ctx.keys.callback));
        return true;
    }
    return false;
}

export function callbackOpenIdConfigurationUrl(settings: SimulatorSettings): string {
    return `${settings.url}${SIMULATOR_PATHS.callbackOpenIdConfiguration}`;
}

/** Shaped like https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration. */
function callbackOpenIdConfiguration(settings: SimulatorSettings): Record<string, unknown> {
    return {
        issuer: SIMULATOR_DEFAULTS.callbackIssuer,
        authorization_endpoint: 'https://invalid.botframework.com/',
        jwks_uri: `${settings.url}${SIMULATOR_PATHS.callbackKeys}`,
        // Sic: the real document says "RSA256" while its tokens say RS256; a verifier must not rely on this list.
        id_token_signing_alg_values_supported: ['RSA256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
    };
}

/** The bearer token for one callback POST; under `signWithWrongKey` it is signed by a key the JWKS lacks. */
export function signCallbackToken(ctx: SimulatorContext): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const key = ctx.state.faults.signWithWrongKey ? ctx.keys.rogue : ctx.keys.callback;
    return signJwt(key, {
        iss: SIMULATOR_DEFAULTS.callbackIssuer,
        aud: ctx.settings.botAppId,
        tid: ctx.settings.tenantId,
        iat: now,
        nbf: now,
        exp: now + SIMULATOR_DEFAULTS.callbackTokenLifetimeMinutes * 60,
    });
}
