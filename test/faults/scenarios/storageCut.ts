// Storage cut for a while mid-load (every connection to Azurite reset, new ones refused), then restored;
// whatever was refused is delivered again until accepted. A write whose answer was cut off may have been
// committed: its redelivery must be recognised, not stored again.

import { setTimeout as delay } from 'node:timers/promises';
import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { alternating, lifecycleCalls } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 90_000;

export const storageCut: Scenario = {
    id: 'cut',
    name: 'storage cut',
    run(context) {
        const { env } = context;
        const size = context.sizes.cut;
        const random = randomForScenario(context.seed, this.name);
        const notifications = lifecycleCalls('cut', size.calls);
        const deliveries = alternating(random.shuffle(notifications));
        const cutAt = Math.max(1, Math.floor(deliveries.length * size.cutAfter));

        return tracedScenario(this.name, context, { connections: size.concurrency, storageFaults: true }, async ({ ledger, sender, token }) => {
            let outage: Promise<void> | undefined;
            try {
                await sender.deliverAll(ledger, deliveries, {
                    concurrency: size.concurrency,
                    token,
                    onStart: (count) => {
                        if (count !== cutAt) return;
                        env.proxy.cut();
                        outage = delay(size.cutMs).then(() => env.proxy.restore());
                    },
                });
                await outage;
                const refused = deliveries.length - (ledger.tally.byStatus['202'] ?? 0);
                await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
                return [
                    `storage cut for ${size.cutMs} ms at delivery ${cutAt} of ${deliveries.length} (${env.proxy.resets()} connections reset); ${refused} deliveries not accepted`,
                ];
            } finally {
                await outage;
                env.proxy.restore();
            }
        });
    },
};
