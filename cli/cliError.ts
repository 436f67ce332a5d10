// How the command line ends: exit codes, the one error type that carries its own, and the words for a storage failure.

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

/** The storage failure underneath, on one line: `connect ECONNREFUSED 127.0.0.1:10002`, `403 AuthorizationFailure`. */
export function causeOf(err: Error): string | undefined {
    if (!(err.cause instanceof Error)) return undefined;
    const { statusCode, code, details } = err.cause as { statusCode?: number; code?: string; details?: { errorCode?: string; odataError?: { code?: string } } };
    const name = code ?? details?.errorCode ?? details?.odataError?.code;
    if (statusCode !== undefined && name !== undefined) return `${statusCode} ${name}`;
    return err.cause.message.replace(/\s+/g, ' ').slice(0, 300) || undefined;
}
