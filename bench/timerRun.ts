// Runs a timer function (or any non-HTTP function, with the input a queue message would carry) once through the
// host's admin endpoint (`POST /admin/functions/{name}`, as the Functions host offers it) and waits for the run to
// end; its duration is the host's own `Duration=`.

import type { HostProcess } from '../test/support/hostProcess';

export interface TimerRun {
    /** The host's measure of the run, from invocation to completion. */
    durationMs: number;
    /** What the host printed from the request to the end of the run. */
    log: string;
}

const POLL_MS = 50;

/**
 * @example
 * const { durationMs, log } = await runTimerFunction(host, 'reconcileCalls');
 */
export async function runTimerFunction(host: HostProcess, name: string, timeoutMs = 10 * 60_000, input = ''): Promise<TimerRun> {
    const before = host.logs().length;
    const answer = await fetch(`${new URL(host.baseUrl).origin}/admin/functions/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ input }),
    });
    if (answer.status !== 202) throw new Error(`POST /admin/functions/${name}: expected 202, got ${answer.status}: ${await answer.text()}`);
    // This run, not another of the same function (a timer, a queue message) that ends meanwhile: its invocation id
    // is on the Executing line the admin call logs.
    const executing = new RegExp(`Executing 'Functions\\.${name}' \\(Reason='This function was programmatically called via the host APIs\\.', Id=([^)]+)\\)`);
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
        const log = host.logs().slice(before);
        const id = executing.exec(log)?.[1];
        const match = id === undefined ? null : new RegExp(`Executed 'Functions\\.${name}' \\((Succeeded|Failed), Id=${id}, Duration=(\\d+)ms\\)`).exec(log);
        if (match !== null) {
            if (match[1] !== 'Succeeded') throw new Error(`${name} failed:\n${log}`);
            return { durationMs: Number(match[2]), log };
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`${name} did not finish within ${timeoutMs} ms:\n${host.logs().slice(before)}`);
}
