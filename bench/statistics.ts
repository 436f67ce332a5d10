// Order statistics for the benchmark's samples: medians across repetitions, percentiles of latencies.

/** The middle value (mean of the two middle ones for an even count); NaN for no samples. */
export function median(values: readonly number[]): number {
    return percentile(values, 50);
}

/**
 * The p-th percentile by linear interpolation between closest ranks (the spreadsheet `PERCENTILE.INC`).
 *
 * @example
 * percentile([1, 2, 3, 4], 50) // 2.5
 */
export function percentile(values: readonly number[], p: number): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = (p / 100) * (sorted.length - 1);
    const low = Math.floor(rank);
    const high = Math.ceil(rank);
    const lowValue = sorted[low] ?? Number.NaN;
    const highValue = sorted[high] ?? Number.NaN;
    return lowValue + (highValue - lowValue) * (rank - low);
}
