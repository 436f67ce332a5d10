// What a call id may look like. Ids go into Graph URLs and table keys, so anything else is refused early.

import { BadRequestError } from './errors';

/** Graph call ids are GUIDs or similar tokens; this admits them and nothing that could change a path or a filter. */
export const CALL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isValidCallId(value: string | undefined | null): boolean {
    return typeof value === 'string' && CALL_ID_PATTERN.test(value);
}

/**
 * Returns the id when it is valid, otherwise throws a 400 that explains the rule.
 *
 * @example
 * const callId = requireCallId(request.params.callId);
 */
export function requireCallId(value: string | undefined | null): string {
    if (typeof value === 'string' && isValidCallId(value)) {
        return value;
    }
    const shown = value === undefined || value === null || value === '' ? 'an empty call id' : `call id ${JSON.stringify(value.slice(0, 140))}`;
    throw new BadRequestError(`Refused ${shown}: a call id is 1 to 128 characters, letters, digits, '.', '_' or '-', starting with a letter or digit.`);
}
