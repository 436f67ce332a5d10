// Progress lines of a benchmark run, on stderr so the report on stdout stays clean to copy.

export function progress(message: string): void {
    process.stderr.write(`[bench] ${message}\n`);
}
