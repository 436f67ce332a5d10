// What maintaining the call index costs ingest (issue 10): whole typical calls at concurrency 32 through two
// hosts of the same app with the same settings, one as deployed and one whose `CallIndex.record` does nothing
// (bench/appWithoutIndex.ts), taking turns on emptied tables. The app has no switch to turn the index off;
// the second host commits exactly the same transactions and queues the same call-ended messages, without
// the index rows of a call's first and ending notifications.

import { rmSync } from 'node:fs';
import type { BenchEnvironment } from './benchEnvironment';
import { createBenchFunctionApp } from './benchFunctionApp';
import { pairedRatio } from './loadSample';
import { TYPICAL_CALL } from './notificationBodies';
import { progress } from './progress';
import { measureHostsSideBySide, summariseSide, type SideBySideOptions, type SideSummary } from './sideBySide';

export interface IndexCostResult {
    concurrency: number;
    notificationsPerCall: number;
    /** Notifications per second and latencies, the app as deployed. */
    withIndex: SideSummary;
    /** The same app without the index writes. */
    withoutIndex: SideSummary;
    /** Median of the per-repetition ratios, with / without. */
    ratio: number;
}

export async function measureIndexCost(env: BenchEnvironment, repositoryRoot: string, options: SideBySideOptions): Promise<IndexCostResult> {
    const appDir = createBenchFunctionApp(repositoryRoot, 'appWithoutIndex.js');
    try {
        const queue = { CALL_EVENTS_QUEUE: 'bench-index-cost' };
        const {
            samples: [withIndex = [], withoutIndex = []],
            notificationsPerCall,
        } = await measureHostsSideBySide(
            env,
            TYPICAL_CALL,
            [{ settings: { ...queue, CALL_HISTORY_TABLE: 'BenchIndexOn' } }, { settings: { ...queue, CALL_HISTORY_TABLE: 'BenchIndexOff' }, appDir }],
            options,
            (repetition) => progress(`index cost: repetition ${repetition}/${options.repetitions}, with and without the index writes`),
        );
        return {
            concurrency: options.concurrency,
            notificationsPerCall,
            withIndex: summariseSide(withIndex),
            withoutIndex: summariseSide(withoutIndex),
            ratio: pairedRatio(withIndex, withoutIndex),
        };
    } finally {
        rmSync(appDir, { recursive: true, force: true });
    }
}
