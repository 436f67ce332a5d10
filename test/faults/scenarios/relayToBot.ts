// The relay scenarios: the two instances relay every notification they store to the environment's bot
// (FaultEnvironment.setRelay), and the bot misbehaves: down for a minute under load, a 500 for a third of its
// requests, slower than the callback's own attempt may wait; or the instances do: both storing and delivering the
// same calls at once, one killed while the bot holds its requests. Each is read back from the bot's own log
// (relayCheck.ts) as well as from the record (recordCheck.ts).

import { setTimeout as delay } from 'node:timers/promises';
import { RELAY_INLINE_TIMEOUT_MS } from '../faultEnvironment';
import { randomForScenario } from '../prng';
import type { Scenario } from '../scenario';
import { alternating, lifecycleCalls } from '../tracedNotifications';
import { tracedScenario } from '../tracedScenario';

const SETTLE_DEADLINE_MS = 60_000;
/** How long a relay may take to drain once Graph is done: the longest retry wait (5 s) several times over. */
const DRAIN_DEADLINE_MS = 60_000;
const VICTIM = 1;

export const relayBotDown: Scenario = {
    id: 'bot-down',
    name: 'relay: bot down',
    relay: true,
    run(context) {
        const { env } = context;
        const size = context.sizes.relay.down;
        const random = randomForScenario(context.seed, this.name);
        const deliveries = alternating(random.shuffle(lifecycleCalls('relay-down', size.calls)));
        // A share before the outage, most of it spread over the outage, the rest once the bot is back.
        const before = Math.max(1, Math.floor(deliveries.length * size.downAfter));
        const after = Math.max(1, Math.floor(deliveries.length * 0.1));
        const during = deliveries.slice(before, deliveries.length - after);
        const chunks = 10;

        return tracedScenario(this.name, context, { connections: size.concurrency, relayDrainMs: DRAIN_DEADLINE_MS }, async ({ ledger, sender, token }) => {
            const options = { concurrency: size.concurrency, token };
            await sender.deliverAll(ledger, deliveries.slice(0, before), options);
            const acceptedBefore = env.bot.requests.length;
            await env.bot.down();
            const downAt = Date.now();
            for (let i = 0; i < chunks; i++) {
                const chunk = during.slice(Math.floor((during.length * i) / chunks), Math.floor((during.length * (i + 1)) / chunks));
                await sender.deliverAll(ledger, chunk, options);
                await delay(Math.max(0, downAt + (size.downMs * (i + 1)) / chunks - Date.now()));
            }
            await env.bot.up();
            const downSeconds = (Date.now() - downAt) / 1000;
            await sender.deliverAll(ledger, deliveries.slice(deliveries.length - after), options);
            await sender.redeliverUntilSettled(ledger, { ...options, deadlineMs: SETTLE_DEADLINE_MS });
            return [
                `${size.calls} calls, ${deliveries.length} notifications, ${size.concurrency} in flight: ${before} before the bot went down ` +
                    `(${acceptedBefore} requests to it), ${during.length} spread over the ${downSeconds.toFixed(1)} s it was down, ${after} after`,
            ];
        });
    },
};

export const relayBotErrors: Scenario = {
    id: 'bot-errors',
    name: 'relay: bot answers 500',
    relay: true,
    run(context) {
        const { env } = context;
        const size = context.sizes.relay.errors;
        const random = randomForScenario(context.seed, this.name);
        const deliveries = alternating(random.shuffle(lifecycleCalls('relay-errors', size.calls)));

        return tracedScenario(this.name, context, { connections: size.concurrency, relayDrainMs: DRAIN_DEADLINE_MS }, async ({ ledger, sender, token }) => {
            env.bot.answer(() => (random.chance(size.share) ? { status: 500, body: 'the bot is having a bad day' } : { status: 200 }));
            await sender.deliverAll(ledger, deliveries, { concurrency: size.concurrency, token });
            await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            return [
                `${size.calls} calls, ${deliveries.length} notifications, ${size.concurrency} in flight; the bot answers 500 to ${Math.round(size.share * 100)}% of its requests`,
            ];
        });
    },
};

