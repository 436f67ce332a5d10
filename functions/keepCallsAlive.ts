// Timer every KEEP_ALIVE_MINUTES (registered only when it is not 0): sends Graph's keepAlive for every active call,
// so Graph never ends a call of a serverless bot for want of one (SPEC "keepAlive"); closes those Graph no longer has.

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { keepCallsAlive } from '../shared/lifecycle/keepCallsAlive';
import { callStore, graphCalls } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing runs.
const config = appConfig();
/** keepAlives per run, and a time budget well inside the Functions timeout; what is left goes first next run. */
const MAX_CALLS = 5_000;
const TIME_BUDGET_MS = 4 * 60_000;

if (config.lifecycle.keepAlive.minutes > 0) {
    app.timer('keepCallsAlive', {
        schedule: config.lifecycle.keepAlive.schedule.binding,
        handler: keepAlive,
    });
}

export async function keepAlive(timer: Timer, context: InvocationContext): Promise<void> {
    const store = callStore();
    const result = await keepCallsAlive(
        { table: store.table, store, graph: graphCalls(), log: context, trace: context.traceContext },
        { maxCalls: MAX_CALLS, timeBudgetMs: TIME_BUDGET_MS },
    );
    const late = timer.isPastDue ? ' (this run was past due)' : '';
    context.log(
        `Kept calls alive${late}: ${result.active} active calls, ${result.sent} keepAlives sent: ${result.keptAlive} kept alive, ` +
            `${result.closed} closed (Graph had no such call), ${result.deferred} deferred to the next run; ${result.mended} ended calls put right outside their partition.`,
    );
    if (result.refused !== undefined) {
        // The run stopped; failing the invocation makes it show as failed in the logs.
        throw new Error(result.refused);
    }
}
