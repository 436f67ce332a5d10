// A separate writer process for the multi-process tests: `node callStoreWriter.js <table> <callId> <count> <seed>`
// stores notifications 0..count-1 of one call through two CallStores of its own, in a shuffled order,
// several at a time, and prints what became of each as JSON lines on stdout.

import { createHash } from 'node:crypto';
import { CallStore } from '../../shared/record/callStore';
import type { NewCallEvent } from '../../shared/record/callModel';
import { testTableClient } from './storage';

/** A call state notification as parsed, told apart by `label` (its dedupe key) and `n` (its resourceData). */
export function notificationEvent(label: string, n: number, fields: Partial<NewCallEvent> = {}): NewCallEvent {
    return {
        kind: 'notification',
        resourceKind: 'call',
        changeType: 'updated',
        callState: 'established',
        receivedAt: new Date(),
        dedupeKey: createHash('sha256').update(`${label} ${n}`).digest('hex'),
        resourceData: JSON.stringify({ n }),
        ...fields,
    };
}

/** The notification the tests and every writer process agree on for `n`. */
export function sharedNotification(n: number): NewCallEvent {
    return notificationEvent('shared', n);
}

async function main(): Promise<void> {
    const [tableName, callId, countText, seedText] = process.argv.slice(2);
    const count = Number(countText);
    let seed = Number(seedText);
    const random = () => {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        return seed / 2 ** 31;
    };
    const order = Array.from({ length: count }, (_, n) => n).sort(() => random() - 0.5);
    const stores = [0, 1].map(() => new CallStore(testTableClient(tableName!), { dedupeWindowSeconds: 600 }));
    let next = 0;
    const worker = async (w: number) => {
        while (next < order.length) {
            const n = order[next++]!;
            const result = await stores[(n + w) % stores.length]!.appendCallEvents(callId!, [sharedNotification(n)]);
            process.stdout.write(`${JSON.stringify({ n, outcome: result.outcomes[0]?.outcome })}\n`);
        }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
}
