// One repetition of a load measurement, with its latencies summarised and the CPU each process spent per
// notification, and the summary of several repetitions (medians).

import os from 'node:os';
import type { LoadResult } from './loadRunner';
import { startCpuMeter, type Processes } from './processCpu';
import { median, percentile } from './statistics';

export interface LoadSample {
    /** Notifications per second. */
    rate: number;
    notifications: number;
    elapsedMs: number;
    latencyMs: { p50: number; p95: number; p99: number };
    /** CPU milliseconds per notification, by process; `other` is everything else on the machine. */
    cpuMsPerNotification: Record<string, number | undefined>;
    /** Share of the machine's cores that processes outside the benchmark used meanwhile (0 to 1). */
    otherCoreShare: number | undefined;
}

export interface LoadSummary {
    /** Median over the repetitions. */
    rate: number;
    rates: number[];
    /** Per repetition, as in LoadSample. */
    otherCoreShares: Array<number | undefined>;
    latencyMs: { p50: number; p95: number; p99: number };
    cpuMsPerNotification: Record<string, number | undefined>;
}

/** Runs `load` once while metering the processes' CPU. */
export async function sampleLoad(processes: Processes, notificationsPerOperation: number, load: () => Promise<LoadResult>): Promise<LoadSample> {
    const meter = startCpuMeter(processes);
    const result = await load();
    const cpu = meter.read();
    const notifications = result.operations * notificationsPerOperation;
    return {
        rate: result.rate * notificationsPerOperation,
        notifications,
        elapsedMs: result.elapsedMs,
        latencyMs: {
            p50: median(result.latenciesMs),
            p95: percentile(result.latenciesMs, 95),
            p99: percentile(result.latenciesMs, 99),
        },
        cpuMsPerNotification: Object.fromEntries(Object.entries(cpu).map(([name, ms]) => [name, ms === undefined ? undefined : ms / notifications])),
        otherCoreShare: cpu.other === undefined ? undefined : cpu.other / result.elapsedMs / os.availableParallelism(),
    };
}

export function summarise(samples: readonly LoadSample[]): LoadSummary {
    const names = Object.keys(samples[0]?.cpuMsPerNotification ?? {});
    return {
        rate: median(samples.map((s) => s.rate)),
        rates: samples.map((s) => s.rate),
        otherCoreShares: samples.map((s) => s.otherCoreShare),
        latencyMs: {
            p50: median(samples.map((s) => s.latencyMs.p50)),
            p95: median(samples.map((s) => s.latencyMs.p95)),
            p99: median(samples.map((s) => s.latencyMs.p99)),
        },
        cpuMsPerNotification: Object.fromEntries(
            names.map((name) => {
                const values = samples.map((s) => s.cpuMsPerNotification[name]).filter((v): v is number => v !== undefined);
                return [name, values.length === 0 ? undefined : median(values)];
            }),
        ),
    };
}

/** Median of the per-repetition ratios: repetitions ran back to back, so pairing them cancels drift. */
export function pairedRatio(numerators: readonly LoadSample[], denominators: readonly LoadSample[]): number {
    return median(numerators.map((n, i) => n.rate / (denominators[i]?.rate ?? Number.NaN)));
}
