// Command-line options of `npm run bench`: defaults keep the whole run within a few minutes on 2 cores.

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
    /** Where results.json goes. */
    output: string;
}

const USAGE = `Usage: npm run bench -- [--window-ms 1500] [--repetitions 5] [--cold-start-runs 7] [--output bench/results.json]`;

export function parseBenchOptions(argv: string[], defaultOutput: string): BenchOptions {
    const { values } = parseArgs({
        args: argv,
        options: {
            'window-ms': { type: 'string' },
            repetitions: { type: 'string' },
            'cold-start-runs': { type: 'string' },
            output: { type: 'string' },
            help: { type: 'boolean' },
        },
    });
    if (values.help === true) {
        console.log(USAGE);
        process.exit(0);
    }
    return {
        windowMs: positiveInteger(values['window-ms'], 1500, '--window-ms'),
        repetitions: positiveInteger(values.repetitions, 5, '--repetitions'),
        concurrencies: [1, 8, 32],
        calls: 512,
        batchSize: 10,
        growthWrites: 100,
        growthRepetitions: 5,
        coldStartRuns: positiveInteger(values['cold-start-runs'], 7, '--cold-start-runs'),
        hangUps: 100,
        consoleRuns: 5,
        output: values.output ?? defaultOutput,
    };
}

function positiveInteger(text: string | undefined, fallback: number, name: string): number {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of at least 1, not "${text}".\n${USAGE}`);
    return value;
}
