// Start-up failures of the local host. They end the process with one line that says what to fix;
// a stack trace is only printed for failures nobody anticipated.

/** A problem with the app's files or settings that the developer can fix; its message says how. */
export class HostStartupError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'HostStartupError';
    }
}

/** Loading one of the app's entry points threw, e.g. the app refused a missing setting. */
export class EntryPointLoadError extends Error {
    constructor(file: string, cause: unknown) {
        // The worker's wording, so the message reads like the one Azure shows for the same failure.
        super(`Worker was unable to load entry point "${file}": ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
        this.name = 'EntryPointLoadError';
    }
}

/** A function's route cannot be parsed; the host names the function when it reports this. */
export class RouteTemplateError extends Error {
    constructor(template: string, problem: string) {
        super(`The route template "${template}" is invalid: ${problem}`);
        this.name = 'RouteTemplateError';
    }
}

/**
 * The text to print when start-up fails: just the message for expected failures (our own, and errors named
 * `ConfigError`, which the app throws for bad settings), the stack for everything else.
 */
export function describeStartupFailure(err: unknown): string {
    const root = err instanceof EntryPointLoadError ? err.cause : err;
    const expected = root instanceof Error && (root.name === 'ConfigError' || root instanceof HostStartupError);
    const message = err instanceof Error ? err.message : String(err);
    if (expected || !(root instanceof Error) || root.stack === undefined) {
        return message;
    }
    // A stack starts with its own message; only a wrapper's message adds something.
    return root === err ? root.stack : `${message}\n${root.stack}`;
}
