/**
 * Live updates: while a page listens, the history is polled for a new newest run, and every
 * listener hears of it (and of a prune made through the page). Nobody listening, nothing polled.
 */
import type { RunLog } from './run-log.ts';
import type { LiveEvent } from './types.ts';

/** How often the history is asked for its newest run while a page listens. @default 500 */
export const POLL_MS = 500;

export class LiveUpdates {
  readonly #runs: RunLog;
  readonly #pollMs: number;
  readonly #listeners = new Set<(event: LiveEvent) => void>();
  #timer: NodeJS.Timeout | undefined;
  /** The newest run id seen; undefined until the first poll answered. */
  #newest: string | null | undefined;
  #polling = false;

  constructor(runs: RunLog, pollMs = POLL_MS) {
    this.#runs = runs;
    this.#pollMs = pollMs;
  }

  /** Calls `listener` with every event from now on; the returned function stops that. */
  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#timer && this.#runs.available) {
      void this.#poll();
      this.#timer = setInterval(() => void this.#poll(), this.#pollMs);
      this.#timer.unref();
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#stop();
    };
  }

  publish(event: LiveEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  close(): void {
    this.#listeners.clear();
    this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#newest = undefined;
  }

  async #poll(): Promise<void> {
    // A slow store (a remote Redis) must not pile polls up.
    if (this.#polling) return;
    this.#polling = true;
    try {
      const newest = await this.#runs.newest();
      const id = newest?.id ?? null;
      const first = this.#newest === undefined;
      if (!first && id !== this.#newest && newest) this.publish({ type: 'run', run: newest });
      if (this.#timer) this.#newest = id;
    } catch {
      // The next poll tries again; the page keeps what it shows.
    } finally {
      this.#polling = false;
    }
  }
}
