/**
 * The circuit breaker between RedisCache and its server. While the server answers, commands go
 * through. When one fails for want of a server (refused, reset, timed out), the breaker opens:
 * for `retryAfterMs` every call gets its fallback at once, without waiting on a dead server;
 * after that one call tries the server again, and success closes the breaker. One warning per
 * outage, and one line when the server is back: a run of 10,000 nodes against a dead server
 * prints two lines, not 10,000.
 */

import { reasonOf } from '@memoflow/core/backend-kit';
import type { Warn } from './_options.ts';

export interface BreakerOptions {
  /** How long the breaker stays open before one call tries the server again. */
  retryAfterMs: number;
  /** Where the outage warning and the recovery line go. */
  warn: Warn;
  /** What the server is, for the messages (a URL without credentials). */
  server: string;
}

export class Breaker {
  readonly #options: BreakerOptions;
  #openedAt = -1;
  #probing = false;
  /** Outages seen since the cache was created. */
  outages = 0;

  constructor(options: BreakerOptions) {
    this.#options = options;
  }

  /**
   * Runs `operation` unless the breaker is open; `fallback` is the answer when it is, or when the
   * operation fails because the server is unreachable (`failure` returns undefined). Any other
   * failure is rejected with what `failure` returns. While closed this adds one `then` to the
   * operation: it is on every hit's path.
   */
  run<T>(
    operation: () => Promise<T>,
    fallback: T,
    failure: (error: unknown) => Error | undefined,
  ): Promise<T> {
    if (this.#openedAt >= 0) {
      if (this.#probing || performance.now() - this.#openedAt < this.#options.retryAfterMs) {
        return Promise.resolve(fallback);
      }
      this.#probing = true;
    }
    return operation().then(
      (result) => {
        this.#close();
        return result;
      },
      (error: unknown) => {
        const refused = failure(error);
        if (refused) {
          this.#probing = false;
          throw refused;
        }
        this.#trip(error);
        return fallback;
      },
    );
  }

  /** Opens the breaker: the server did not answer (warns, once per outage). */
  #trip(error: unknown): void {
    const wasOpen = this.#openedAt >= 0;
    this.#openedAt = performance.now();
    this.#probing = false;
    if (wasOpen) return;
    this.outages++;
    const reason = reasonOf(error);
    this.#options.warn(
      `memoflow: Redis at ${this.#options.server} is unreachable (${reason}); running without it: ` +
        `values are computed, not read from or stored in it, until it answers again ` +
        `(tried every ${this.#options.retryAfterMs} ms).`,
      'MEMOFLOW_REDIS_UNREACHABLE',
    );
  }

  #close(): void {
    if (this.#openedAt < 0) return;
    this.#openedAt = -1;
    this.#probing = false;
    this.#options.warn(
      `memoflow: Redis at ${this.#options.server} answers again; using it.`,
      'MEMOFLOW_REDIS_UNREACHABLE',
    );
  }
}
