// The tokens that name who carries a call's relay on (relayRules.ts): random, short, and never reused.

import { randomBytes } from 'node:crypto';

/** A token for a new owner of a call's relay. */
export function randomOwner(): string {
    return randomBytes(9).toString('base64url');
}
