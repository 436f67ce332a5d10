// Queue trigger on the relay's retry queue (RELAY_QUEUE on AzureWebJobsStorage): each message carries one call's
// delivery on once its next attempt is due (shared/relay/callRelay.ts). Registered only with the relay on.

import { app, type InvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { parseWakeUp } from '../shared/relay/relayQueue';
import { callRelay } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing requests.
const config = appConfig();

if (config.relay !== undefined) {
    app.storageQueue('relayRetries', {
        queueName: config.relay.queue.binding,
        connection: 'AzureWebJobsStorage',
        handler: retryRelay,
    });
}

export async function retryRelay(message: unknown, context: InvocationContext): Promise<void> {
    const wakeUp = parseWakeUp(message);
    if (wakeUp === undefined) {
        // Not the relay's: retrying it would change nothing, so it is dropped here rather than poisoned five times.
        context.warn(`Dropped a message that is not a relay retry: ${JSON.stringify(message)?.slice(0, 200)}`);
        return;
    }
    const outcome = await callRelay()?.wakeUp(wakeUp, context);
    if (outcome === 'stale') context.log(`Relay of call ${wakeUp.callId}: this retry is no longer the call's (delivered, or carried on by another); dropped.`);
}
