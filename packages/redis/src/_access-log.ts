/**
 * Last access times of a RedisCache's entries: the sorted set `<prefix>a` (member: key, score:
 * ms). A hit is noted in memory and written with others (`ZADD GT`, a later time only) every
 * second or 10,000 keys, so a hit costs no write of its own; every listing writes them first.
 */

/** Hit times are written at most this often, or once this many keys were read. */
const FLUSH_MS = 1_000;
const FLUSH_KEYS = 10_000;

export class AccessLog {
  readonly #write: (members: { value: string; score: number }[]) => Promise<void>;
  #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;

  /** `write` stores a batch; it must not throw (access times steer pruning only). */
  constructor(write: (members: { value: string; score: number }[]) => Promise<void>) {
    this.#write = write;
  }

  /** Notes a hit at `time` (now, unless the caller read the clock for a batch). */
  note(key: string, time = Date.now()): void {
    this.#pending.set(key, time);
    if (this.#pending.size >= FLUSH_KEYS) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Forgets the hits of removed entries. */
  forget(keys: Iterable<string> | undefined): void {
    if (keys === undefined) this.#pending.clear();
    else for (const key of keys) this.#pending.delete(key);
  }

  /** Writes the hits noted since the last flush. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size === 0) return;
    const members = [...this.#pending].map(([value, score]) => ({ value, score }));
    this.#pending = new Map();
    await this.#write(members);
  }
}
