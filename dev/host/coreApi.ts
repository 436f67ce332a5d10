// The local stand-in for `@azure/functions-core`, the module the Azure Functions Node.js worker injects at
// run time. `@azure/functions` registers its programming model, functions and hooks through it.

import Module from 'node:module';
import path from 'node:path';
import type { FunctionCallback, FunctionMetadata, HookCallback, LogCategory, LogLevel, ProgrammingModel, RpcBindingInfo, RpcFunctionMetadata } from './coreTypes';

const CORE_MODULE_NAME = '@azure/functions-core';

export interface RegisteredFunction {
    metadata: RpcFunctionMetadata & { name: string; functionId: string; bindings: Record<string, RpcBindingInfo> };
    callback: FunctionCallback;
}

/** Same shape as the worker's `Disposable` (the package only calls `dispose`). */
export class Disposable {
    static from(...disposables: { dispose(): unknown }[]): Disposable {
        return new Disposable(() => {
            for (const disposable of disposables) disposable.dispose();
        });
    }

    #callOnDispose: (() => unknown) | undefined;

    constructor(callOnDispose: () => unknown) {
        this.#callOnDispose = callOnDispose;
    }

    dispose(): unknown {
        const callOnDispose = this.#callOnDispose;
        this.#callOnDispose = undefined;
        return callOnDispose?.();
    }
}

/** Everything the app registers while its entry points load, with the worker's rules for when it may. */
export class FunctionAppRegistry {
    readonly functions = new Map<string, RegisteredFunction>();
    /** Shared by every hook of the app. */
    readonly appHookData: Record<string, unknown> = {};
    /** Shared by the appStart and appTerminate hooks only, as in the worker. */
    readonly appLevelOnlyHookData: Record<string, unknown> = {};
    programmingModel: ProgrammingModel | undefined;
    /** The file being loaded, recorded on each function like the worker's `scriptFile`. */
    currentEntryPoint: string | undefined;
    readonly #hooks = new Map<string, HookCallback[]>();
    #registrationLocked = false;

    registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
        if (this.#registrationLocked) {
            throw new Error('A function can only be registered during app startup.');
        }
        const functionId = metadata.functionId || metadata.name;
        if (this.functions.has(functionId)) {
            throw new Error(`A function with id "${functionId}" has already been registered.`);
        }
        this.functions.set(functionId, {
            metadata: {
                ...metadata,
                functionId,
                scriptFile: this.currentEntryPoint ? path.basename(this.currentEntryPoint) : 'unknown',
                directory: this.currentEntryPoint ? path.dirname(this.currentEntryPoint) : null,
                rawBindings: Object.entries(metadata.bindings).map(([name, binding]) => JSON.stringify({ ...binding, name })),
            },
            callback,
        });
        return new Disposable(() => {
            if (this.#registrationLocked) {
                throw new Error('A function can only be disposed during app startup.');
            }
            this.functions.delete(functionId);
        });
    }

    registerHook(hookName: string, callback: HookCallback): Disposable {
        const callbacks = this.#hooks.get(hookName) ?? [];
        callbacks.push(callback);
        this.#hooks.set(hookName, callbacks);
        return new Disposable(() => {
            const index = callbacks.indexOf(callback);
            if (index >= 0) callbacks.splice(index, 1);
        });
    }

    hooks(hookName: string): readonly HookCallback[] {
        return [...(this.#hooks.get(hookName) ?? [])];
    }

    /** Called once the entry points are loaded: from then on the set of functions is fixed, as in Azure. */
    lockRegistrations(): void {
        this.#registrationLocked = true;
    }
}

export type SystemLog = (level: LogLevel, message: string) => void;

/** The object `require('@azure/functions-core')` returns inside the local host. */
export function createCoreApi(registry: FunctionAppRegistry, systemLog: SystemLog, hostVersion: string) {
    return {
        version: hostVersion,
        hostVersion,
        registerFunction: (metadata: FunctionMetadata, callback: FunctionCallback) => registry.registerFunction(metadata, callback),
        registerHook: (hookName: string, callback: HookCallback) => registry.registerHook(hookName, callback),
        setProgrammingModel: (programmingModel: ProgrammingModel) => {
            registry.programmingModel = programmingModel;
        },
        getProgrammingModel: () => registry.programmingModel,
        // Its presence also tells the package the host is recent enough for log hooks and HTTP streams.
        log: (level: LogLevel, _category: LogCategory, message: string) => systemLog(level, message),
        Disposable,
    };
}

/**
 * Makes `require('@azure/functions-core')` return `coreApi` in this process, exactly as the worker does
 * (it wraps `Module.prototype.require` too); every other request resolves as usual.
 */
export function provideCoreModule(coreApi: object): void {
    const prototype = Module.prototype as unknown as { require: (id: string) => unknown };
    prototype.require = new Proxy(prototype.require, {
        apply(target, thisArg: unknown, args: [string]) {
            return args[0] === CORE_MODULE_NAME ? coreApi : Reflect.apply(target, thisArg, args);
        },
    });
}
