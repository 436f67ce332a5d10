// Runs a refresh every few seconds while the tab is visible (Page Visibility API), and at once when it
// becomes visible again: a console left open in a background tab costs the app nothing.

export class VisiblePoller {
    readonly #task: () => Promise<void>;
    #intervalMs: number;
    #timer: ReturnType<typeof setTimeout> | undefined;
    #running = false;
    #stopped = true;
    readonly #onVisibility = () => {
        if (document.visibilityState === 'visible') this.#runSoon(0);
        else this.#clear();
    };

    constructor(task: () => Promise<void>, intervalMs: number) {
        this.#task = task;
        this.#intervalMs = intervalMs;
    }

    start(): void {
        if (!this.#stopped) return;
        this.#stopped = false;
        document.addEventListener('visibilitychange', this.#onVisibility);
        this.#runSoon(this.#intervalMs);
    }

    stop(): void {
        this.#stopped = true;
        this.#clear();
        document.removeEventListener('visibilitychange', this.#onVisibility);
    }

    /** A different pace from now on (faster while a hang-up is being followed, for example). */
    setInterval(intervalMs: number): void {
        this.#intervalMs = intervalMs;
        if (!this.#running) this.#runSoon(intervalMs);
    }

    #runSoon(delayMs: number): void {
        this.#clear();
        if (this.#stopped || document.visibilityState !== 'visible') return;
        this.#timer = setTimeout(() => void this.#run(), delayMs);
    }

    async #run(): Promise<void> {
        if (this.#running || this.#stopped) return;
        this.#running = true;
        try {
            await this.#task();
        } finally {
            this.#running = false;
            this.#runSoon(this.#intervalMs);
        }
    }

    #clear(): void {
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        this.#timer = undefined;
    }
}