export const relaySlowBot: Scenario = {
    id: 'bot-slow',
    name: 'relay: bot slower than the inline attempt',
    relay: true,
    run(context) {
        const { env } = context;
        const size = context.sizes.relay.slow;
        const random = randomForScenario(context.seed, this.name);
        const deliveries = alternating(random.shuffle(lifecycleCalls('relay-slow', size.calls)));
        const answerMs = RELAY_INLINE_TIMEOUT_MS + size.overMs;

        return tracedScenario(this.name, context, { connections: size.concurrency, relayDrainMs: DRAIN_DEADLINE_MS }, async ({ ledger, sender, token }) => {
            env.bot.answer(() => ({ status: 200, delayMs: answerMs }));
            await sender.deliverAll(ledger, deliveries, { concurrency: size.concurrency, token });
            await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            return [
                `${size.calls} calls, ${deliveries.length} notifications, ${size.concurrency} in flight; the bot answers every request after ${answerMs} ms, ` +
                    `the callback's own attempt waits ${RELAY_INLINE_TIMEOUT_MS} ms`,
            ];
        });
    },
};

export const relayTwoInstances: Scenario = {
    id: 'relay-twice',
    name: 'relay: both instances on the same calls',
    relay: true,
    run(context) {
        const { env } = context;
        const size = context.sizes.relay.twice;
        const random = randomForScenario(context.seed, this.name);
        // Each notification to both instances, side by side, so both store it and relay it at the same moment.
        const deliveries = random.shuffle(lifecycleCalls('relay-twice', size.calls)).flatMap((notification) => [
            { notification, instance: 0 },
            { notification, instance: 1 },
        ]);

        return tracedScenario(this.name, context, { connections: size.concurrency, relayDrainMs: DRAIN_DEADLINE_MS }, async ({ ledger, sender, token }) => {
            env.bot.answer(() => ({ status: 200, delayMs: random.int(0, 20) }));
            await sender.deliverAll(ledger, deliveries, { concurrency: size.concurrency, token });
            await sender.redeliverUntilSettled(ledger, { concurrency: size.concurrency, token, deadlineMs: SETTLE_DEADLINE_MS });
            return [
                `${size.calls} calls, every notification to both instances at once (${deliveries.length} deliveries), ${size.concurrency} in flight; the bot answers in 0-20 ms`,
            ];
        });
    },
};

export const relayInstanceKill: Scenario = {
    id: 'relay-kill',
    name: 'relay: instance killed mid-delivery',
    relay: true,
    run(context) {
        const { env } = context;
        const size = context.sizes.relay.kill;
        const random = randomForScenario(context.seed, this.name);
        const notifications = lifecycleCalls('relay-kill', size.calls);
        const deliveries = alternating(random.shuffle(notifications));
        const killAt = Math.max(1, Math.floor(deliveries.length * size.killAfter));

        return tracedScenario(this.name, context, { connections: size.concurrency, relayDrainMs: DRAIN_DEADLINE_MS }, async ({ ledger, sender, token }) => {
            // The bot holds every request, and fails one in five, so retry messages are running too when the kill comes.
            env.bot.answer(() => (random.chance(0.2) ? { status: 503, delayMs: size.holdMs } : { status: 200, delayMs: size.holdMs }));
            let killed: Promise<void> | undefined;
            let killedAt = 0;
            await sender.deliverAll(ledger, deliveries, {
                concurrency: size.concurrency,
                token,
                onStart: (count) => {
                    if (count !== killAt) return;
                    killedAt = Date.now();
                    killed = env.kill(VICTIM);
                },
            });
            await killed;
            const heldAtKill = env.bot.requests.filter((request) => request.at < killedAt && (request.answeredAt === 0 || request.answeredAt > killedAt)).length;
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
                `instance ${VICTIM} killed at delivery ${killAt} of ${deliveries.length}, the bot holding ${heldAtKill} requests (each ${size.holdMs} ms, ` +
                    `one in five answered 503); ${unanswered} deliveries from Graph unanswered before its restart`,
                `then everything once more (${notifications.length}); ${stillUnsettled.length} left unsettled before that`,
            ];
        });
    },
};
