// The one test for "a JSON object" (not null, not an array), shared by every parser of untrusted JSON.

/**
 * @example
 * isObject({ a: 1 }) // true
 * isObject([1]) // false
 */
export function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
