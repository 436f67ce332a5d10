// Timer %RECONCILE_SCHEDULE%: closes in the record the calls Graph forgot to end, and brings the others'
// state up to date (SPEC "Call lifecycle"). One run at a time per host; two hosts overlapping stay exact.

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { reconcileCalls } from '../shared/lifecycle/reconcileCalls';
import { callRelay, callStore, graphCalls } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing runs.
const config = appConfig();
/** Well inside the Functions timeout (10 minutes on Flex Consumption by default), so a run always ends on its own. */
const TIME_BUDGET_MS = 4 * 60_000;

app.timer('reconcileCalls', {
    schedule: config.lifecycle.reconcile.schedule.binding,
    handler: reconcile,
});

export async function reconcile(timer: Timer, context: InvocationContext): Promise<void> {
    const { afterMinutes, maxCalls } = config.lifecycle.reconcile;
    const store = callStore();
    const relay = callRelay();
    const result = await reconcileCalls(
        { table: store.table, store, graph: graphCalls(), log: context, trace: context.traceContext, ...(relay === undefined ? {} : { relay }) },
        { afterMinutes, maxCalls, timeBudgetMs: TIME_BUDGET_MS },
    );
    const late = timer.isPastDue ? ' (this run was past due)' : '';
    context.log(
        `Reconciled${late}: ${result.active} active calls, ${result.due} quiet for ${afterMinutes} min, ${result.checked} checked with Graph: ` +
            `${result.closed} closed (Graph had no such call), ${result.changed} changed, ${result.unchanged} unchanged, ${result.deferred} deferred to the next run; ${result.mended} ended calls put right outside their partition (index rows, call-ended event).`,
    );
    if (result.refused !== undefined) {
        // The run stopped without changing anything; failing the invocation makes it show as failed in the logs.
        throw new Error(result.refused);
    }
}
