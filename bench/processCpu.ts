// CPU time of the processes under load (Azurite, the host, the benchmark itself) and of everything else on
// the machine, read from /proc on Linux, so a result says where the shared cores went. Elsewhere: nothing.

import { readFileSync } from 'node:fs';
import { machineBusyMillis } from './machine';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ). */
const MILLIS_PER_TICK = 10;

/** User plus system CPU milliseconds of a process (all its threads) so far; undefined without /proc. */
function cpuMillis(pid: number | undefined): number | undefined {
    if (pid === undefined) return undefined;
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // The fields after the command name, which is in parentheses and may contain spaces.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return (Number(fields[11]) + Number(fields[12])) * MILLIS_PER_TICK;
    } catch {
        return undefined;
    }
}

/**
 * User plus system CPU milliseconds of a process and of its children that have ended and been waited for
 * (theirs include their own children's); undefined without /proc. At the end of a run, when every process
 * the run started has ended, this is all the CPU the run used.
 */
export function cpuMillisWithEndedChildren(pid: number): number | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [11, 12, 13, 14].reduce((sum, field) => sum + Number(fields[field]), 0) * MILLIS_PER_TICK;
    } catch {
        return undefined;
    }
}

export type Processes = Record<string, number | undefined>;

export interface CpuMeter {
    /** CPU milliseconds per named process since the meter started, plus `other`: the rest of the machine. */
    read(): Record<string, number | undefined>;
}

export function startCpuMeter(all: Processes): CpuMeter {
    const processes = Object.fromEntries(Object.entries(all).filter(([, pid]) => pid !== undefined));
    const start = snapshot(processes);
    return {
        read() {
            const end = snapshot(processes);
            const used: Record<string, number | undefined> = {};
            for (const name of Object.keys(start)) {
                const before = start[name];
                const after = end[name];
                used[name] = before === undefined || after === undefined ? undefined : after - before;
            }
            const ours = Object.keys(processes).reduce<number | undefined>((sum, name) => (sum === undefined || used[name] === undefined ? undefined : sum + (used[name] ?? 0)), 0);
            const machine = used.machine;
            delete used.machine;
            used.other = machine === undefined || ours === undefined ? undefined : Math.max(0, machine - ours);
            return used;
        },
    };
}

function snapshot(processes: Processes): Record<string, number | undefined> {
    return {
        ...Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMillis(pid)])),
        machine: machineBusyMillis(),
    };
}
