// One instance killed with SIGKILL mid-load (whatever it had in flight is cut off, committed or not),
// restarted; then everything left unanswered is delivered again until accepted, then everything once more.

import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { alternating, lifecycleCalls } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 60_000;
const VICTIM = 1;

export const instanceKill: Scenario = {
    id: 'kill',
    name: 'instance killed',
    run(context) {
        const { env } = context;
        const size = context.sizes.kill;
        const random = randomForScenario(context.seed, this.name);
        const notifications = lifecycleCalls('kill', size.calls);
        const deliveries = alternating(random.shuffle(notifications));
        const killAt = Math.max(1, Math.floor(deliveries.length * size.killAfter));

        return tracedScenario(this.name, context, { connections: size.concurrency }, async ({ ledger, sender, token }) => {
            let killed: Promise<void> | undefined;
            await sender.deliverAll(ledger, deliveries, {
                concurrency: size.concurrency,
                token,
                onStart: (count) => {
                    if (count === killAt) killed = env.kill(VICTIM);
                },
            });
            await killed;
            const unanswered = ledger.tally.byStatus.none ?? 0;
            await env.restart(VICTIM);
            const stillUnsettled = await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            // Once more, everything: each is a redelivery now, to either instance.
            await sender.deliverAll(
                ledger,
                notifications.map((notification) => ({ notification })),
                { concurrency: size.concurrency, token },
            );
            return [
                `instance ${VICTIM} killed at delivery ${killAt} of ${deliveries.length}; ${unanswered} deliveries unanswered before its restart`,
                `then everything once more (${notifications.length}); ${stillUnsettled.length} left unsettled before that`,
            ];
        });
    },
};
