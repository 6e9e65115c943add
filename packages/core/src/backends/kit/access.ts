/**
 * Access times and hit counts, gathered in memory and written in batches: a hit costs no write of
 * its own, and `prune()` can still go least recently used first. One policy for every backend
 * that records reads (DiskCache, RedisCache, KeyvCache): a batch is written once
 * `ACCESS_FLUSH_MS` passed since its first read, or once it holds `ACCESS_FLUSH_KEYS` keys, and
 * before anything lists entries (the backend calls `flush()`).
 */

/** A batch is written at most this long after its first read. */
export const ACCESS_FLUSH_MS = 1_000;
/** A batch is written at once when it holds this many keys: what a batch holds in memory, and what one write carries. */
export const ACCESS_FLUSH_KEYS = 10_000;

/** The reads of one key since the last write. */
export interface NotedAccess {
  /** Milliseconds since the epoch of the latest read. */
  time: number;
  /** Reads since the last write. */
  hits: number;
  /** The creation time of the entry read, when the backend gave it: a read of an entry stored again starts the count afresh. */
  createdAt?: number;
  /** When that entry expires, when the backend gave it. */
  expiresAt?: number;
}

/** Keys removed (`forget()`) since a batch was taken: its write must not bring back their access times. */
export interface RemovedSince {
  has(key: string): boolean;
}

/**
 * Writes a batch. It may be synchronous. A throw or rejection is swallowed: access times steer
 * pruning only, and losing some is not worth failing a read.
 */
export type WriteAccesses = (batch: ReadonlyMap<string, NotedAccess>, removed: RemovedSince) => unknown;

/** Tuning of an AccessBatch; the defaults are the policy every backend uses. */
export interface AccessBatchOptions {
  /** @default ACCESS_FLUSH_MS (1,000 ms) */
  flushAfterMs?: number;
  /** @default ACCESS_FLUSH_KEYS (10,000 keys) */
  flushAtKeys?: number;
}

class Removals implements RemovedSince {
  readonly keys = new Set<string>();
  all = false;

  has(key: string): boolean {
    return this.all || this.keys.has(key);
  }
}

/**
 * Reads noted in memory and handed to `write` in batches, one batch at a time: a flush while
 * another is being written is written after it. The timer does not keep the process alive.
 *
 * @example
 * const accesses = new AccessBatch((batch) => index.touch(batch));
 * accesses.note(key, Date.now()); // on a hit
 * await accesses.flush(); // before a listing, and on close()
 */
export class AccessBatch {
  readonly #write: WriteAccesses;
  readonly #flushAfterMs: number;
  readonly #flushAtKeys: number;
  #pending = new Map<string, NotedAccess>();
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #inFlight = 0;
  /** One per batch being written: the keys forgotten meanwhile. */
  readonly #removals = new Set<Removals>();

  constructor(write: WriteAccesses, options: AccessBatchOptions = {}) {
    this.#write = write;
    this.#flushAfterMs = options.flushAfterMs ?? ACCESS_FLUSH_MS;
    this.#flushAtKeys = options.flushAtKeys ?? ACCESS_FLUSH_KEYS;
  }

  /** Keys noted since the last write. */
  get size(): number {
    return this.#pending.size;
  }

  /** Notes a read of `key` at `time`; `entry` says which stored entry was read, when the backend knows. */
  note(key: string, time: number, entry?: { createdAt: number; expiresAt?: number }): void {
    let access = this.#pending.get(key);
    if (access === undefined || (entry !== undefined && access.createdAt !== entry.createdAt)) {
      access = { time, hits: 0 };
      if (entry !== undefined) {
        access.createdAt = entry.createdAt;
        access.expiresAt = entry.expiresAt;
      }
      this.#pending.set(key, access);
    }
    access.hits++;
    access.time = time;
    if (this.#pending.size >= this.#flushAtKeys) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#flushAfterMs).unref();
  }

  /** Drops the unwritten reads of entries being removed; batches being written are told too. */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#pending.delete(key);
      for (const removals of this.#removals) removals.keys.add(key);
    }
  }

  /** `forget()` for every key: the cache is being cleared. */
  forgetAll(): void {
    this.#pending.clear();
    for (const removals of this.#removals) removals.all = true;
  }

  /** The reads noted so far, for a caller that writes them itself (with a write of its own); the timer stops. */
  take(): Map<string, NotedAccess> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    if (batch.size > 0) this.#pending = new Map();
    return batch;
  }

  /**
   * Writes the reads noted so far: at once when no write is under way (a synchronous `write` is
   * done when this returns), else after it. Resolves when every write so far is done; never rejects.
   */
  flush(): Promise<void> {
    const batch = this.take();
    if (batch.size === 0) return this.#writing;
    // Watched from now, not from when the write starts: a forget() in between must count too.
    const removals = new Removals();
    this.#removals.add(removals);
    const write = async () => {
      try {
        await this.#write(batch, removals);
      } catch {
        // Access times steer pruning only: losing some to a failing store is not worth failing anything.
      } finally {
        this.#removals.delete(removals);
        this.#inFlight--;
      }
    };
    this.#writing = this.#inFlight++ === 0 ? write() : this.#writing.then(write);
    return this.#writing;
  }
}
