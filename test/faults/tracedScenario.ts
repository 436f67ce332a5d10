// What the scenarios with traced notifications share: a ledger and a sender playing Graph, a token as Graph
// sends it, and at the end the table read back and compared with the ledger (recordCheck.ts). Every
// token these scenarios send is valid, so any 401 is a forbidden answer, and a notification lost.

import { DeliveryLedger, GraphSender } from './graphSender';
import { checkTracedCalls, FailureLog, type RecordCheckOptions } from './recordCheck';
import { checkRelay } from './relayCheck';
import { scenarioResult, type ScenarioContext, type ScenarioResult } from './scenario';

export interface TracedRun {
    ledger: DeliveryLedger;
    sender: GraphSender;
    /** A valid token with the signer's current key. */
    token: string;
}

export interface TracedScenarioOptions extends RecordCheckOptions {
    /** Connections per instance the sender may open. */
    connections: number;
    /** The relay is on: how long its backlog may take to drain once Graph is done, before the bot's log is read back (relayCheck.ts). */
    relayDrainMs?: number;
}

/**
 * @example
 * return tracedScenario(this.name, context, { connections: 32 }, async ({ ledger, sender, token }) => {
 *     await sender.deliverAll(ledger, deliveries, { concurrency: 32, token });
 *     return ['what happened'];
 * });
 */
export async function tracedScenario(
    name: string,
    context: ScenarioContext,
    options: TracedScenarioOptions,
    deliver: (run: TracedRun) => Promise<string[]>,
): Promise<ScenarioResult> {
    const started = Date.now();
    const ledger = new DeliveryLedger();
    const sender = new GraphSender(context.env, options.connections);
    let notes: string[];
    try {
        notes = await deliver({ ledger, sender, token: await context.env.token() });
    } finally {
        sender.close();
    }
    const relay = options.relayDrainMs === undefined ? undefined : await checkRelay(context.env.table, context.env.bot, ledger, { deadlineMs: options.relayDrainMs });
    const check = await checkTracedCalls(context.env.table, ledger, options);
    const refused = ledger.refusedAsUnauthorized();
    const failures = new FailureLog();
    for (const notification of refused) failures.add('401 for a validly signed notification', notification.id);
    return scenarioResult(name, context, ledger.tally, started, {
        ...check,
        forbiddenAnswers: refused.length,
        failures: [...check.failures, ...failures.lines(), ...(relay?.failures ?? [])],
        notes: [...notes, ...(relay?.notes ?? [])],
        ...(relay === undefined
            ? {}
            : {
                  relay: {
                      requests: relay.requests,
                      repeats: relay.repeats,
                      undelivered: relay.undelivered,
                      outOfOrder: relay.outOfOrder,
                      undrained: relay.undrained,
                      drainSeconds: relay.drainSeconds,
                  },
              }),
    });
}
