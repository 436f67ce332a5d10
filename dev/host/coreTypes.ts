// The part of the `@azure/functions-core` contract (the module the Azure Functions Node.js worker
// provides at run time) that the local host implements. Mirrors the worker's `types-core/index.d.ts`.

export type LogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical' | 'none';
export type LogCategory = 'user' | 'system' | 'customMetric';

/** One binding as `@azure/functions` registers it; trigger options (route, methods, authLevel) ride along. */
export interface RpcBindingInfo {
    type?: string | null;
    direction?: 'in' | 'out' | 'inout' | null;
    [option: string]: unknown;
}

export interface FunctionMetadata {
    name: string;
    functionId?: string;
    bindings: Record<string, RpcBindingInfo>;
    retryOptions?: unknown;
}

export type FunctionCallback = (...args: unknown[]) => unknown;
// Each hook name has its own context type, and the package passes callbacks typed for it.
// biome-ignore lint/suspicious/noExplicitAny: each hook's callback takes its own context type, so only `any` accepts them all
export type HookCallback = (context: any) => unknown;

export interface RpcNullableString {
    value?: string | null;
}

export interface RpcHttpCookie {
    name?: string | null;
    value?: string | null;
    domain?: RpcNullableString | null;
    path?: RpcNullableString | null;
    expires?: { value?: { seconds?: number | null } | null } | null;
    secure?: { value?: boolean | null } | null;
    httpOnly?: { value?: boolean | null } | null;
    sameSite?: 'none' | 'lax' | 'strict' | 'explicitNone' | null;
    maxAge?: { value?: number | null } | null;
}

export interface RpcHttpData {
    method?: string | null;
    url?: string | null;
    headers?: Record<string, string> | null;
    nullableHeaders?: Record<string, RpcNullableString> | null;
    query?: Record<string, string> | null;
    nullableQuery?: Record<string, RpcNullableString> | null;
    params?: Record<string, string> | null;
    nullableParams?: Record<string, RpcNullableString> | null;
    body?: RpcTypedData | null;
    statusCode?: string | null;
    cookies?: RpcHttpCookie[] | null;
    enableContentNegotiation?: boolean | null;
}

export interface RpcTypedData {
    string?: string | null;
    json?: string | null;
    bytes?: Uint8Array | null;
    stream?: Uint8Array | null;
    http?: RpcHttpData | null;
}

interface RpcParameterBinding {
    name?: string | null;
    data?: RpcTypedData | null;
}

export interface RpcTraceContext {
    traceParent?: string | null;
    traceState?: string | null;
    attributes?: Record<string, string> | null;
}

interface RpcInvocationRequest {
    invocationId?: string | null;
    functionId?: string | null;
    inputData?: RpcParameterBinding[] | null;
    triggerMetadata?: Record<string, RpcTypedData> | null;
    traceContext?: RpcTraceContext | null;
}

export interface RpcInvocationResponse {
    invocationId?: string | null;
    outputData?: RpcParameterBinding[] | null;
    returnValue?: RpcTypedData | null;
}

export interface RpcFunctionMetadata {
    name?: string | null;
    functionId?: string | null;
    directory?: string | null;
    scriptFile?: string | null;
    bindings?: Record<string, RpcBindingInfo> | null;
    rawBindings?: string[] | null;
    retryOptions?: unknown;
}

export type InvocationState = 'preInvocationHooks' | 'postInvocationHooks' | 'invocation';

export interface CoreInvocationContext {
    invocationId: string;
    request: RpcInvocationRequest;
    metadata: RpcFunctionMetadata;
    state?: InvocationState;
    log(level: LogLevel, category: LogCategory, message: string): void;
}

interface InvocationArguments {
    context: unknown;
    inputs: unknown[];
}

interface InvocationModel {
    getArguments(): Promise<InvocationArguments>;
    invokeFunction(context: unknown, inputs: unknown[], callback: FunctionCallback): Promise<unknown>;
    getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

type WorkerCapabilities = Record<string, string>;

export interface ProgrammingModel {
    name: string;
    version: string;
    getInvocationModel(coreContext: CoreInvocationContext): InvocationModel | Promise<InvocationModel>;
    getCapabilities?(defaultCapabilities: WorkerCapabilities): WorkerCapabilities | Promise<WorkerCapabilities>;
}
