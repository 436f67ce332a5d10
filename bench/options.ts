// Command-line options of `npm run bench`: the defaults are the measurements as the issues define them (about
// fifteen minutes on 2 cores); `--quick` shrinks every size and repetition for development (about four minutes,
// noisy, not for publishing).

import { parseArgs } from 'node:util';

export interface BenchOptions {
    /** Length of one repetition of a load measurement. */
    windowMs: number;
    repetitions: number;
    concurrencies: number[];
    /** Calls (partitions) the load is spread over. */
    calls: number;
    /** Notifications per POST in the batch measurement. */
    batchSize: number;
    /** Sequential writes per call per repetition of the cost-growth measurement. */
    growthWrites: number;
    growthRepetitions: number;
    coldStartRuns: number;
    hangUps: number;
    /** Page loads per console measurement. */
    consoleRuns: number;
    /** Calls in the small and the large table of the listing and retention measurements. */
    callTables: [number, number];
    /** Pages read from each table. */
    listingRounds: number;
    /** Old calls written into each table and purged, per retention repetition. */
    purgeCalls: number;
    purgeRepetitions: number;
    /** Stuck calls the reconciler drains, and the stuck calls of its run against a slow Graph. */
    reconcileBacklog: number;
    reconcileLatencyCalls: number;
    /** Calls the host ingests before its memory is read. */
    memoryCalls: number;
    /** How long the bot is down in the relay's outage measurement, and the new calls stored meanwhile. */
    relayOutageMs: number;
    relayOutageCalls: number;
    /** `relay`: only the relay's measurements (issue 18), written to the output as they are. */
    only?: 'relay';
    quick: boolean;
    /** Where results.json goes. */
    output: string;
}

const USAGE = `Usage: npm run bench -- [--quick] [--only relay] [--window-ms 1500] [--repetitions 5] [--cold-start-runs 7] [--memory-calls 50000] [--output bench/results.json]`;

export function parseBenchOptions(argv: string[], defaultOutput: string): BenchOptions {
    const { values } = parseArgs({
        args: argv,
        options: {
            quick: { type: 'boolean' },
            'window-ms': { type: 'string' },
            repetitions: { type: 'string' },
            'cold-start-runs': { type: 'string' },
            'memory-calls': { type: 'string' },
            only: { type: 'string' },
            output: { type: 'string' },
            help: { type: 'boolean' },
        },
    });
    if (values.help === true) {
        console.log(USAGE);
        process.exit(0);
    }
    const quick = values.quick === true;
    if (values.only !== undefined && values.only !== 'relay') throw new Error(`--only takes "relay", not "${values.only}".\n${USAGE}`);
    const size = (full: number, small: number) => (quick ? small : full);
    return {
        windowMs: positiveInteger(values['window-ms'], size(1500, 500), '--window-ms'),
        repetitions: positiveInteger(values.repetitions, size(5, 2), '--repetitions'),
        concurrencies: [1, 8, 32],
        calls: 512,
        batchSize: 10,
        growthWrites: size(100, 30),
        growthRepetitions: size(5, 2),
        coldStartRuns: positiveInteger(values['cold-start-runs'], size(7, 2), '--cold-start-runs'),
        hangUps: 100,
        consoleRuns: size(5, 1),
        callTables: [1000, size(50_000, 5000)],
        listingRounds: size(30, 5),
        purgeCalls: size(200, 50),
        purgeRepetitions: size(3, 1),
        reconcileBacklog: size(2000, 600),
        reconcileLatencyCalls: size(500, 40),
        memoryCalls: positiveInteger(values['memory-calls'], size(50_000, 2000), '--memory-calls'),
        relayOutageMs: size(60_000, 10_000),
        relayOutageCalls: size(1000, 200),
        ...(values.only === 'relay' ? { only: 'relay' as const } : {}),
        quick,
        output: values.output ?? defaultOutput,
    };
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not "${text}".\n${USAGE}`);
    return value;
}
