/**
 * Reads of entries, gathered in memory and written to the store in batches, so that `prune()`
 * can go least recently used first while a hit costs no write of its own.
 */
import type { Keyv, KeyvEntry } from 'keyv';
import { deleteRecords, readRecords } from './_keyv-io.ts';
import { type AccessRecord, accessKey, decodeAccess, type EntryHeader, encodeAccess } from './_records.ts';

/** Reads are written at most this often, or once this many keys were read. */
const FLUSH_MS = 1_000;
const FLUSH_KEYS = 1_000;

/** Reads recorded since the last flush, for one entry. */
interface PendingAccess extends AccessRecord {
  expiresAt: number | undefined;
}

/** Entries removed while a flush was writing their access records; `all` after a clear(). */
interface RemovedKeys {
  keys: Set<string>;
  all: boolean;
}

export class AccessLog {
  readonly #keyv: Keyv;
  #pending = new Map<string, PendingAccess>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** One per flush in flight: the entries removed meanwhile, whose access records it must not leave behind. */
  readonly #removedDuringFlush = new Set<RemovedKeys>();

  constructor(keyv: Keyv) {
    this.#keyv = keyv;
  }

  /** Records a hit on the entry `header` describes; the next flush writes it. */
  touch(key: string, header: EntryHeader, now: number): void {
    let access = this.#pending.get(key);
    if (access === undefined || access.createdAt !== header.createdAt) {
      access = { createdAt: header.createdAt, lastAccess: now, hits: 0, expiresAt: header.expiresAt };
      this.#pending.set(key, access);
    }
    access.hits++;
    access.lastAccess = now;
    if (this.#pending.size >= FLUSH_KEYS) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_MS).unref();
  }

  /** Drops the unwritten reads of entries being removed, and has flushes in flight take theirs back. */
  forget(keys: Iterable<string>): void {
    for (const key of keys) {
      this.#pending.delete(key);
      for (const removed of this.#removedDuringFlush) removed.keys.add(key);
    }
  }

  /** `forget()` for every entry: the cache is being cleared. */
  forgetAll(): void {
    this.#pending.clear();
    for (const removed of this.#removedDuringFlush) removed.all = true;
  }

  /** Writes the reads gathered so far, after any flush still running. Never rejects. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size > 0) {
      const batch = this.#pending;
      this.#pending = new Map();
      // Watched from now, not from when the write starts: a delete() in between must count too.
      const removed: RemovedKeys = { keys: new Set(), all: false };
      this.#removedDuringFlush.add(removed);
      this.#flushing = this.#flushing
        .then(() => this.#write(batch, removed))
        // Access times only steer pruning: losing some to a failing store is not worth failing anything.
        .catch(() => {})
        .finally(() => this.#removedDuringFlush.delete(removed));
    }
    return this.#flushing;
  }

  /** Adds a batch of reads to the stored access records: one read and one write of the store. */
  async #write(batch: ReadonlyMap<string, PendingAccess>, removed: RemovedKeys): Promise<void> {
    const keys = [...batch.keys()];
    const stored = await readRecords(this.#keyv, keys.map(accessKey));
    const now = Date.now();
    const writes: KeyvEntry[] = [];
    keys.forEach((key, i) => {
      const access = batch.get(key)!;
      // Keyv takes a ttl of 0 as "no expiry"; an access record lasts as long as its entry.
      const ttl = access.expiresAt === undefined ? 0 : Math.ceil(access.expiresAt - now);
      if (removed.all || removed.keys.has(key) || (access.expiresAt !== undefined && ttl <= 0)) return;
      const read = stored[i];
      const previous = read?.state === 'value' ? decodeAccess(read.value) : undefined;
      const same = previous !== undefined && previous.createdAt === access.createdAt;
      const record: AccessRecord = {
        createdAt: access.createdAt,
        lastAccess: Math.max(access.lastAccess, same ? previous.lastAccess : 0),
        hits: access.hits + (same ? previous.hits : 0),
      };
      writes.push({ key: accessKey(key), value: encodeAccess(record), ttl });
    });
    if (writes.length > 0) await this.#keyv.setMany(writes);
    // An entry removed while the write was on its way must not keep the access record it made.
    const late = keys.filter((key) => removed.all || removed.keys.has(key));
    if (late.length > 0) await deleteRecords(this.#keyv, late.map(accessKey));
  }
}
