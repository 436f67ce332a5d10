// Log lines in the style of Azure Functions Core Tools (`[ISO time] message` on stdout), so a local run
// reads like `func start` and tests can find invocations by function name and invocation id.

import type { LogLevel } from './coreTypes';

const LEVEL_NAMES: Record<LogLevel, string> = {
    trace: 'Trace',
    debug: 'Debug',
    information: 'Information',
    warning: 'Warning',
    error: 'Error',
    critical: 'Critical',
    none: 'None',
};

export function logLine(message: string): void {
    process.stdout.write(`[${new Date().toISOString()}] ${message}\n`);
}

/** A line the app wrote through `context.log`/`warn`/... or the package wrote about one invocation. */
export function logInvocationMessage(functionName: string, invocationId: string, level: LogLevel, message: string): void {
    logLine(`[${LEVEL_NAMES[level]}] Functions.${functionName} (Id=${invocationId}): ${message}`);
}

/** A line the package wrote outside any invocation (`coreApi.log`); debug chatter stays out of the way. */
export function logSystemMessage(level: LogLevel, message: string): void {
    if (level === 'trace' || level === 'debug' || level === 'none') return;
    logLine(`[${LEVEL_NAMES[level]}] ${message}`);
}

/** The reason the host gives for an invocation it was asked for: an HTTP request, or the admin API. */
export const HOST_CALL_REASON = 'This function was programmatically called via the host APIs.';

export function logExecuting(functionName: string, invocationId: string, reason: string): void {
    logLine(`Executing 'Functions.${functionName}' (Reason='${reason}', Id=${invocationId})`);
}

/** What made a trigger fire off its usual course (`UnscheduledInvocationReason: IsPastDue, ...`). */
export function logTriggerDetails(details: Readonly<Record<string, string>>): void {
    const entries = Object.entries(details);
    if (entries.length > 0) logLine(`Trigger Details: ${entries.map(([key, value]) => `${key}: ${value}`).join(', ')}`);
}

export function logExecuted(functionName: string, invocationId: string, succeeded: boolean, durationMs: number): void {
    const outcome = succeeded ? 'Succeeded' : 'Failed';
    logLine(`Executed 'Functions.${functionName}' (${outcome}, Id=${invocationId}, Duration=${Math.round(durationMs)}ms)`);
}
