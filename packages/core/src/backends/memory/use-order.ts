/** MemoryCache's entries and the order they were used in: a doubly linked list, least recently used first. */
import type { EntryInfo, EntryRecord, LiveEntry } from '../contract.ts';
import type { HitCounters } from '../kit/index.ts';

/** One entry, and its place in the use order. `peek()` returns it as the LiveEntry when `live`. */
export class MemoryEntry implements LiveEntry {
  readonly value: unknown;
  /** Whether `setBlob` was given a value (which may itself be `undefined`). */
  readonly live: boolean;
  readonly node: string;
  readonly computeMs: number | undefined;
  readonly outputHash: string | undefined;
  hits = 0;
  lastAccess: number;
  newer: MemoryEntry | undefined = undefined;
  older: MemoryEntry | undefined = undefined;

  constructor(
    readonly key: string,
    readonly bytes: Uint8Array,
    info: EntryInfo,
    readonly counters: HitCounters,
    readonly createdAt: number,
    /** 0 when the entry does not expire. */
    readonly expiresAt: number,
  ) {
    this.live = 'value' in info;
    this.value = info.value;
    this.node = info.node;
    this.computeMs = info.computeMs;
    this.outputHash = info.outputHash;
    this.lastAccess = createdAt;
  }

  /** Whether the entry has expired at `now`. */
  expired(now: number): boolean {
    return this.expiresAt !== 0 && this.expiresAt <= now;
  }
}

/** The listing record of an entry. */
export function recordOf(entry: MemoryEntry): EntryRecord {
  return {
    key: entry.key,
    node: entry.node,
    bytes: entry.bytes.length,
    createdAt: entry.createdAt,
    lastAccess: entry.lastAccess,
    ...(entry.expiresAt === 0 ? {} : { expiresAt: entry.expiresAt }),
    ...(entry.computeMs === undefined ? {} : { computeMs: entry.computeMs }),
    hits: entry.hits,
  };
}

/** Entries from the least recently used (evicted first) to the most recently used. */
export class UseOrder {
  /** Most recently used end. */
  newest: MemoryEntry | undefined;
  /** Least recently used end: evicted first. */
  oldest: MemoryEntry | undefined;

  /** Moves a listed entry to the most recently used end: a hit. */
  use(entry: MemoryEntry): void {
    if (entry === this.newest) return;
    this.unlink(entry);
    this.linkNewest(entry);
  }

  /** Lists an entry not listed yet at the most recently used end: a store. */
  linkNewest(entry: MemoryEntry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = entry;
    this.newest = entry;
    this.oldest ??= entry;
  }

  unlink(entry: MemoryEntry): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  clear(): void {
    this.newest = undefined;
    this.oldest = undefined;
  }
}
