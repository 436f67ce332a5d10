// Spreads load over calls the way a burst of many calls does: each worker cycles through its own calls,
// so two workers never write the same call at once and every write goes to a call written before.

/**
 * The index of the call that `worker` (of `workers`) writes in its `iteration`-th operation, out of `calls`.
 *
 * @example
 * ownedIndex(512, 32, 3, 0) // 3; then 35, 67, ...
 */
export function ownedIndex(calls: number, workers: number, worker: number, iteration: number): number {
    const perWorker = Math.floor(calls / workers);
    if (perWorker < 1) throw new Error(`${calls} calls cannot be spread over ${workers} workers.`);
    return worker + workers * (iteration % perWorker);
}
