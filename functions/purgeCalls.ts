// Timer %RETENTION_SCHEDULE%: deletes the ended calls that started more than RETENTION_DAYS ago and the
// old unrouted notifications (SPEC "Call lifecycle"); RETENTION_DAYS=0, the default, keeps everything.

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { purgeCalls } from '../shared/lifecycle/purgeCalls';
import { callRecordBlobs, callTable } from '../shared/app/services';

// Settings are validated when the app loads, so a bad one stops start-up instead of failing runs.
const config = appConfig();
/** Calls per run and a time budget inside the Functions timeout; what is left goes in the next run. */
const MAX_CALLS = 5_000;
const TIME_BUDGET_MS = 4 * 60_000;

app.timer('purgeCalls', {
    schedule: config.lifecycle.retention.schedule.binding,
    handler: purge,
});

export async function purge(_timer: Timer, context: InvocationContext): Promise<void> {
    const { days } = config.lifecycle.retention;
    if (days === 0) {
        context.log('Retention is off (RETENTION_DAYS=0): every call is kept.');
        return;
    }
    const blobs = callRecordBlobs();
    const result = await purgeCalls(callTable(), {
        olderThanDays: days,
        maxCalls: MAX_CALLS,
        timeBudgetMs: TIME_BUDGET_MS,
        trace: context.traceContext,
        ...(blobs === undefined ? {} : { forgetOutsideTable: (callId: string) => blobs.deleteOthers(callId) }),
    });
    const more = result.finished ? '' : ' More is left for the next run.';
    context.log(
        `Purged the ended calls that started before ${result.cutoff.toISOString()} (${days} days): ${result.calls} calls, ` +
            `${result.rows} rows, and ${result.unroutedRows} unrouted notifications.${more}`,
    );
}
