// The simulator's own clock, which a test may speed up or move on: Graph's 45 minutes without a keepAlive can pass
// in seconds, under the test's control, while everything else (tokens, callbacks) keeps real time.

export class SimulatedClock {
    #speed = 1;
    #realBase = Date.now();
    #simulatedBase = Date.now();

    /** Simulated epoch ms. */
    now(): number {
        return this.#simulatedBase + (Date.now() - this.#realBase) * this.#speed;
    }

    get speed(): number {
        return this.#speed;
    }

    /** `speed`: simulated ms per real ms from now on; `advanceMs`: a jump forward now. */
    set(change: { speed?: number; advanceMs?: number }): void {
        const current = this.now();
        this.#realBase = Date.now();
        this.#simulatedBase = current + (change.advanceMs ?? 0);
        if (change.speed !== undefined) this.#speed = change.speed;
    }

    /** Real time again, at the rate of real time. */
    reset(): void {
        this.#speed = 1;
        this.#realBase = Date.now();
        this.#simulatedBase = this.#realBase;
    }
}
