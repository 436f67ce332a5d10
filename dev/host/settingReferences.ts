// `%SETTING%` references in binding properties (a timer's schedule, a queue's name), replaced by the settings'
// values as the Functions host's name resolver does: once, so a value that is itself a reference is not looked up.

/** A reference cannot be resolved; the message says why, without the function's name (the caller adds it). */
export class SettingReferenceError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'SettingReferenceError';
    }
}

/**
 * Replaces every `%NAME%` with the setting's value, as the host's name resolver does for binding expressions.
 *
 * @example
 * resolveSettingReferences('%RECONCILE_SCHEDULE%', { RECONCILE_SCHEDULE: '0 *\/5 * * * *' }) // '0 *\/5 * * * *'
 */
export function resolveSettingReferences(text: string, settings: Readonly<Record<string, string | undefined>>): string {
    return text.replace(/%([^%]*)%?/g, (reference, name: string) => {
        if (!reference.endsWith('%') || reference.length < 2) {
            throw new SettingReferenceError(`The '%' in "${text}" has no closing '%'.`);
        }
        if (name === '') throw new SettingReferenceError(`"${text}" has an empty %% reference.`);
        const value = settings[name];
        if (value === undefined) {
            throw new SettingReferenceError(`'%${name}%' does not resolve to a value: the setting ${name} is not set (local.settings.json "Values" or the environment).`);
        }
        return value;
    });
}
