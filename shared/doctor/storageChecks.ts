// The call record's table and the call-ended events' queue, reached the way the app reaches them (the same
// clients, the same credential): one point read of a row no call can have (never a table scan), and the queue's
// properties. A table or queue that does not exist yet is fine: the app creates it on first use.

import { createQueueClient } from '../settings/queueClient';
import { createTableClient } from '../settings/tableClient';
import type { StorageConfig } from '../settings/config';
import { isNotFound, isTableNotFound, storageReason } from '../record/storageErrors';
import { identitySignIn } from './settingsChecks';
import { CHECK_TIMEOUT_MS, firstLine, withSettings, type DoctorCheck, type Verdict } from './doctorCheck';

/** A partition no call id can be (call ids start with a letter or digit), so the read touches nothing real. */
const PROBE = { partitionKey: '_doctor', rowKey: 'probe' } as const;

export const tableCheck: DoctorCheck = {
    id: 'table',
    title: "the call record's table",
    run: (context) =>
        withSettings(context, async ({ storage }) => {
            const where = `table ${storage.tableName} at ${storage.kind === 'identity' ? storage.tableServiceUri : storage.tableEndpoint}`;
            try {
                await createTableClient(storage).getEntity(PROBE.partitionKey, PROBE.rowKey, { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
                return { status: 'ok', detail: `${where} answers a read ${signedInAs(storage)}.` };
            } catch (err) {
                if (isTableNotFound(err)) return { status: 'ok', detail: `${where} does not exist yet; the app creates it on its first write (${signedInAs(storage)}).` };
                if (isNotFound(err)) return { status: 'ok', detail: `${where} answers a read ${signedInAs(storage)}.` };
                return storageFailure(where, err, storage.kind === 'identity' ? 'Storage Table Data Contributor' : undefined);
            }
        }),
};

export const queueCheck: DoctorCheck = {
    id: 'queue',
    title: "the call-ended events' queue",
    run: (context) =>
        withSettings(context, async ({ lifecycle }) => {
            const events = lifecycle.callEvents;
            if (events === undefined) return { status: 'skip', detail: 'Call-ended events are off (CALL_EVENTS_QUEUE is set empty).' };
            const where = `queue ${events.queueName} at ${events.kind === 'identity' ? events.queueServiceUri : events.queueEndpoint}`;
            const how = events.kind === 'identity' ? `signed in as ${identitySignIn(events.credential)}` : `with the connection string of ${events.setting}`;
            try {
                await createQueueClient(events).getProperties({ abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
                return { status: 'ok', detail: `${where} answers, ${how}.` };
            } catch (err) {
                if (isNotFound(err)) return { status: 'ok', detail: `${where} does not exist yet; the app creates it when the first call ends (${how}).` };
                return storageFailure(where, err, events.kind === 'identity' ? 'Storage Queue Data Contributor' : undefined);
            }
        }),
};

function signedInAs(storage: StorageConfig): string {
    return storage.kind === 'identity' ? `signed in as ${identitySignIn(storage.credential)}` : `with the connection string of ${storage.setting}`;
}

/** Refused (401/403: the key or the role) or unreachable (no answer): a failure that says which. */
function storageFailure(where: string, err: unknown, role: string | undefined): Verdict {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 401 || status === 403) {
        return {
            status: 'fail',
            detail: `${where} refuses the app: ${storageReason(err)}.`,
            action:
                role === undefined
                    ? 'The account key or SAS in the connection string is wrong or expired: copy it again from the storage account.'
                    : `Give the identity the ${role} role on the storage account (the template does); a new role takes a few minutes.`,
        };
    }
    return {
        status: 'fail',
        detail: `${where} cannot be reached: ${status === undefined ? firstLine(err) : storageReason(err)}.`,
        action: 'Check the endpoint in the setting and that this machine (or the app) can reach it: DNS, firewall, private endpoints, the account name.',
    };
}
