// Runs one invocation the way the Node.js worker does: the package's programming model builds the trigger's value
// and the context, hooks run around the handler, and the package turns the result into the RPC response.

import { performance } from 'node:perf_hooks';
import type { FunctionAppRegistry, RegisteredFunction } from './coreApi';
import type { CoreInvocationContext, InvocationState, LogCategory, LogLevel, RpcHttpData, RpcInvocationResponse, RpcBindingInfo, RpcTraceContext, RpcTypedData } from './coreTypes';
import { logExecuted, logExecuting, logInvocationMessage, logTriggerDetails } from './hostLog';

export interface FunctionInvocation {
    invocationId: string;
    /** Why it runs, as the `Executing` line says (`Timer fired at ...`, or the host-call reason). */
    reason: string;
    /** The trigger binding's value: `{http}` for a request, `{json}` for a timer, `{string}` for a queue message or an admin call. */
    triggerData: RpcTypedData;
    /** The trigger's binding data (a queue message's `DequeueCount`, `Id`, ...), which the package camel-cases into `context.triggerMetadata`. */
    triggerMetadata?: Record<string, RpcTypedData>;
    traceContext: RpcTraceContext;
    /** Logged after `Executing` when not empty (`UnscheduledInvocationReason: RunOnStartup`). */
    triggerDetails?: Readonly<Record<string, string>>;
}

export type InvocationOutcome = { succeeded: true; response: RpcInvocationResponse } | { succeeded: false };

type HookData = Record<string, unknown>;

/** Invokes `fn`, logging `Executing`/`Executed` lines like Core Tools; never throws. */
export async function invokeFunction(registry: FunctionAppRegistry, fn: RegisteredFunction, invocation: FunctionInvocation): Promise<InvocationOutcome> {
    const name = fn.metadata.name;
    const started = performance.now();
    logExecuting(name, invocation.invocationId, invocation.reason);
    logTriggerDetails(invocation.triggerDetails ?? {});
    try {
        const response = await runThroughProgrammingModel(registry, fn, invocation);
        logExecuted(name, invocation.invocationId, true, performance.now() - started);
        return { succeeded: true, response };
    } catch (error) {
        logExecuted(name, invocation.invocationId, false, performance.now() - started);
        const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
        logInvocationMessage(name, invocation.invocationId, 'error', `Exception while executing function: Functions.${name}. ${detail}`);
        return { succeeded: false };
    }
}

async function runThroughProgrammingModel(registry: FunctionAppRegistry, fn: RegisteredFunction, invocation: FunctionInvocation): Promise<RpcInvocationResponse> {
    const model = registry.programmingModel;
    if (model === undefined) {
        throw new Error('No programming model was registered; is "@azure/functions" installed?');
    }
    const hookData: HookData = {};
    const logScope: { invocationContext?: unknown } = {};
    const coreContext: CoreInvocationContext = {
        invocationId: invocation.invocationId,
        request: {
            invocationId: invocation.invocationId,
            functionId: fn.metadata.functionId,
            inputData: [{ name: triggerBindingName(fn), data: invocation.triggerData }],
            ...(invocation.triggerMetadata === undefined ? {} : { triggerMetadata: invocation.triggerMetadata }),
            traceContext: invocation.traceContext,
        },
        metadata: fn.metadata,
        log: (level, category, message) => writeInvocationLog(registry, fn.metadata.name, invocation.invocationId, { hookData, ...logScope }, level, category, message),
    };

    const invocationModel = await model.getInvocationModel(coreContext);
    const { context, inputs } = await invocationModel.getArguments();
    logScope.invocationContext = context;

    const preInvocation = {
        get hookData() {
            return hookData;
        },
        get appHookData() {
            return registry.appHookData;
        },
        get invocationContext() {
            return context;
        },
        inputs,
        functionCallback: fn.callback,
    };
    await runInvocationHooks(registry, 'preInvocation', preInvocation, coreContext, 'preInvocationHooks');

    const postInvocation = {
        get hookData() {
            return hookData;
        },
        get appHookData() {
            return registry.appHookData;
        },
        get invocationContext() {
            return context;
        },
        inputs: preInvocation.inputs,
        result: null as unknown,
        error: null as unknown,
    };
    coreContext.state = 'invocation';
    try {
        postInvocation.result = await invocationModel.invokeFunction(context, preInvocation.inputs, preInvocation.functionCallback);
    } catch (err) {
        postInvocation.error = err;
    } finally {
        coreContext.state = undefined;
    }
    await runInvocationHooks(registry, 'postInvocation', postInvocation, coreContext, 'postInvocationHooks');
    if (postInvocation.error !== null && postInvocation.error !== undefined) {
        throw postInvocation.error;
    }
    return invocationModel.getResponse(context, postInvocation.result);
}

async function runInvocationHooks(registry: FunctionAppRegistry, hookName: string, hookContext: object, coreContext: CoreInvocationContext, state: InvocationState): Promise<void> {
    coreContext.state = state;
    try {
        for (const hook of registry.hooks(hookName)) {
            await hook(hookContext);
        }
    } finally {
        coreContext.state = undefined;
    }
}

/** User logs pass through the app's `log` hooks first, which may change their level and message. */
function writeInvocationLog(
    registry: FunctionAppRegistry,
    functionName: string,
    invocationId: string,
    scope: { hookData: HookData; invocationContext?: unknown },
    level: LogLevel,
    category: LogCategory,
    message: string,
): void {
    const logHooks = registry.hooks('log');
    if (logHooks.length > 0) {
        const logContext = { ...scope, appHookData: registry.appHookData, category, level, message };
        for (const hook of logHooks) hook(logContext);
        if (category === 'user') {
            level = logContext.level;
            message = logContext.message;
        }
    }
    if (category === 'system' && (level === 'debug' || level === 'trace')) return;
    logInvocationMessage(functionName, invocationId, level, message);
}

function triggerBindingName(fn: RegisteredFunction): string {
    const [name] = Object.entries(fn.metadata.bindings).find(([, binding]) => binding === triggerOf(fn)) ?? [];
    if (name === undefined) {
        throw new Error(`Function "${fn.metadata.name}" has no trigger.`);
    }
    return name;
}

/** The function's trigger binding: the input binding whose type ends in "Trigger", as the package decides. */
export function triggerOf(fn: RegisteredFunction): RpcBindingInfo | undefined {
    return Object.values(fn.metadata.bindings).find((binding) => binding.direction === 'in' && /trigger$/i.test(binding.type ?? ''));
}

/** The function's HTTP output: the `$return` binding's value, or a named `http` output binding's. */
export function httpOutputOf(fn: RegisteredFunction, response: RpcInvocationResponse): RpcHttpData | undefined {
    const [name] = Object.entries(fn.metadata.bindings).find(([, b]) => b.direction === 'out' && b.type?.toLowerCase() === 'http') ?? [];
    if (name === undefined) return undefined;
    const data = name === '$return' ? response.returnValue : response.outputData?.find((output) => output.name === name)?.data;
    return data?.http ?? undefined;
}
