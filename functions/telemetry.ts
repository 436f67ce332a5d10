// Not a function: the app's telemetry, started while the app loads (every file here is an entry point), when the
// settings ask for it (docs/operations.md). With Application Insights it also does what
// @azure/functions-opentelemetry-instrumentation does: tells the Functions host that the worker sends its own logs
// (so the host does not send them a second time) and sends them, in the trace the host started for their invocation.
// Done here rather than through that package: it hooks require() for the whole process as soon as it is constructed,
// even disabled, and makes the invocation's trace the active context, which needs AsyncLocalStorage (telemetry.ts
// says what that costs); the functions pass their invocation's trace context to the spans they make instead.

import { app, type PostInvocationContext } from '@azure/functions';
import { appConfig } from '../shared/settings/config';
import { METRICS } from '../shared/telemetry/catalogue';
import { startTelemetry } from '../shared/telemetry/startTelemetry';
import { record } from '../shared/telemetry/telemetry';

const telemetry = startTelemetry(appConfig().telemetry, (line) => process.stdout.write(`${line}\n`));

if (telemetry !== undefined) {
    const { sendLog } = telemetry;
    if (sendLog !== undefined) {
        app.setup({ capabilities: { WorkerOpenTelemetryEnabled: true } });
        app.hook.log((context) => sendLog(context.level, context.message, context.invocationContext?.traceContext));
    }
    app.hook.postInvocation(countFailure);
    // The last interval's metrics and the spans not yet sent go out before the worker stops.
    app.hook.appTerminate(() => telemetry.shutdown());
}

/** An invocation that threw, or answered 500: a defect, since every expected failure has an answer of its own. */
function countFailure(context: PostInvocationContext): void {
    const result = context.result as { status?: unknown } | null | undefined;
    if ((context.error !== null && context.error !== undefined) || result?.status === 500) {
        record(METRICS.functionFailures, { function: context.invocationContext.functionName });
    }
}
