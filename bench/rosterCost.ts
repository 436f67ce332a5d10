// The roster's cost (issue 19): a host whose table connection goes through a counting proxy takes participants
// notifications as the simulator makes them (bench/rosterBodies.ts), one POST at a time, for calls of 2, 50 and 250
// people. For each notification: the table requests it took (a transaction is one request) and the time to the
// answer. The design promises rows only for participants that changed, in the transaction of the notification,
// split in stages only past 100 entities; and nothing more than that for a call with a big roster.

import { TableClient } from '@azure/data-tables';
import type { RunningAzurite } from '../dev/azurite';
import type { HostProcess } from '../test/support/hostProcess';
import { startCountingProxy, throughProxy } from './countingProxy';
import { BenchHttpClient, expectStatus } from './httpClient';
import { benchCallIds, callUpdate, notificationsBody } from './notificationBodies';
import { progress } from './progress';
import { RosterScript } from './rosterBodies';
import { median } from './statistics';

/** One kind of notification to a call of one size: medians over the calls measured. */
export interface RosterCostRow {
    people: number;
    notification: string;
    /** Participant rows the notification changes. */
    rowsChanged: number;
    tableRequests: number;
    /** Median count of each kind of request (transaction, query, point read, ...). */
    kinds: Record<string, number>;
    ms: number;
    calls: number;
}

const TABLE = 'BenchRoster';
const ROSTER_SIZES = [2, 50, 250] as const;
/** After each answer, this long for work the host does after answering (none is expected) to be counted too. */
const SETTLE_MS = 150;

/**
 * @example
 * const rows = await measureRosterCost(azurite, token, (settings) => env.startHost({ ...env.callbackSettings, ...settings }), 5);
 */
export async function measureRosterCost(
    azurite: RunningAzurite,
    token: string,
    startHost: (env: Record<string, string>) => Promise<HostProcess>,
    callsPerSize: number,
): Promise<RosterCostRow[]> {
    const proxy = await startCountingProxy(azurite.ports.table);
    const client = new BenchHttpClient(1);
    let host: HostProcess | undefined;
    try {
        host = await startHost({ CallHistoryStorage: throughProxy(azurite.connectionString, azurite.ports.table, proxy.port), CALL_HISTORY_TABLE: TABLE });
        await TableClient.fromConnectionString(azurite.connectionString, TABLE, { allowInsecureConnection: true })
            .createTable()
            .catch(() => undefined);
        const url = `${host.baseUrl}/callback`;
        const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
        const post = async (body: string, what: string) => {
            const before = proxy.counted();
            const started = performance.now();
            const answer = await client.request('POST', url, headers, body);
            const ms = performance.now() - started;
            expectStatus(answer, 202, what);
            await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
            return { ms, counted: proxy.since(before) };
        };

        const samples = new Map<string, { people: number; notification: string; rowsChanged: number; ms: number[]; requests: number[]; kinds: Array<Record<string, number>> }>();
        const keep = (people: number, notification: string, rowsChanged: number, sample: Awaited<ReturnType<typeof post>>) => {
            const key = `${people}/${notification}`;
            const entry = samples.get(key) ?? { people, notification, rowsChanged, ms: [], requests: [], kinds: [] };
            entry.ms.push(sample.ms);
            entry.requests.push(sample.counted.total);
            entry.kinds.push(sample.counted.kinds);
            samples.set(key, entry);
        };
        // One call first, not measured: the host's first Graph-key fetch, table creation and code loading.
        for (const [round, people] of [[0, 2] as const, ...ROSTER_SIZES.flatMap((size) => Array.from({ length: callsPerSize }, (_, i) => [i + 1, size] as const))]) {
            const callId = benchCallIds(`roster${people}`, 1)[0]!;
            const script = new RosterScript(callId);
            const measured = round > 0;
            const note = (notification: string, rowsChanged: number, sample: Awaited<ReturnType<typeof post>>) => {
                if (measured) keep(people, notification, rowsChanged, sample);
            };
            await post(notificationsBody([callUpdate(callId, 1)]), 'the call established');
            note(
                `the first roster: ${people} people and the bot join (whole roster)`,
                people + 1,
                await post(script.change({ join: script.people(people), as: 'full' }).body, 'first roster'),
            );
            note('one more joins (whole roster)', 1, await post(script.change({ join: script.people(1), as: 'full' }).body, 'join, whole'));
            note('one more joins (delta)', 1, await post(script.change({ join: script.people(1), as: 'delta' }).body, 'join, delta'));
            note('one is muted (delta)', 1, await post(script.change({ mute: [script.present()[0]!], as: 'delta' }).body, 'mute, delta'));
            note('one leaves (whole roster)', 1, await post(script.change({ leave: [script.present()[1]!], as: 'full' }).body, 'leave, whole'));
            note('a call notification, no roster change', 0, await post(notificationsBody([callUpdate(callId, 2)]), 'call update'));
            if (measured) progress(`roster cost: a call of ${people} people measured`);
        }
        return [...samples.values()].map((entry) => ({
            people: entry.people,
            notification: entry.notification,
            rowsChanged: entry.rowsChanged,
            tableRequests: median(entry.requests),
            kinds: medianKinds(entry.kinds),
            ms: median(entry.ms),
            calls: entry.ms.length,
        }));
    } finally {
        client.close();
        await host?.stop();
        await proxy.stop();
    }
}

function medianKinds(samples: ReadonlyArray<Record<string, number>>): Record<string, number> {
    const names = new Set(samples.flatMap((sample) => Object.keys(sample)));
    return Object.fromEntries([...names].sort().map((name) => [name, median(samples.map((sample) => sample[name] ?? 0))]));
}
