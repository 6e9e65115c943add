import {
  AccessBatch,
  assertKey,
  assertNode,
  assertTtl,
  type EntryInfo,
  type EntryRecord,
  emptyVerifyReport,
  isClean,
  ListedCache,
  type ListingPurpose,
  type NodeSignature,
  type VerifyReport,
} from '@memoflow/core/backend-kit';
import type { Keyv } from 'keyv';
import { accessWriter } from './_access.ts';
import type { KeyvCacheInfo } from './_info.ts';
import { checkArguments, type KeyvCacheOptions } from './_options.ts';
import { READ_BATCH, servedReads, storedComputeTimes } from './_reads.ts';
import {
  accessKey,
  decodeMeta,
  encodeEntry,
  encodeMeta,
  entryHeader,
  entryKey,
  metaKey,
  readEntry,
} from './_records.ts';
import { KeyvRunHistory } from './_runs.ts';
import { recordsOf, type Scan, type ScanDepth, staleAccess } from './_scan.ts';
import { KeyvRecords } from './_store.ts';

export type { KeyvCacheInfo } from './_info.ts';
export type { KeyvCacheOptions } from './_options.ts';

/**
 * A cache backend in any Keyv 5 store. Each entry is one Keyv record holding its node, size,
 * creation time, compute time, expiry, sha256 and the bytes as base64: a read checks the length
 * and the hash, so a damaged, truncated or misplaced record is a miss (removed and counted in
 * `info().corrupt`), never a wrong value. Decoding is `JSON.parse` of a small header and a base64
 * decode: nothing stored can run code.
 *
 * Cost of base64 (measured on Node 20 with @keyv/redis, bench/keyv-cache.bench.ts): a record is
 * 4/3 of the bytes plus ≈270 B of header and Keyv's JSON, so 1 KiB is stored as 1,639 B (+60%) and
 * 1 MiB as 1.33 MiB (+33%). Encoding (sha256, base64) and decoding (base64, sha256 check) take
 * 4–5 µs each at 1 KiB and 1.2–2 ms at 1 MiB; Keyv's own JSON of the record adds 7–10 µs (both
 * ways) at 1 KiB and 5–7 ms at 1 MiB. A 1 KiB hit costs 1.1–2x a bare `keyv.get` of the same
 * bytes. For large values in Redis, RedisCache stores bytes as they are.
 *
 * Limits:
 * - `entries()`, `info()`, `prune()`, `clear()` and `verify()` walk the namespace with the
 *   store's iterator, which fetches every value: each costs a read of the whole cache (Redis:
 *   SCAN of the database, 10 keys per round trip). A store Keyv cannot iterate makes them throw
 *   a `ConfigError` (code `CONFIG`); reads and writes still work.
 * - The store's own eviction (Redis `maxmemory`) is the size bound: KeyvCache enforces no
 *   `maxBytes` or `maxEntries` on writes. Use `prune()` to trim it.
 * - Reads made by other processes count for `prune()` once those processes flush them (every
 *   second, and on `close()`). Hit counts from several processes are summed with
 *   read-then-write, so concurrent flushes can lose some.
 * - Store failures: Keyv and @keyv/redis swallow some by default (reported only through the
 *   Keyv's `error` event): with their defaults an unreachable Redis makes reads misses and writes
 *   `BackendError`s, and a write the server refuses looks like a success. Create the Keyv with
 *   `throwOnErrors: true` to have every failure raised as a `BackendError` (code `BACKEND`) with
 *   the store's error as its `cause`; core treats a failing backend as a miss and warns once.
 * - No circuit breaker: while the store is down, every call waits for the adapter's own attempt
 *   to connect. @keyv/redis waits forever unless given a `connectionTimeout`; give it one.
 *
 * @example
 * import { createKeyv } from '@keyv/redis';
 * const keyv = createKeyv('redis://localhost:6379', { namespace: 'my-project', throwOnErrors: true, connectionTimeout: 1_000 });
 * const cache = new KeyvCache(keyv);
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class KeyvCache extends ListedCache {
  readonly name = 'keyv';
  /** Where the store's data lives, when it says (its URL, without credentials). */
  override readonly location: string | undefined;
  /** The runs recorded here: `memoflow:run:<id>` and their index; `clear()` removes them. */
  readonly runs: KeyvRunHistory;
  readonly #keyv: Keyv;
  readonly #records: KeyvRecords;
  readonly #ttl: number | undefined;
  readonly #disconnect: boolean;
  #corrupt = 0;
  /** Reads not yet written; undefined with `trackAccess: false`. */
  readonly #accesses: AccessBatch | undefined;

  constructor(keyv: Keyv, options: KeyvCacheOptions = {}) {
    super();
    checkArguments(keyv, options);
    this.#keyv = keyv;
    this.#records = new KeyvRecords(keyv);
    this.location = this.#records.location;
    this.runs = new KeyvRunHistory(this.#records);
    this.#ttl = options.ttl;
    this.#accesses = options.trackAccess === false ? undefined : new AccessBatch(accessWriter(keyv));
    this.#disconnect = options.disconnect ?? true;
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const [value] = await this.#serve([key]);
    return value;
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    const values: (Uint8Array | undefined)[] = [];
    for (let i = 0; i < keys.length; i += READ_BATCH)
      values.push(...(await this.#serve(keys.slice(i, i + READ_BATCH))));
    return values;
  }

  /** The compute time each entry's record keeps, from one batched read; undefined where none. */
  async computeTimes(keys: readonly string[]): Promise<(number | undefined)[]> {
    for (const key of keys) assertKey(key);
    return storedComputeTimes(this.#records, keys);
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info?.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const ttl = this.#ttlOf(info.ttl);
    const header = entryHeader(key, value, info.node, Date.now(), ttl, info.computeMs);
    this.#accesses?.forget([key]);
    await this.#records.write(
      entryKey(key),
      encodeEntry(header, value),
      ttl,
      `store entry ${key} of node \`${info.node}\``,
    );
    this.usage.stored(key, this.usage.of(info.node));
  }

  /**
   * Whether an entry is stored under `key`. Asks the store when it can answer without sending the
   * value (Redis: EXISTS), so a damaged entry counts until a read removes it.
   */
  async has(key: string): Promise<boolean> {
    assertKey(key);
    const exists = await this.#records.exists(entryKey(key), `look up entry ${key}`);
    if (exists !== undefined) return exists;
    const [read] = await this.#records.read([entryKey(key)], `look up entry ${key}`);
    const entry = read?.state === 'value' ? readEntry(key, read.value) : undefined;
    const expiresAt = entry?.header.expiresAt;
    return entry !== undefined && (expiresAt === undefined || expiresAt > Date.now());
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    this.#accesses?.forget([key]);
    const [removed] = await this.#records.deleteEach([entryKey(key), accessKey(key)], `delete entry ${key}`);
    return removed === true;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    const [read] = await this.#records.read([metaKey(node)], `read the signature of node \`${node}\``);
    if (read === undefined || read.state === 'absent' || read.state === 'expired') return undefined;
    const signature = read.state === 'value' ? decodeMeta(node, read.value) : undefined;
    if (signature === undefined) await this.#records.remove([metaKey(node)]).catch(() => {});
    return signature;
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature?.node);
    await this.#records.write(
      metaKey(signature.node),
      encodeMeta(signature),
      undefined,
      `store the signature of node \`${signature.node}\``,
    );
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    if (options.node !== undefined) assertNode(options.node);
    const scan = await this.#walk('entries()', 'headers');
    for (const record of recordsOf(scan)) {
      if (options.node === undefined || record.node === options.node) yield record;
    }
  }

  /** What the cache holds, from a walk of its namespace; hits and misses are this instance's. */
  override async info(): Promise<KeyvCacheInfo> {
    const totals = await super.info();
    const namespace = this.#keyv.namespace;
    return { ...totals, ...(namespace === undefined ? {} : { namespace }), corrupt: this.#corrupt };
  }

  /**
   * The walk `info()` and `prune()` work on. For `prune()`, "used" is the last read this or any
   * other instance flushed (see `trackAccess`), else the creation time; a dry run removes nothing
   * on the way, not even expired or damaged records.
   */
  protected override async *listFor(
    purpose: ListingPurpose,
    options: { dryRun: boolean },
  ): AsyncIterable<EntryRecord> {
    yield* recordsOf(await this.#walk(purpose, 'headers', !options.dryRun));
  }

  protected override removeKeys(keys: readonly string[]): Promise<void> {
    return this.#removeEntries(keys);
  }

  /**
   * Removes every record of this cache in the Keyv's namespace (entries, their access records,
   * node signatures and runs), or one node's entries and signature. Nothing else in the namespace or
   * the store is touched: only keys that are exactly this cache's record keys are removed.
   */
  async clear(options: { node?: string } = {}): Promise<void> {
    const { node } = options;
    if (node !== undefined) assertNode(node);
    if (node === undefined) {
      this.#records.assertIterable('clear()');
      this.#accesses?.forgetAll();
      const scan = await this.#records.scan('clear()', 'keys');
      await this.#records.remove([...scan.all]);
      await this.runs.clear();
      this.usage.forgetMisses();
      return;
    }
    const scan = await this.#records.scan('clear({ node })', 'headers');
    const keys = [...scan.entries].filter(([, header]) => header.node === node).map(([key]) => key);
    await this.#removeEntries(keys);
    await this.#records.remove([metaKey(node)]);
  }

  /**
   * Reads every entry and re-hashes its bytes: damaged ones are removed and reported in `corrupt`;
   * access and signature records that do not decode are removed and counted in `damagedRecords`.
   * Access records left behind by an entry removed elsewhere are removed too, silently: they hold
   * no data. (`missing` and `orphans` stay empty: an entry and its bytes are one record.)
   */
  override async verify(): Promise<VerifyReport> {
    const scan = await this.#walk('verify()', 'payloads');
    const report = emptyVerifyReport();
    report.checked = scan.entries.size + scan.damaged.size;
    report.blobs = report.checked;
    report.corrupt = [...scan.damaged];
    report.damagedRecords = scan.damagedRecords.size;
    report.ok = isClean(report);
    return report;
  }

  /** Writes the reads gathered so far and, unless `disconnect: false`, disconnects the Keyv's store. */
  async close(): Promise<void> {
    await this.#accesses?.flush();
    if (this.#disconnect) await this.#records.disconnect();
  }

  /** Reads entries: a hit, or a miss for one absent, expired or damaged (which is removed). */
  async #serve(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    const what = keys.length === 1 ? `read entry ${keys[0]}` : `read ${keys.length} entries`;
    const reads = await this.#records.read(keys.map(entryKey), what);
    const now = Date.now();
    const { values, headers, damaged, expired } = servedReads(keys, reads, now);
    keys.forEach((key, i) => {
      const header = headers[i];
      if (header === undefined) this.usage.miss(key);
      else {
        this.usage.hit(this.usage.of(header.node));
        this.#accesses?.note(key, now, header);
      }
    });
    if (damaged.length + expired.length > 0) {
      this.#corrupt += damaged.length;
      // A miss is never a throw: a removal that fails leaves the record for the next read to find.
      await this.#removeEntries([...damaged, ...expired]).catch(() => {});
    }
    return values;
  }

  /** The effective ttl of an entry: its own, this cache's, the Keyv's; undefined when it never expires. */
  #ttlOf(entryTtl: number | undefined): number | undefined {
    const ttl: unknown = entryTtl ?? this.#ttl ?? this.#keyv.ttl;
    return typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? ttl : undefined;
  }

  /** A walk for a listing: reads flushed first, damaged and expired records removed after (unless `clean` is false). */
  async #walk(operation: string, depth: ScanDepth, clean = true): Promise<Scan> {
    await this.#accesses?.flush();
    const scan = await this.#records.scan(operation, depth);
    if (!clean) return scan;
    this.#corrupt += scan.damaged.size;
    await this.#removeEntries([...scan.damaged, ...scan.expired]);
    await this.#records.remove([...scan.damagedRecords, ...staleAccess(scan)]);
    return scan;
  }

  /** Removes entries with their access records, and forgets their unwritten reads. */
  async #removeEntries(keys: readonly string[]): Promise<void> {
    this.#accesses?.forget(keys);
    await this.#records.remove(keys.flatMap((key) => [entryKey(key), accessKey(key)]));
  }
}
