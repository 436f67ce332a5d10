// Redelivery storm: every call's notifications each delivered several times, shuffled, many in flight,
// alternating between the two instances, as Graph redelivers after slow answers.

import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { alternating, CALL_LIFECYCLE, lifecycleCalls } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 60_000;

export const redeliveryStorm: Scenario = {
    id: 'storm',
    name: 'redelivery storm',
    run(context) {
        const size = context.sizes.storm;
        const random = randomForScenario(context.seed, this.name);
        const notifications = lifecycleCalls('storm', size.calls);
        const copies = notifications.flatMap((notification) => Array.from({ length: size.deliveriesEach }, () => notification));
        const deliveries = alternating(random.shuffle(copies));

        return tracedScenario(this.name, context, { connections: size.concurrency }, async ({ ledger, sender, token }) => {
            context.env.proxy.setLatency(size.storageLatencyMs);
            try {
                await sender.deliverAll(ledger, deliveries, { concurrency: size.concurrency, token });
                await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            } finally {
                context.env.proxy.setLatency(0);
            }
            return [
                `${size.calls} calls x ${CALL_LIFECYCLE.length} notifications x ${size.deliveriesEach} deliveries, ${size.concurrency} in flight, ` +
                    `storage latency 0-${size.storageLatencyMs} ms`,
            ];
        });
    },
};
