// The app roles of the Entra registration (SPEC "Who may do what"): their values as they arrive in a token's
// `roles` claim, and what each allows. infra/sign-in/app-roles.json declares the same values for Entra.

export const APP_ROLES = {
    /** List, view, history, participants, events: everything that reads. */
    read: 'CallRecord.Read',
    /** Everything Read allows, plus hang-up and relay replay. */
    operate: 'CallRecord.Operate',
} as const;

export type AppRole = (typeof APP_ROLES)[keyof typeof APP_ROLES];

/** Each role with the roles it includes: Operate includes Read, so an operator needs one assignment, not two. */
const INCLUDED: Record<AppRole, readonly AppRole[]> = {
    [APP_ROLES.read]: [APP_ROLES.read],
    [APP_ROLES.operate]: [APP_ROLES.operate, APP_ROLES.read],
};

/**
 * The app roles a principal's role claims amount to (values this app does not know are left out).
 *
 * @example
 * effectiveRoles(['CallRecord.Operate']) // ['CallRecord.Operate', 'CallRecord.Read']
 */
export function effectiveRoles(claimed: Iterable<string>): AppRole[] {
    const roles = new Set<AppRole>();
    for (const value of claimed) {
        for (const included of INCLUDED[value as AppRole] ?? []) roles.add(included);
    }
    return Object.values(APP_ROLES).filter((role) => roles.has(role));
}
