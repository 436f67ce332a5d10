// What every part of the simulator shares for its lifetime: its settings, keys, state and callback sender.

import type { CallbackDelivery } from './callbackDelivery';
import type { SigningKey } from './signingKeys';
import type { SimulatorState } from './state';

export interface SimulatorSettings {
    /** `https://localhost:PORT`, no trailing slash. */
    url: string;
    port: number;
    tenantId: string;
    clientId: string;
    clientSecret: string;
    botAppId: string;
    /** Object id of the app's service principal: `oid`/`sub` of access tokens. */
    servicePrincipalId: string;
    /** How long an incoming call rings before Graph ends it as not answered (Graph: 15 s); tests make it short. */
    ringTimeoutMs: number;
}

export interface SimulatorKeys {
    /** Signs Entra access tokens; published at the tenant's `jwks_uri`. */
    entra: SigningKey;
    /** Signs callback tokens; published at the callback signer's JWKS. */
    callback: SigningKey;
    /** Published nowhere: signs callback tokens under the `signWithWrongKey` fault. */
    rogue: SigningKey;
}

export interface SimulatorContext {
    readonly settings: SimulatorSettings;
    readonly keys: SimulatorKeys;
    readonly state: SimulatorState;
    readonly deliveries: CallbackDelivery;
    log(line: string): void;
}
