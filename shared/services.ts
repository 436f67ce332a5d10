// The process-wide objects the functions share, built once from the configuration on first use:
// one CallStore per process (its write queues and summary cache only work if they are shared) and one
// token verifier (its key cache likewise).

import { CallbackTokenVerifier } from './callbackAuth';
import { CallStore } from './callStore';
import { appConfig } from './config';
import { createTableClient } from './tableClient';

let store: CallStore | undefined;
let verifier: CallbackTokenVerifier | undefined;

export function callStore(): CallStore {
    const config = appConfig();
    store ??= new CallStore(createTableClient(config.storage), { dedupeWindowSeconds: config.dedupeWindowSeconds });
    return store;
}

export function callbackVerifier(): CallbackTokenVerifier {
    verifier ??= new CallbackTokenVerifier(appConfig().callbackAuth);
    return verifier;
}
