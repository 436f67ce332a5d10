// Runs an async step over items with a bounded number in flight: enough to hide storage round trips,
// few enough not to flood one service from one process.

/**
 * @example
 * await inParallel(summaries, 16, (summary) => index.record(summary));
 */
export async function inParallel<T>(items: readonly T[], limit: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        for (let i = next++; i < items.length; i = next++) await run(items[i]!, i);
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
