// The Storage queues settings of host.json (`extensions.queues`), with the defaults and limits of the queues
// extension (v5, QueuesOptions): how many messages a function takes at once, how often an empty queue is polled,
// when a failed message is tried again and when it goes to the poison queue, and how message text is encoded.

import os from 'node:os';
import { HostStartupError } from './errors';
import { hostSetting, type HostJson, type HostSetting } from './hostJson';

export interface QueuesOptions {
    /** Messages received at once, 1-32 (default 16). */
    batchSize: number;
    /** The listener fetches the next batch once no more than this many are still running (default batchSize/2 per core). */
    newBatchThreshold: number;
    /** Tries before a message goes to `<queue>-poison` (default 5). */
    maxDequeueCount: number;
    /** How long a message whose function failed stays invisible before it is tried again (default 0). */
    visibilityTimeoutMs: number;
    /** The longest wait between polls of an empty queue (default 1 minute, at least 100 ms). */
    maxPollingIntervalMs: number;
    /** `base64` (the default): message text is base64 of the UTF-8 bytes; `none`: the text itself. */
    messageEncoding: 'base64' | 'none';
    /**
     * How long a message being processed stays invisible, renewed at half of it while its function runs: how long a
     * message whose host died stays lost. Fixed at 10 minutes in Azure; the local-only setting LOCAL_HOST_QUEUE_LEASE
     * shortens it for tests that kill hosts.
     */
    leaseMs: number;
}

/** The extension's shortest polling interval: the first poll after a message, and the floor of maxPollingInterval. */
export const MIN_POLLING_INTERVAL_MS = 100;
const MAX_BATCH_SIZE = 32;
/** The extension's lease of a message being processed (QueueListener: 10 minutes). */
export const AZURE_LEASE_MS = 600_000;
/** The local-only setting that shortens it. */
export const LEASE_SETTING = 'LOCAL_HOST_QUEUE_LEASE';

/**
 * @example
 * readQueuesOptions(readHostJson(appDir), process.env) // { batchSize: 16, maxDequeueCount: 5, visibilityTimeoutMs: 0, ... }
 */
export function readQueuesOptions(hostJson: HostJson, settings: Readonly<Record<string, string | undefined>>, processors = os.availableParallelism()): QueuesOptions {
    const setting = (name: string) => hostSetting(hostJson, settings, ['extensions', 'queues', name]);
    const batchSize = integerOf(setting('batchSize'), 16, 1, MAX_BATCH_SIZE);
    const threshold = setting('newBatchThreshold');
    return {
        batchSize,
        newBatchThreshold: threshold === undefined ? Math.floor(batchSize / 2) * processors : integerOf(threshold, 0, 0, Number.MAX_SAFE_INTEGER),
        maxDequeueCount: integerOf(setting('maxDequeueCount'), 5, 1, Number.MAX_SAFE_INTEGER),
        visibilityTimeoutMs: timeSpanOf(setting('visibilityTimeout'), 0, 0),
        maxPollingIntervalMs: timeSpanOf(setting('maxPollingInterval'), 60_000, MIN_POLLING_INTERVAL_MS),
        messageEncoding: encodingOf(setting('messageEncoding')),
        leaseMs: timeSpanOf(leaseSetting(settings), AZURE_LEASE_MS, 1000),
    };
}

function leaseSetting(settings: Readonly<Record<string, string | undefined>>): HostSetting | undefined {
    const value = settings[LEASE_SETTING];
    return value === undefined || value === '' ? undefined : { value, source: `the app setting ${LEASE_SETTING}` };
}

function integerOf(setting: HostSetting | undefined, fallback: number, min: number, max: number): number {
    if (setting === undefined) return fallback;
    const value = typeof setting.value === 'string' && /^\s*\d+\s*$/.test(setting.value) ? Number(setting.value) : setting.value;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
        throw new HostStartupError(`${setting.source} must be a whole number ${range}, not ${JSON.stringify(setting.value)}.`);
    }
    return value;
}

/**
 * A .NET TimeSpan as host.json writes it, `[d.]hh:mm[:ss[.fffffff]]` (`"00:00:30"`), in milliseconds.
 *
 * @example
 * parseTimeSpan('00:01:30.5') // 90500
 */
export function parseTimeSpan(text: string): number | undefined {
    const match = /^\s*(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(text);
    if (match === null) return undefined;
    const [, days = '0', hours = '0', minutes = '0', seconds = '0', fraction = ''] = match;
    if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return undefined;
    const ms = Number(`0.${fraction || '0'}`) * 1000;
    return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Number(seconds) * 1000 + Math.round(ms);
}

function timeSpanOf(setting: HostSetting | undefined, fallbackMs: number, minMs: number): number {
    if (setting === undefined) return fallbackMs;
    const ms = typeof setting.value === 'string' ? parseTimeSpan(setting.value) : undefined;
    if (ms === undefined || ms < minMs) {
        const floor = minMs > 0 ? `, at least ${minMs} ms` : '';
        throw new HostStartupError(`${setting.source} must be a time span "hh:mm:ss" (e.g. "00:00:30")${floor}, not ${JSON.stringify(setting.value)}.`);
    }
    return ms;
}

function encodingOf(setting: HostSetting | undefined): 'base64' | 'none' {
    if (setting === undefined) return 'base64';
    const value = typeof setting.value === 'string' ? setting.value.trim().toLowerCase() : undefined;
    if (value !== 'base64' && value !== 'none') {
        throw new HostStartupError(`${setting.source} must be "base64" or "none", not ${JSON.stringify(setting.value)}.`);
    }
    return value;
}
