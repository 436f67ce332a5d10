// Hot calls: each notification delivered to both instances at the same moment, and that twice, while the
// other notifications of the same few calls are in flight too: many writers on each partition, from two
// processes, with the same notification racing itself. Storage answers late (the proxy holds requests
// back at random), as Table Storage does, so concurrent reads and writes reach it in any order.

import { benchCallIds } from '../../../bench/notificationBodies';
import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { longCall, tracedCall, type TracedNotification } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 60_000;

export const hotCalls: Scenario = {
    id: 'hot',
    name: 'hot calls',
    run(context) {
        const size = context.sizes.hot;
        const random = randomForScenario(context.seed, this.name);
        const calls = benchCallIds('hot', size.calls).map((callId) => tracedCall(callId, longCall(size.notifications)));
        // A few calls at a time, their notifications shuffled among them, so each partition has many writers at once.
        const pairs: TracedNotification[] = [];
        for (let i = 0; i < calls.length; i += size.callsAtOnce) {
            const group = calls.slice(i, i + size.callsAtOnce).flat();
            pairs.push(...random.shuffle(group.flatMap((notification) => Array.from({ length: size.rounds }, () => notification))));
        }

        return tracedScenario(this.name, context, { connections: size.pairsInFlight * 2 }, async ({ ledger, sender, token }) => {
            ledger.add(calls.flat());
            context.env.proxy.setLatency(size.storageLatencyMs);
            try {
                let next = 0;
                const worker = async () => {
                    while (next < pairs.length) {
                        const notification = pairs[next++]!;
                        await Promise.all([0, 1].map((instance) => sender.deliver(ledger, { notification, instance }, token)));
                    }
                };
                await Promise.all(Array.from({ length: size.pairsInFlight }, worker));
                await sender.redeliverUntilSettled(ledger, { concurrency: size.pairsInFlight, token, deadlineMs: SETTLE_DEADLINE_MS });
            } finally {
                context.env.proxy.setLatency(0);
            }
            return [
                `${size.calls} calls x ${size.notifications} notifications, each to both instances at once, ${size.rounds} times; ` +
                    `${size.callsAtOnce} calls at a time, ${size.pairsInFlight} pairs in flight, storage latency 0-${size.storageLatencyMs} ms`,
            ];
        });
    },
};
