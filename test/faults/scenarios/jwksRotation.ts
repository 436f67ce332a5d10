// JWKS down during a key rotation: Graph starts signing with a new key while the key set answers 503,
// then the key set recovers. A notification refused with 401 is lost (Graph does not redeliver a 401);
// one refused with a 5xx is delivered again until accepted.

import { describeAnswers, type Delivery } from '../graphSender';
import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { lifecycleCalls } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 60_000;

export const jwksRotation: Scenario = {
    id: 'jwks',
    name: 'JWKS down during rotation',
    run(context) {
        const { env } = context;
        const size = context.sizes.jwks;
        const random = randomForScenario(context.seed, this.name);
        const deliveries: Delivery[] = random.shuffle(lifecycleCalls('jwks', size.calls)).map((notification) => ({ notification }));
        const third = Math.ceil(deliveries.length / 3);
        const [before, during, after] = [deliveries.slice(0, third), deliveries.slice(third, 2 * third), deliveries.slice(2 * third)];
        const options = { concurrency: size.concurrency };

        return tracedScenario(this.name, context, { connections: size.concurrency }, async ({ ledger, sender, token }) => {
            const fetchesAtStart = env.issuer.jwksFetches();
            try {
                // Both instances learn the current key.
                await sender.deliverAll(ledger, before, { ...options, token });
                env.issuer.setJwksAnswer({ status: 503 });
                const newToken = await env.token(await env.issuer.rotate({ keepOld: true }));
                const beforeOutage = ledger.tally.snapshot();
                await sender.deliverAll(ledger, during, { ...options, token: newToken });
                const outageAnswers = describeAnswers(ledger.tally.since(beforeOutage));
                env.issuer.setJwksAnswer('ok');
                const afterOutage = ledger.tally.snapshot();
                await sender.deliverAll(ledger, after, { ...options, token: newToken });
                await sender.redeliverUntilSettled(ledger, { ...options, token: newToken, deadlineMs: SETTLE_DEADLINE_MS });
                return [
                    `${during.length} notifications signed with a new kid while the JWKS answered 503: ${outageAnswers}`,
                    `after the JWKS recovered, ${after.length} more and the redeliveries: ${describeAnswers(ledger.tally.since(afterOutage))}`,
                    `JWKS fetched ${env.issuer.jwksFetches() - fetchesAtStart} times`,
                ];
            } finally {
                env.issuer.setJwksAnswer('ok');
            }
        });
    },
};
