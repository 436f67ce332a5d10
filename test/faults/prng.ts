// A small seeded pseudo-random generator (mulberry32), so every shuffle and every fuzzed body of a run can
// be made again from the seed the run prints.

export interface Random {
    /** A float in [0, 1). */
    next(): number;
    /** An integer in [min, max]. */
    int(min: number, max: number): number;
    pick<T>(items: readonly T[]): T;
    chance(probability: number): boolean;
    /** A shuffled copy (Fisher-Yates). */
    shuffle<T>(items: readonly T[]): T[];
}

/**
 * @example
 * const random = seededRandom(42);
 * random.shuffle([1, 2, 3]) // the same order on every run with seed 42
 */
export function seededRandom(seed: number): Random {
    let state = seed >>> 0;
    const next = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
    return {
        next,
        int,
        pick: (items) => {
            if (items.length === 0) throw new Error('pick() from an empty list');
            return items[int(0, items.length - 1)]!;
        },
        chance: (probability) => next() < probability,
        shuffle: (items) => {
            const copy = [...items];
            for (let i = copy.length - 1; i > 0; i--) {
                const j = int(0, i);
                [copy[i], copy[j]] = [copy[j]!, copy[i]!];
            }
            return copy;
        },
    };
}

/** An independent generator for item `index` of a run, so one fuzz case can be made again on its own. */
export function randomFor(seed: number, index: number): Random {
    return seededRandom((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
}

/** The generator of one scenario of a run: independent of the others, so running one alone replays it. */
export function randomForScenario(seed: number, scenario: string): Random {
    let hash = 0x811c9dc5;
    for (const char of scenario) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
    return randomFor(seed, hash >>> 0);
}
