// How the command line ends: exit codes, and the one error type that carries its own.

export const EXIT = {
    ok: 0,
    /** The query could not be answered: unknown call, storage unreachable or refusing. */
    failed: 1,
    /** The command line or the settings are wrong; nothing was read. */
    usage: 2,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
    readonly exitCode: ExitCode;

    constructor(exitCode: ExitCode, message: string, options: { cause?: unknown } = {}) {
        super(message, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = 'CliError';
        this.exitCode = exitCode;
    }
}
