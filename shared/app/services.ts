// The process-wide objects the functions share, built once from the configuration on first use:
// one CallStore per process (its write queues and summary cache only work if they are shared; it queues
// the call-ended events and the call record fetches, and with the relay on, every commit claims its
// notifications for the relay), one token verifier (its key cache likewise), one Graph client (its token cache
// and connections too), the call record's queue and blob container, and one relay (it knows which calls this
// process is delivering).

import type { TableClient } from '@azure/data-tables';
import { CallbackTokenVerifier } from '../callback/callbackAuth';
import { CallRecordBlobs } from '../callRecords/callRecordBlobs';
import type { FetchDependencies } from '../callRecords/fetchCallRecord';
import { CallRecordFetchQueue } from '../callRecords/fetchQueue';
import { CallEventsQueue } from '../lifecycle/callEvents';
import type { CallSummary } from '../record/callModel';
import { CallStore } from '../record/callStore';
import { rosterRows } from '../participants/rosterRules';
import { createContainerClient } from '../settings/blobClient';
import { appConfig } from '../settings/config';
import { graphCredential } from '../settings/credentials';
import { GraphCallsClient } from '../graph/graphCalls';
import { createQueueClient } from '../settings/queueClient';
import { createTableClient } from '../settings/tableClient';
import { CallRelay } from '../relay/callRelay';
import { RelayQueue } from '../relay/relayQueue';
import { claimOnCommit } from '../relay/relayRules';
import { randomOwner } from '../relay/relayOwner';

let store: CallStore | undefined;
let verifier: CallbackTokenVerifier | undefined;
let graph: GraphCallsClient | undefined;
let events: CallEventsQueue | undefined;
let recordParts: { queue: CallRecordFetchQueue; blobs: CallRecordBlobs } | undefined;
let relay: CallRelay | undefined;

export function callStore(): CallStore {
    const config = appConfig();
    const queue = callEventsQueue();
    const records = callRecordParts();
    const whenEnded = records === undefined ? undefined : (summary: CallSummary): CallSummary => ({ ...summary, callRecordStatus: 'pending' });
    store ??= new CallStore(createTableClient(config.storage), {
        dedupeWindowSeconds: config.dedupeWindowSeconds,
        derivedRows: rosterRows(config.participantDetails),
        // Told before the write that ended the call is acknowledged: the message and the first fetch are at least once.
        ...(queue === undefined && records === undefined
            ? {}
            : {
                  onCallEnded: async (summary: CallSummary) => {
                      await queue?.publishCallEnded(summary);
                      await records?.queue.scheduleFirst(summary.callId);
                  },
              }),
        ...(whenEnded === undefined ? {} : { whenEnded }),
        // The relay claims the notifications a commit stores in that same transaction (participant notifications too).
        ...(config.relay === undefined ? {} : { extendPlan: (callId, before, planned, stored) => claimOnCommit(callId, before, planned, stored, randomOwner(), new Date()) }),
    });
    return store;
}

/** The relay to the bot, or undefined when `RELAY_URL` is not set. */
export function callRelay(): CallRelay | undefined {
    const { relay: config } = appConfig();
    if (config === undefined) return undefined;
    relay ??= new CallRelay({ config, store: callStore(), queue: new RelayQueue(() => createQueueClient(config.queue)) });
    return relay;
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

/** The blob container of whole call records, when CALL_RECORDS is on (retention deletes from it too). */
export function callRecordBlobs(): CallRecordBlobs | undefined {
    return callRecordParts()?.blobs;
}

/** What a fetch of a call record works with; undefined when CALL_RECORDS is off. */
export function callRecordFetching(log: FetchDependencies['log']): FetchDependencies | undefined {
    const config = appConfig();
    const parts = callRecordParts();
    if (config.callRecords === undefined || parts === undefined) return undefined;
    const queue = callEventsQueue();
    return {
        store: callStore(),
        graph: graphCalls(),
        blobs: parts.blobs,
        queue: parts.queue,
        ...(queue === undefined ? {} : { events: queue }),
        schedule: { delayMinutes: config.callRecords.delayMinutes, giveUpHours: config.callRecords.giveUpHours },
        details: config.participantDetails,
        log,
    };
}

function callEventsQueue(): CallEventsQueue | undefined {
    const { callEvents } = appConfig().lifecycle;
    if (callEvents === undefined) return undefined;
    events ??= new CallEventsQueue(() => createQueueClient(callEvents));
    return events;
}

function callRecordParts(): { queue: CallRecordFetchQueue; blobs: CallRecordBlobs } | undefined {
    const { callRecords } = appConfig();
    if (callRecords === undefined) return undefined;
    recordParts ??= {
        queue: new CallRecordFetchQueue(() => createQueueClient(callRecords.queue), { delayMinutes: callRecords.delayMinutes, giveUpHours: callRecords.giveUpHours }),
        blobs: new CallRecordBlobs(() => createContainerClient(callRecords.blobs)),
    };
    return recordParts;
}
