// The process-wide objects the functions share, built once from the configuration on first use:
// one CallStore per process (its write queues and summary cache only work if they are shared; it queues
// the call-ended events), one token verifier (its key cache likewise) and one Graph client (its token
// cache and connections too).

import type { TableClient } from '@azure/data-tables';
import { CallbackTokenVerifier } from '../callback/callbackAuth';
import { CallEventsQueue } from '../lifecycle/callEvents';
import type { CallSummary } from '../record/callModel';
import { CallStore } from '../record/callStore';
import { rosterRows } from '../participants/rosterRules';
import { appConfig } from '../settings/config';
import { graphCredential } from '../settings/credentials';
import { GraphCallsClient } from '../graph/graphCalls';
import { createQueueClient } from '../settings/queueClient';
import { createTableClient } from '../settings/tableClient';

let store: CallStore | undefined;
let verifier: CallbackTokenVerifier | undefined;
let graph: GraphCallsClient | undefined;

export function callStore(): CallStore {
    const config = appConfig();
    const { callEvents } = config.lifecycle;
    const events = callEvents === undefined ? undefined : new CallEventsQueue(() => createQueueClient(callEvents));
    store ??= new CallStore(createTableClient(config.storage), {
        dedupeWindowSeconds: config.dedupeWindowSeconds,
        derivedRows: rosterRows(config.participantDetails),
        ...(events === undefined ? {} : { onCallEnded: (summary: CallSummary) => events.publishCallEnded(summary) }),
    });
    return store;
}

/** The call record's table for reads: the store's own client, so one process keeps one connection pool. */
export function callTable(): TableClient {
    return callStore().table;
}

export function callbackVerifier(): CallbackTokenVerifier {
    verifier ??= new CallbackTokenVerifier(appConfig().callbackAuth);
    return verifier;
}

/** Built on the first hang-up: `@azure/identity` is loaded then, not when the app starts. */
export function graphCalls(): GraphCallsClient {
    const config = appConfig();
    graph ??= new GraphCallsClient(config.graph, graphCredential(config.graph.credential));
    return graph;
}
