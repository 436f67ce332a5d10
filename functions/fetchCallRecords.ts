// Queue trigger on CALL_RECORDS_QUEUE (AzureWebJobsStorage), registered only with CALL_RECORDS=on: each message is one
// delayed fetch of an ended call's record from Graph, made visible when it is due (shared/callRecords/fetchCallRecord.ts).

import { app, type InvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { fetchCallRecord } from '../shared/callRecords/fetchCallRecord';
import { parseFetchMessage } from '../shared/callRecords/fetchSchedule';
import { callRecordFetching } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing runs.
const config = appConfig();

if (config.callRecords !== undefined) {
    app.storageQueue('fetchCallRecords', {
        queueName: config.callRecords.queue.binding,
        connection: 'AzureWebJobsStorage',
        handler: fetchRecord,
    });
}

export async function fetchRecord(message: unknown, context: InvocationContext): Promise<void> {
    const fetch = parseFetchMessage(message);
    const deps = callRecordFetching(context);
    if (fetch === undefined || deps === undefined) {
        // Not a fetch: trying it again would change nothing, so it is dropped here rather than poisoned five times.
        context.warn(`Dropped a message that is not a call record fetch: ${JSON.stringify(message)?.slice(0, 200)}`);
        return;
    }
    const outcome = await fetchCallRecord(fetch, deps);
    const what =
        outcome.kind === 'fetched'
            ? `fetched version ${outcome.version}${outcome.stored ? '' : ' (not newer than the one kept)'}, quality ${outcome.quality ?? 'unknown'}, kept in ${outcome.blob}`
            : outcome.kind === 'pending'
              ? `${outcome.reason} Try ${outcome.nextAttempt} at ${outcome.nextAt.toISOString()}.`
              : `${outcome.kind}: ${outcome.reason}`;
    context.log(`Call record of call ${fetch.callId}, try ${fetch.attempt}: ${what}`);
}
