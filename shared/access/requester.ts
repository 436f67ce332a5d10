// Who asked for a hang-up or a replay, as the call's history keeps it: taken from the trusted principal (or
// the function key that let the request in), never from anything the request body says about itself.

/** A person, an application, or whoever holds the function key (functionKey mode cannot tell them apart). */
export type Requester = { kind: 'user'; id: string; name?: string } | { kind: 'application'; id: string; name?: string } | { kind: 'functionKey' };

/** Someone at the `calls` command line, which reaches the storage with its own credentials: named by account@machine. */
export interface CommandLineRequester {
    kind: 'commandLine';
    id: string;
}

type RequesterKind = Requester['kind'] | CommandLineRequester['kind'];

/** The request's caller in functionKey mode: the Functions host checked a key, which names no one. */
export const FUNCTION_KEY_REQUESTER: Requester = { kind: 'functionKey' };

/** The longest reason a person may give (the history's column holds more; a reason is a sentence, not a report). */
export const MAX_REASON_LENGTH = 500;

/** What a history event records about who asked (docs/table-layout.md): the requester's columns and the reason. */
export interface RequestAudit {
    requestedByKind: RequesterKind;
    /** A person's Entra object id, an application's client id, the command line's account@machine; absent for the function key. */
    requestedById?: string;
    /** A person's display name or UPN, an application's name when its token gave one. */
    requestedByName?: string;
    /** The reason given with the request (`?reason=` or the JSON body's `reason`). */
    requestReason?: string;
}

/**
 * The audit columns of an event for a request made by `requester`.
 *
 * @example
 * requestAudit({ kind: 'user', id: 'b1f9...', name: 'Ada Lovelace' }, 'caller asked to be dropped')
 * // { requestedByKind: 'user', requestedById: 'b1f9...', requestedByName: 'Ada Lovelace', requestReason: 'caller asked to be dropped' }
 */
export function requestAudit(requester: Requester | CommandLineRequester, reason?: string): RequestAudit {
    return {
        requestedByKind: requester.kind,
        ...(requester.kind === 'functionKey' ? {} : { requestedById: requester.id }),
        ...((requester.kind === 'user' || requester.kind === 'application') && requester.name !== undefined ? { requestedByName: requester.name } : {}),
        ...(reason === undefined ? {} : { requestReason: reason }),
    };
}

/**
 * Who asked, in words, for the timeline printers (the `calls` command line and the console).
 *
 * @example
 * requesterInWords({ requestedByKind: 'user', requestedById: 'b1f9...', requestedByName: 'Ada Lovelace' }) // 'Ada Lovelace (b1f9...)'
 * requesterInWords({ requestedByKind: 'functionKey' }) // 'function key'
 */
export function requesterInWords(audit: Partial<RequestAudit>): string | undefined {
    switch (audit.requestedByKind) {
        case undefined:
            return undefined;
        case 'functionKey':
            return 'function key';
        case 'commandLine':
            return `the command line (${audit.requestedById ?? 'no id'})`;
        case 'application':
            return `application ${audit.requestedByName === undefined ? '' : `${audit.requestedByName} `}(${audit.requestedById ?? 'no id'})`;
        default:
            return `${audit.requestedByName ?? 'a person'} (${audit.requestedById ?? 'no id'})`;
    }
}
