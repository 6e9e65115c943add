/**
 * The in-process backend: bytes (and, when given, the live value) in a Map with an LRU list.
 * The library's default cache.
 */

import { turnNow } from '../../util/clock.ts';
import { hash } from '../../util/hash.ts';
import type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  LiveEntry,
  NodeSignature,
  PruneOptions,
  PruneResult,
  VerifyReport,
} from '../contract.ts';
import {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  countPruned,
  emptyPruneResult,
  emptyVerifyReport,
  expiryOf,
  type HitCounters,
  isClean,
  planPrune,
  summarize,
  UsageCounters,
} from '../kit/shared.ts';

export interface MemoryCacheOptions {
  /**
   * Most entries kept; storing one more evicts the least recently used.
   * @default Infinity
   */
  maxEntries?: number;
  /**
   * Most stored bytes kept (the sum of the byte lengths given to `setBlob`; live values kept
   * next to them are not counted). Storing more evicts the least recently used entries; a
   * single entry larger than this is not kept.
   * @default 268435456 (256 MiB)
   */
  maxBytes?: number;
  /**
   * Milliseconds until an entry expires, for entries stored without a `ttl` of their own.
   * @default undefined (entries do not expire)
   */
  ttl?: number;
}

/**
 * Keeps entries in this process's memory, least recently used evicted first. Stored bytes are
 * kept as given; `getBlob` hands out a copy. When `setBlob` is given `info.value`, that live
 * value is kept too and `peek()` returns it without deserializing: the same object every hit,
 * so callers must not mutate it.
 *
 * @example
 * const cache = new MemoryCache({ maxBytes: 64 * 1024 * 1024 });
 * const square = func({ cache }, (x: number) => x * x);
 */
export class MemoryCache implements CacheBackend {
  readonly name = 'memory';
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #ttl: number | undefined;
  readonly #entries = new Map<string, MemoryEntry>();
  readonly #meta = new Map<string, NodeSignature>();
  readonly #usage = new UsageCounters();
  /** Most recently used end of the LRU list. */
  #newest: MemoryEntry | undefined;
  /** Least recently used end: evicted first. */
  #oldest: MemoryEntry | undefined;
  #bytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    const where = 'MemoryCache options';
    assertLimit(options.maxEntries, 'maxEntries', where);
    assertLimit(options.maxBytes, 'maxBytes', where);
    assertTtl(options.ttl, where);
    this.#maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#ttl = options.ttl;
  }

  /** The live value stored with `key`, if `setBlob` was given one. The hot path of every in-memory hit: no allocation. */
  peek(key: string): LiveEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || !entry.live) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= Date.now()) {
      this.#remove(entry);
      return undefined;
    }
    this.#touch(entry, turnNow());
    return entry;
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    return this.#get(key);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    return keys.map((key) => this.#get(key));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(previous);
    if (value.length > this.#maxBytes) return;
    const now = Date.now();
    const counters = this.#usage.of(info.node);
    const entry = new MemoryEntry(key, value, info, counters, now, expiryOf(info.ttl ?? this.#ttl, now));
    this.#entries.set(key, entry);
    this.#bytes += value.length;
    this.#linkNewest(entry);
    this.#usage.stored(key, counters);
    this.#evictOverLimits();
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return this.#live(key, Date.now()) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const entry = this.#live(key, Date.now());
    if (entry !== undefined) this.#remove(entry);
    return entry !== undefined;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    const signature = this.#meta.get(node);
    return signature === undefined ? undefined : structuredClone(signature);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    // A copy: the caller may go on mutating its object.
    this.#meta.set(signature.node, structuredClone(signature));
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    for (const record of this.#records(Date.now())) {
      if (options.node === undefined || record.node === options.node) yield record;
    }
  }

  async info(): Promise<CacheInfo> {
    return summarize(this.name, undefined, this.#records(Date.now()), this.#usage);
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    const now = Date.now();
    const records: EntryRecord[] = [];
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) records.push(recordOf(entry));
    const result = emptyPruneResult(options);
    for (const record of planPrune(records, options, now)) {
      countPruned(result, record.node, record.bytes, () => record);
      if (options.dryRun) continue;
      const entry = this.#entries.get(record.key);
      if (entry !== undefined) this.#remove(entry);
    }
    return result;
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node === undefined) {
      this.#entries.clear();
      this.#meta.clear();
      this.#newest = undefined;
      this.#oldest = undefined;
      this.#bytes = 0;
      this.#usage.forgetMisses();
      return;
    }
    for (const entry of [...this.#entries.values()]) if (entry.node === options.node) this.#remove(entry);
    this.#meta.delete(options.node);
  }

  /**
   * Re-hashes the bytes of every entry stored with an `outputHash`: one that no longer matches
   * (its bytes were mutated after `setBlob`, which keeps them as given) is removed and reported
   * as corrupt. Entries stored without one have nothing to check against and are not counted.
   */
  async verify(): Promise<VerifyReport> {
    const now = Date.now();
    const report = emptyVerifyReport();
    for (let entry = this.#oldest; entry !== undefined; ) {
      const next = entry.newer;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.#remove(entry);
      else if (entry.outputHash !== undefined) {
        report.checked++;
        if (hash(entry.bytes) !== entry.outputHash) {
          report.corrupt.push(entry.key);
          this.#remove(entry);
        }
      }
      entry = next;
    }
    report.blobs = report.checked;
    report.ok = isClean(report);
    return report;
  }

  async close(): Promise<void> {
    await this.clear();
  }

  #get(key: string): Uint8Array | undefined {
    assertKey(key);
    const now = Date.now();
    const entry = this.#live(key, now);
    if (entry === undefined) {
      this.#usage.miss(key);
      return undefined;
    }
    this.#touch(entry, now);
    // A copy: the caller owns what getBlob returns, and a decoded value may be a view into it.
    return entry.bytes.slice();
  }

  /** The entry under `key` unless it has expired; an expired one is removed. */
  #live(key: string, now: number): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  /** Live records, least recently used first; expired entries are dropped on the way. */
  #records(now: number): EntryRecord[] {
    const records: EntryRecord[] = [];
    for (let entry = this.#oldest; entry !== undefined; ) {
      const next = entry.newer;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.#remove(entry);
      else records.push(recordOf(entry));
      entry = next;
    }
    return records;
  }

  #touch(entry: MemoryEntry, now: number): void {
    entry.hits++;
    entry.lastAccess = now;
    this.#usage.hit(entry.counters);
    if (entry === this.#newest) return;
    this.#unlink(entry);
    this.#linkNewest(entry);
  }

  #evictOverLimits(): void {
    while (
      this.#oldest !== undefined &&
      (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes)
    ) {
      this.#remove(this.#oldest);
    }
  }

  #remove(entry: MemoryEntry): void {
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes.length;
    this.#unlink(entry);
  }

  #linkNewest(entry: MemoryEntry): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest !== undefined) this.#newest.newer = entry;
    this.#newest = entry;
    this.#oldest ??= entry;
  }

  #unlink(entry: MemoryEntry): void {
    if (entry.older !== undefined) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer !== undefined) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}

/** One entry, and its place in the LRU list. `peek()` returns it as the LiveEntry when `live`. */
class MemoryEntry implements LiveEntry {
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
}

function recordOf(entry: MemoryEntry): EntryRecord {
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
