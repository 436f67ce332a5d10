// The local host's timer scheduling decisions on a mocked clock (setTimeout and Date): what runs when is exact
// here, where a real host on a loaded machine can only show the order of runs.

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import { type TimerRun, TimerListener } from '../../dev/host/timerListener';
import { TimerSchedule } from '../../dev/host/timerSchedule';

/** Lets the promises that a fired timer started run to their next wait (microtasks only: the clock is mocked). */
async function settle(): Promise<void> {
    for (let turn = 0; turn < 20; turn++) await Promise.resolve();
}

describe('TimerListener on a mocked clock', () => {
    beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: Date.UTC(2026, 0, 1, 0, 0, 0, 500) }));
    afterEach(() => mock.timers.reset());

    function everyTwoSeconds(runMs: number) {
        const runs: Array<{ startedAt: number; endedAt?: number; run: TimerRun }> = [];
        const listener = new TimerListener(
            { name: 'tick', timerName: 'Host.Functions.tick', schedule: TimerSchedule.parse('*/2 * * * * *'), runOnStartup: false, useMonitor: false },
            undefined,
            async (run) => {
                const entry: { startedAt: number; endedAt?: number; run: TimerRun } = { startedAt: Date.now(), run };
                runs.push(entry);
                await new Promise((resolve) => setTimeout(resolve, runMs));
                entry.endedAt = Date.now();
            },
        );
        return { listener, runs };
    }

    async function advance(ms: number): Promise<void> {
        for (let step = 0; step < ms; step++) {
            mock.timers.tick(1);
            await settle();
        }
    }

    test('a run that outlasts the next occurrence is followed by one run at once, not at the next mark, never two at a time', async () => {
        // prepare: every 2 s, each run taking 2.5 s; the clock is at 00:00:00.500
        const { listener, runs } = everyTwoSeconds(2500);
        const t0 = Date.now();

        // act
        listener.start();
        await advance(6400);
        const stopped = listener.stop(); // no further runs; the one in progress ends
        await advance(200);
        await stopped;

        // assess: 02.000 (ends 04.500, having missed 04.000), then at once 04.501 (ends 07.001)
        assert.deepEqual(
            runs.map((entry) => [entry.startedAt - t0, entry.endedAt === undefined ? undefined : entry.endedAt - t0]),
            [
                [1500, 4000],
                [4001, 6501],
            ],
        );
        assert.ok(runs.every((entry) => entry.run.isPastDue === false));
    });

    test('a run that ends before the next occurrence waits for it', async () => {
        // prepare
        const { listener, runs } = everyTwoSeconds(500);
        const t0 = Date.now();

        // act
        listener.start();
        await advance(3800);
        const stopped = listener.stop();
        await advance(600);
        await stopped;

        // assess: 02.000 and 04.000, on the marks
        assert.deepEqual(
            runs.map((entry) => entry.startedAt - t0),
            [1500, 3500],
        );
    });
});
