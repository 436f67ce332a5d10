// The identity of a notification for redelivery checks: SHA-256 of its canonical JSON (keys sorted at
// every depth), so the same notification re-serialised by Graph in another key order is still recognised.

import { createHash } from 'node:crypto';

/**
 * @example
 * dedupeKeyOf({ b: 1, a: 2 }) === dedupeKeyOf({ a: 2, b: 1 }) // true
 */
export function dedupeKeyOf(notification: unknown): string {
    return createHash('sha256').update(canonicalJson(notification)).digest('hex');
}

function canonicalJson(value: unknown): string {
    return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(sortKeys);
    }
    if (typeof value === 'object' && value !== null) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
        );
    }
    return value;
}
