// The simulator's side of a local run, as log lines: Graph requests, tokens and callbacks with the app's
// answers, so the terminal running `npm start` shows the whole exchange and not only the app's half.

import type { DeliveryRecord, GraphRequestRecord, RunningSimulator } from '../simulator';

const POLL_MS = 100;

/**
 * Logs each finished Graph request and callback delivery once, in the order the simulator recorded them.
 * Returns a function that stops it.
 *
 * @example
 * const stop = followSimulatorActivity(sim, (line) => console.log(`[simulator] ${line}`));
 */
export function followSimulatorActivity(sim: RunningSimulator, log: (line: string) => void): () => void {
    let graphSeen = 0;
    let deliveriesSeen = 0;
    let tokensSeen = 0;
    const poll = (): void => {
        const stats = sim.stats();
        // A reset through the control API empties the lists; start over with them.
        if (stats.graphRequests.length < graphSeen || stats.deliveries.length < deliveriesSeen) {
            graphSeen = deliveriesSeen = tokensSeen = 0;
        }
        if (stats.tokensIssued > tokensSeen) {
            log(`Entra issued ${stats.tokensIssued - tokensSeen === 1 ? 'a Graph token' : `${stats.tokensIssued - tokensSeen} Graph tokens`} (client credentials)`);
            tokensSeen = stats.tokensIssued;
        }
        for (; graphSeen < stats.graphRequests.length; graphSeen++) {
            const request = stats.graphRequests[graphSeen];
            if (request === undefined || request.status === null) break;
            log(describeGraphRequest(request));
        }
        for (; deliveriesSeen < stats.deliveries.length; deliveriesSeen++) {
            const delivery = stats.deliveries[deliveriesSeen];
            if (delivery === undefined || (delivery.status === null && delivery.error === undefined && delivery.dropped !== true)) break;
            log(describeDelivery(delivery));
        }
    };
    const timer = setInterval(poll, POLL_MS);
    timer.unref();
    return () => clearInterval(timer);
}

function describeGraphRequest(request: GraphRequestRecord): string {
    const token = request.authorization === 'valid' ? '' : ` (bearer token ${request.authorization})`;
    return `Graph ${request.method} ${request.path} -> ${request.status}${token}`;
}

function describeDelivery(delivery: DeliveryRecord): string {
    const what = `${delivery.changeType} ${delivery.state ?? delivery.resourceUrl}`;
    if (delivery.dropped === true) return `callback ${what} for call ${delivery.callId} dropped, as the call was told (never sent)`;
    const copy = delivery.copy > 1 ? ' (redelivered)' : '';
    const outcome = delivery.status !== null ? String(delivery.status) : `failed: ${delivery.error ?? 'no answer'}`;
    return `callback ${what}${copy} for call ${delivery.callId} -> ${outcome}`;
}
