// The callback's signing keys: the OpenID configuration CALLBACK_OPENID_CONFIGURATION names and the keys (JWKS)
// it points to, fetched the way the app's verifier fetches them. Without them every callback is answered 503.

import { CallbackSigningKeys } from '../callback/callbackKeys';
import { CHECK_TIMEOUT_MS, firstLine, withSettings, type DoctorCheck } from './doctorCheck';

export const signingKeysCheck: DoctorCheck = {
    id: 'signing-keys',
    title: "the callback tokens' signing keys",
    run: (context) =>
        withSettings(context, async ({ callbackAuth }) => {
            if (!callbackAuth.enabled) return { status: 'skip', detail: 'The callback checks no token (CALLBACK_AUTH=disabled).' };
            const where = callbackAuth.openIdConfigurationUrl;
            try {
                await new CallbackSigningKeys(where, { keyFetchTimeoutMs: CHECK_TIMEOUT_MS }).keys();
            } catch (err) {
                return {
                    status: 'fail',
                    detail: firstLine(err),
                    action: "Until they load, every callback is answered 503 and Graph delivers again, then gives up. Check CALLBACK_OPENID_CONFIGURATION (the default is Graph's own) and that the app can reach it (outbound network, proxy).",
                };
            }
            return { status: 'ok', detail: `The OpenID configuration at ${where} names signing keys that load.` };
        }),
};
