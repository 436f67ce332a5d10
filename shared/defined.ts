// Drops undefined properties, so stored rows and JSON answers carry only what is known.

/**
 * @example
 * defined({ a: 1, b: undefined }) // { a: 1 }
 */
export function defined<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
    return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as {
        [K in keyof T]?: Exclude<T[K], undefined>;
    };
}
