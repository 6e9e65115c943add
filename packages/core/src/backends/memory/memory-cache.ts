/**
 * The in-process backend: bytes (and, when given, the live value) in a Map with an LRU list.
 * The library's default cache.
 */

import { turnNow } from '../../util/clock.ts';
import { hash } from '../../util/hash.ts';
import type { EntryInfo, EntryRecord, LiveEntry, NodeSignature, VerifyReport } from '../contract.ts';
import {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  emptyVerifyReport,
  expiryOf,
  isClean,
  ListedCache,
  type ListingPurpose,
  RunList,
} from '../kit/index.ts';
import { MemoryEntry, recordOf, UseOrder } from './use-order.ts';

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
export class MemoryCache extends ListedCache {
  readonly name = 'memory';
  /**
   * The runs recorded here, kept in memory as given (not copied): the newest `keep` of them, and
   * no more than 100,000 node lines in all (`RunList`); `clear()` removes them.
   */
  readonly runs = new RunList();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #ttl: number | undefined;
  readonly #entries = new Map<string, MemoryEntry>();
  readonly #meta = new Map<string, NodeSignature>();
  readonly #order = new UseOrder();
  #bytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    super();
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
    // The clock is read only for an entry that can expire: a hit on one that cannot costs no Date.now().
    if (entry.expiresAt !== 0 && entry.expired(Date.now())) {
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
    const counters = this.usage.of(info.node);
    const entry = new MemoryEntry(key, value, info, counters, now, expiryOf(info.ttl ?? this.#ttl, now));
    this.#entries.set(key, entry);
    this.#bytes += value.length;
    this.#order.linkNewest(entry);
    this.usage.stored(key, counters);
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

  /** `prune()` lists every entry, expired ones too (it counts them), least recently used first. */
  protected override listFor(purpose: ListingPurpose): AsyncIterable<EntryRecord> {
    if (purpose !== 'prune()') return this.entries();
    const records: EntryRecord[] = [];
    for (let entry = this.#order.oldest; entry !== undefined; entry = entry.newer)
      records.push(recordOf(entry));
    return iterate(records);
  }

  protected override async removeKeys(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry !== undefined) this.#remove(entry);
    }
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node === undefined) {
      this.#entries.clear();
      this.#meta.clear();
      this.#order.clear();
      this.#bytes = 0;
      this.usage.forgetMisses();
      this.runs.clear();
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
  override async verify(): Promise<VerifyReport> {
    const now = Date.now();
    const report = emptyVerifyReport();
    for (let entry = this.#order.oldest; entry !== undefined; ) {
      const next = entry.newer;
      if (entry.expired(now)) this.#remove(entry);
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
      this.usage.miss(key);
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
    if (entry.expired(now)) {
      this.#remove(entry);
      return undefined;
    }
    return entry;
  }

  /** Live records, least recently used first; expired entries are dropped on the way. */
  #records(now: number): EntryRecord[] {
    const records: EntryRecord[] = [];
    for (let entry = this.#order.oldest; entry !== undefined; ) {
      const next = entry.newer;
      if (entry.expired(now)) this.#remove(entry);
      else records.push(recordOf(entry));
      entry = next;
    }
    return records;
  }

  #touch(entry: MemoryEntry, now: number): void {
    entry.hits++;
    entry.lastAccess = now;
    this.usage.hit(entry.counters);
    this.#order.use(entry);
  }

  #evictOverLimits(): void {
    const order = this.#order;
    while (
      order.oldest !== undefined &&
      (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes)
    ) {
      this.#remove(order.oldest);
    }
  }

  #remove(entry: MemoryEntry): void {
    this.#entries.delete(entry.key);
    this.#bytes -= entry.bytes.length;
    this.#order.unlink(entry);
  }
}

async function* iterate<T>(items: readonly T[]): AsyncIterable<T> {
  yield* items;
}
