// The few errors the app raises on purpose. Each one knows the HTTP answer it becomes (see problem.ts);
// anything else that is thrown is a defect or an outage and is mapped there too, never leaked.

export interface CallRecordErrorOptions {
    cause?: unknown;
    /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
    headers?: Record<string, string>;
}

/** Base of every error this app raises on purpose: an HTTP status, a short title and a detail for the caller. */
export class CallRecordError extends Error {
    readonly status: number;
    readonly title: string;
    readonly headers: Record<string, string>;

    constructor(status: number, title: string, detail: string, options: CallRecordErrorOptions = {}) {
        super(detail, options.cause === undefined ? undefined : { cause: options.cause });
        this.name = new.target.name;
        this.status = status;
        this.title = title;
        this.headers = options.headers ?? {};
    }

    get detail(): string {
        return this.message;
    }
}

/** The request is malformed: bad JSON, a bad id, a bad query parameter. */
export class BadRequestError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(400, 'Bad request', detail, options);
    }
}

/** The bearer token is missing or does not verify. */
export class UnauthorizedError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(401, 'Unauthorized', detail, {
            ...options,
            headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"', ...options.headers },
        });
    }
}

/** The caller is known but may not do this: an app role it lacks, or a request a cross-site form could have sent. */
export class ForbiddenError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(403, 'Forbidden', detail, options);
    }
}

export class NotFoundError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(404, 'Not found', detail, options);
    }
}

/** The request cannot be done in the app's present state (the relay is off, say). */
export class ConflictError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(409, 'Conflict', detail, options);
    }
}

export class PayloadTooLargeError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(413, 'Payload too large', detail, options);
    }
}

export class UnsupportedMediaTypeError extends CallRecordError {
    constructor(detail: string, options: CallRecordErrorOptions = {}) {
        super(415, 'Unsupported media type', detail, options);
    }
}

/** A service we depend on (Graph, Entra) refused us or could not be reached. */
export class UpstreamError extends CallRecordError {
    constructor(title: string, detail: string, options: CallRecordErrorOptions = {}) {
        super(502, title, detail, options);
    }
}

/** Try again later: storage is down, or Graph keeps throttling after our retries. */
export class ServiceUnavailableError extends CallRecordError {
    constructor(detail: string, retryAfterSeconds: number, options: CallRecordErrorOptions = {}) {
        super(503, 'Service unavailable', detail, {
            ...options,
            headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))), ...options.headers },
        });
    }
}

/** A setting is missing or malformed; raised at start-up, never during a request. */
export class ConfigError extends Error {
    readonly setting: string;

    constructor(setting: string, problem: string) {
        super(`Setting ${setting}: ${problem}`);
        this.name = 'ConfigError';
        this.setting = setting;
    }
}

/** Turns anything thrown into an Error, so boundaries can log and map it safely. */
export function ensureError(err: unknown): Error {
    if (err instanceof Error) {
        return err;
    }
    return new Error(typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err)));
}

/** local.settings.json cannot be used; named by its path, stops start-up like any bad setting. */
export class SettingsFileError extends ConfigError {
    constructor(file: string, problem: string) {
        super(file, problem);
        this.message = `${file} ${problem}`;
    }
}
