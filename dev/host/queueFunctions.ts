// The app's Storage-queue-triggered functions, read from the bindings `app.storageQueue(...)` registered: the queue
// name with its `%SETTING%` references resolved and checked as the queues extension does, and the connection the
// binding names (`connection`, default `AzureWebJobsStorage`) read from the app settings.

import { serviceEndpointOf } from '../../shared/settings/connectionString';
import type { RegisteredFunction } from './coreApi';
import { HostStartupError } from './errors';
import { triggerOf } from './invocation';
import { resolveSettingReferences, SettingReferenceError } from './settingReferences';

export interface QueueFunction {
    fn: RegisteredFunction;
    name: string;
    /** Resolved and lower-cased, as the extension uses it. */
    queueName: string;
    /** As registered, e.g. `%RELAY_QUEUE%`. */
    declaredQueueName: string;
    /** The setting that holds the connection string. */
    connectionSetting: string;
    connectionString: string;
}

const DEFAULT_CONNECTION = 'AzureWebJobsStorage';
/** Storage's rule for queue names: 3-63 lower-case letters, digits and single hyphens, a letter or digit at each end. */
const QUEUE_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

function isQueueFunction(fn: RegisteredFunction): boolean {
    return triggerOf(fn)?.type?.toLowerCase() === 'queuetrigger';
}

/**
 * @param settings the app settings (the process environment once local.settings.json is applied)
 * @throws HostStartupError naming the function when its queue name or connection cannot be used
 */
export function queueFunctionsOf(functions: Iterable<RegisteredFunction>, settings: Readonly<Record<string, string | undefined>>): QueueFunction[] {
    const queues: QueueFunction[] = [];
    for (const fn of functions) {
        if (!isQueueFunction(fn)) continue;
        const name = fn.metadata.name;
        const binding = triggerOf(fn) ?? {};
        const declared = binding.queueName;
        if (typeof declared !== 'string' || declared.trim() === '') {
            throw new HostStartupError(`Function "${name}": its queue trigger has no queueName.`);
        }
        let queueName: string;
        try {
            // The extension lower-cases the name before it checks it (QueueTriggerAttributeBindingProvider).
            queueName = resolveSettingReferences(declared, settings).trim().toLowerCase();
        } catch (err) {
            if (!(err instanceof SettingReferenceError)) throw err;
            throw new HostStartupError(`Function "${name}": its queue name ${JSON.stringify(declared)} cannot be used: ${err.message}`);
        }
        if (!QUEUE_NAME.test(queueName)) {
            throw new HostStartupError(
                `Function "${name}": "${queueName}" is not a valid queue name (3-63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit).`,
            );
        }
        const { connectionSetting, connectionString } = connectionOf(name, binding.connection, settings);
        queues.push({ fn, name, queueName, declaredQueueName: declared, connectionSetting, connectionString });
    }
    return queues;
}

function connectionOf(functionName: string, declared: unknown, settings: Readonly<Record<string, string | undefined>>): { connectionSetting: string; connectionString: string } {
    const connectionSetting = typeof declared === 'string' && declared.trim() !== '' ? declared.trim() : DEFAULT_CONNECTION;
    // The host also looks the name up with the AzureWebJobs prefix (a binding may say "Storage" for "AzureWebJobsStorage").
    const candidates = [connectionSetting, `AzureWebJobs${connectionSetting}`];
    for (const candidate of candidates) {
        const connectionString = settings[candidate]?.trim();
        if (connectionString) {
            if (serviceEndpointOf(connectionString, 'queue') === undefined) {
                throw new HostStartupError(`Function "${functionName}": the setting ${candidate} is not a Storage connection string with a queue endpoint.`);
            }
            return { connectionSetting: candidate, connectionString };
        }
        const identity = ['queueServiceUri', 'serviceUri', 'accountName'].find((part) => settings[`${candidate}__${part}`]?.trim());
        if (identity !== undefined) {
            throw new HostStartupError(
                `Function "${functionName}": ${candidate}__${identity} is an identity-based connection, which the local host does not support for queue triggers; set ${candidate} to a connection string (Azurite's, for example), or use Core Tools.`,
            );
        }
    }
    throw new HostStartupError(
        `Function "${functionName}": Storage account connection string '${connectionSetting}' does not exist. Make sure that it is a defined App Setting (local.settings.json "Values" or the environment).`,
    );
}
