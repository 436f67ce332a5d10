// Two hosts of the app that differ in one setting (or one entry file) take the same whole-call load in
// turns: each repetition empties both tables, then measures one and the other (the order alternating), so
// drift and other load on the machine hit both alike and the per-repetition ratios can be paired.

import { TableClient } from '@azure/data-tables';
import type { BenchEnvironment } from './benchEnvironment';
import { sampleLoad, summarise, type LoadSample, type LoadSummary } from './loadSample';
import type { CallShape } from './notificationBodies';
import { median, percentile } from './statistics';
import { WholeCallLoad } from './wholeCallLoad';

export interface HostSide {
    /** The host's settings beyond the bench's callback settings; CALL_HISTORY_TABLE names its own table. */
    settings: Record<string, string> & { CALL_HISTORY_TABLE: string };
    /** A bench function app folder instead of the app's own (benchFunctionApp.ts). */
    appDir?: string;
    /** Run after each of its repetitions with the calls it ended (for example to check and empty a queue). */
    afterRepetition?: (endedCalls: number, warmUp: boolean) => Promise<void>;
}

export interface SideSample extends LoadSample {
    /** p99 of the POSTs that ended a call. */
    endingP99Ms: number;
    endedCalls: number;
}

export type SideSummary = LoadSummary & { endingP99Ms: number };

export interface SideBySideOptions {
    concurrency: number;
    windowMs: number;
    repetitions: number;
    tokens: readonly string[];
}

const WARM_UP_MS = 3000;

/**
 * Samples per side, one per repetition, in the order of `sides`, after a warm-up of each.
 *
 * @example
 * const { samples: [on, off] } = await measureHostsSideBySide(env, shape, [{ settings: { ... } }, { settings: { ... } }], options, log);
 */
export async function measureHostsSideBySide(
    env: BenchEnvironment,
    shape: CallShape,
    sides: readonly HostSide[],
    options: SideBySideOptions,
    onRepetition: (repetition: number) => void,
): Promise<{ samples: SideSample[][]; notificationsPerCall: number }> {
    const running: Array<{ side: HostSide; load: WholeCallLoad; pid: number | undefined; stop(): Promise<void> }> = [];
    try {
        for (const side of sides) {
            const host = await env.startHost({ ...env.callbackSettings, ...side.settings }, side.appDir);
            const table = TableClient.fromConnectionString(env.azurite.connectionString, side.settings.CALL_HISTORY_TABLE, { allowInsecureConnection: true });
            const load = new WholeCallLoad({ baseUrl: host.baseUrl, table, tokens: options.tokens }, shape, options.concurrency);
            running.push({ side, load, pid: host.process.pid, stop: () => host.stop() });
        }
        const once = async ({ side, load, pid }: (typeof running)[number], ms: number, warmUp: boolean): Promise<SideSample> => {
            await load.reset();
            let endings: number[] = [];
            const sample = await sampleLoad({ azurite: env.azurite.process.pid, server: pid, bench: process.pid }, 1, async () => {
                const result = await load.measure(options.concurrency, ms);
                endings = result.endingLatenciesMs;
                return result;
            });
            await side.afterRepetition?.(endings.length, warmUp);
            return { ...sample, endingP99Ms: percentile(endings, 99), endedCalls: endings.length };
        };
        for (const side of running) await once(side, WARM_UP_MS, true);
        const samples: SideSample[][] = running.map(() => []);
        for (let repetition = 1; repetition <= options.repetitions; repetition++) {
            onRepetition(repetition);
            const order = running.map((side, i) => [side, i] as const);
            if (repetition % 2 === 0) order.reverse();
            for (const [side, i] of order) samples[i]?.push(await once(side, options.windowMs, false));
        }
        return { samples, notificationsPerCall: running[0]?.load.notificationsPerCall ?? 0 };
    } finally {
        for (const { load, stop } of running) {
            load.close();
            await stop();
        }
    }
}

/** Medians over the repetitions, as `summarise`, with the ending POSTs' p99. */
export function summariseSide(samples: readonly SideSample[]): SideSummary {
    return { ...summarise(samples), endingP99Ms: median(samples.map((sample) => sample.endingP99Ms)) };
}
