// The machine a run measured: results from different machines (or from a busy one) are not comparable,
// so every report says where it came from and how busy the cores were with work other than the benchmark's.

import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface MachineInfo {
    cores: number;
    cpuModel: string;
    node: string;
    platform: string;
    memoryGiB: number;
    /** 1-minute load average when the run started. */
    loadAverageAtStart: number;
}

export function describeMachine(): MachineInfo {
    return {
        cores: os.availableParallelism(),
        cpuModel: os.cpus()[0]?.model ?? 'unknown',
        node: process.version,
        platform: `${os.platform()} ${os.release()} ${os.arch()}`,
        memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        loadAverageAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    };
}

/** Busy CPU milliseconds of the whole machine so far (all cores), from /proc/stat; undefined elsewhere. */
export function machineBusyMillis(): number | undefined {
    try {
        const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
        const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
        const ticks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
        return ticks * 10;
    } catch {
        return undefined;
    }
}
