// The child processes of `npm start`: their output, line by line behind a name tag, and their ends. A child
// that ends while nobody asked it to is reported once, so the run can stop the rest and say which one died.

import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * How long an exit waits before it counts as unexpected. Ctrl-C in a terminal signals the whole process
 * group at once, so a child may end a moment before this process has seen its own SIGINT.
 */
const SIGNAL_RACE_MS = 300;

export interface ChildExit {
    name: string;
    pid: number | undefined;
    code: number | null;
    signal: NodeJS.Signals | null;
}

export interface StopManner {
    /** What asks the child to stop; default SIGTERM. */
    signal?: NodeJS.Signals;
    /** How long to wait for it before SIGKILL; default 3 s. */
    graceMs?: number;
}

interface Supervised {
    name: string;
    process: ChildProcess;
    manner: Required<StopManner>;
}

export class LocalRunProcesses {
    readonly #children: Supervised[] = [];
    readonly #onUnexpectedExit: (exit: ChildExit) => void;
    #stopping = false;

    constructor(onUnexpectedExit: (exit: ChildExit) => void) {
        this.#onUnexpectedExit = onUnexpectedExit;
    }

    get stopping(): boolean {
        return this.#stopping;
    }

    /** Watches a started child: from now on its end is either asked for (`stop`, `stopAll`) or reported. */
    adopt(name: string, child: ChildProcess, manner: StopManner = {}): void {
        this.#children.push({ name, process: child, manner: { signal: manner.signal ?? 'SIGTERM', graceMs: manner.graceMs ?? 3000 } });
        child.once('exit', (code, signal) => {
            setTimeout(() => {
                if (!this.#stopping) this.#onUnexpectedExit({ name, pid: child.pid, code, signal });
            }, SIGNAL_RACE_MS);
        });
    }

    /** From now on no end of a child is unexpected. */
    markStopping(): void {
        this.#stopping = true;
    }

    /** Stops the child adopted under `name`, if any. */
    async stop(name: string): Promise<void> {
        this.markStopping();
        for (const child of this.#children.filter((entry) => entry.name === name)) {
            await stopProcess(child);
        }
    }

    /** Stops every child, the last started first (the app before the services it uses). Safe to call twice. */
    async stopAll(): Promise<void> {
        this.markStopping();
        for (const child of [...this.#children].reverse()) {
            await stopProcess(child);
        }
    }
}

/** Asks politely (with the child's own stop signal), then firmly. */
async function stopProcess({ process: child, manner }: Supervised): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(manner.signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), manner.graceMs);
    await exited;
    clearTimeout(timer);
}

/**
 * Copies a stream to `write` one whole line at a time, each behind `tag`, so the interleaved output of
 * several processes stays readable.
 *
 * @example
 * prefixLines(child.stdout, '[functions]', (line) => process.stdout.write(line));
 */
export function prefixLines(stream: Readable | null, tag: string, write: (text: string) => void): void {
    if (stream === null) return;
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => write(`${tag} ${line}\n`));
}
