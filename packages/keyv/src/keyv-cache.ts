/**
 * KeyvCache: any Keyv 5 store (Redis, Valkey, SQLite, Postgres, MySQL, MongoDB, etcd, …) as a
 * memoflow cache backend. Keyv stores strings, so the bytes travel as base64 inside a small
 * self-checking envelope (`_records.ts`).
 */
import { hash } from 'node:crypto';
import {
  BackendError,
  type CacheBackend,
  type CacheInfo,
  ConfigError,
  type EntryRecord,
  type PruneOptions,
  type PruneResult,
  type VerifyReport,
} from '@memoflow/core';
import {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  countPruned,
  type EntryInfo,
  emptyPruneResult,
  emptyVerifyReport,
  isClean,
  type NodeSignature,
  planPrune,
  summarize,
  UsageCounters,
} from '@memoflow/core/backend-kit';
import type { Keyv } from 'keyv';
import { AccessLog } from './_access.ts';
import {
  canIterate,
  deleteRecords,
  isKeyv,
  locationOf,
  type RawRead,
  readRecords,
  storedKey,
} from './_keyv-io.ts';
import {
  accessKey,
  decodeMeta,
  decodePayload,
  type EntryHeader,
  encodeEntry,
  encodeMeta,
  entryKey,
  metaKey,
  readEntry,
} from './_records.ts';
import { recordsOf, type Scan, type ScanDepth, scanCache, staleAccess } from './_scan.ts';

export interface KeyvCacheOptions {
  /**
   * Milliseconds until an entry expires, for entries stored without a `ttl` of their own. Expiry
   * is Keyv's: the store's native TTL where it has one (Redis `PX`), else Keyv's check on read.
   * @default the Keyv's own `ttl`, if it has one; otherwise entries do not expire
   */
  ttl?: number;
  /**
   * Record reads, so that `prune()` removes the least recently used entries first and
   * `entries()` reports hits. Reads are gathered in memory and written together (one read and
   * one write of small records per second, or per thousand keys read, and before any listing):
   * a hit costs no write of its own. Set `false` for a client that must not write on reads;
   * `prune()` then orders entries by creation time.
   * @default true
   */
  trackAccess?: boolean;
  /**
   * Whether `close()` disconnects the Keyv's store (`keyv.disconnect()`). Set `false` when the
   * Keyv is shared with other code that goes on using it.
   * @default true
   */
  disconnect?: boolean;
}

/** `info()` of a KeyvCache: the common totals, plus what only this backend knows. */
export interface KeyvCacheInfo extends CacheInfo {
  /** The Keyv namespace the cache's records live under, if the Keyv has one. */
  namespace?: string;
  /** Corrupt or undecodable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}

/** Keys per store call when reading many. */
const READ_BATCH = 1_000;

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
export class KeyvCache implements CacheBackend {
  readonly name = 'keyv';
  readonly #keyv: Keyv;
  readonly #ttl: number | undefined;
  readonly #disconnect: boolean;
  readonly #usage = new UsageCounters();
  #corrupt = 0;
  /** Reads not yet written; undefined with `trackAccess: false`. */
  readonly #accesses: AccessLog | undefined;

  constructor(keyv: Keyv, options: KeyvCacheOptions = {}) {
    if (!isKeyv(keyv)) {
      throw new ConfigError(
        `KeyvCache expects a Keyv 5 instance, got ${quote(keyv)}. Pass \`new Keyv(store)\` (or @keyv/redis's \`createKeyv(url)\`).`,
      );
    }
    const where = 'KeyvCache options';
    assertTtl(options.ttl, where);
    for (const name of ['trackAccess', 'disconnect'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'boolean') {
        throw new ConfigError(`Invalid \`${name}\` ${quote(options[name])} in ${where}: expected a boolean.`);
      }
    }
    this.#keyv = keyv;
    this.#ttl = options.ttl;
    this.#accesses = options.trackAccess === false ? undefined : new AccessLog(keyv);
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

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info?.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const createdAt = Date.now();
    const ttl = this.#ttlOf(info.ttl);
    const computeMs = info.computeMs;
    const header: EntryHeader = {
      key,
      node: info.node,
      bytes: value.length,
      createdAt,
      ...(ttl === undefined ? {} : { expiresAt: createdAt + ttl }),
      ...(typeof computeMs === 'number' && Number.isFinite(computeMs) && computeMs >= 0 ? { computeMs } : {}),
      sha256: hash('sha256', value, 'hex'),
    };
    this.#accesses?.forget([key]);
    await this.#write(
      entryKey(key),
      encodeEntry(header, value),
      ttl,
      `store entry ${key} of node \`${info.node}\``,
    );
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  /**
   * Whether an entry is stored under `key`. Asks the store when it can answer without sending the
   * value (Redis: EXISTS), so a damaged entry counts until a read removes it.
   */
  async has(key: string): Promise<boolean> {
    assertKey(key);
    const store = this.#keyv.store;
    if (typeof store.has === 'function' && !(store instanceof Map)) {
      try {
        return (await store.has(storedKey(this.#keyv, entryKey(key)))) === true;
      } catch (error) {
        throw this.#failure(`look up entry ${key}`, error);
      }
    }
    const [read] = await this.#read([entryKey(key)], `look up entry ${key}`);
    const entry = read?.state === 'value' ? readEntry(key, read.value) : undefined;
    const expiresAt = entry?.header.expiresAt;
    return entry !== undefined && (expiresAt === undefined || expiresAt > Date.now());
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    this.#accesses?.forget([key]);
    const store = this.#keyv.store;
    try {
      const [removed] = await Promise.all([
        store.delete(storedKey(this.#keyv, entryKey(key))),
        store.delete(storedKey(this.#keyv, accessKey(key))),
      ]);
      return removed === true;
    } catch (error) {
      throw this.#failure(`delete entry ${key}`, error);
    }
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    const [read] = await this.#read([metaKey(node)], `read the signature of node \`${node}\``);
    if (read === undefined || read.state === 'absent' || read.state === 'expired') return undefined;
    const signature = read.state === 'value' ? decodeMeta(node, read.value) : undefined;
    if (signature === undefined) await this.#removeRecords([metaKey(node)]).catch(() => {});
    return signature;
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature?.node);
    await this.#write(
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
  async info(): Promise<KeyvCacheInfo> {
    const scan = await this.#walk('info()', 'headers');
    const location = locationOf(this.#keyv);
    const namespace = this.#keyv.namespace;
    return {
      ...summarize(this.name, location, recordsOf(scan), this.#usage),
      ...(namespace === undefined ? {} : { namespace }),
      corrupt: this.#corrupt,
    };
  }

  /**
   * Removes expired entries, entries unused for `maxAge`, then the least recently used until the
   * limits hold. "Used" is the last read this or any other instance flushed (see `trackAccess`),
   * else the creation time.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const where = 'prune() options';
    assertLimit(options.maxAge, 'maxAge', where);
    assertLimit(options.maxBytes, 'maxBytes', where);
    assertLimit(options.maxEntries, 'maxEntries', where);
    const scan = await this.#walk('prune()', 'headers', !options.dryRun);
    const removed = planPrune(recordsOf(scan), options, Date.now());
    const result = emptyPruneResult(options);
    for (const record of removed) countPruned(result, record.node, record.bytes, () => record);
    if (!options.dryRun) await this.#removeEntries(removed.map((record) => record.key));
    return result;
  }

  /**
   * Removes every record of this cache in the Keyv's namespace (entries, their access records
   * and node signatures), or one node's entries and signature. Nothing else in the namespace or
   * the store is touched: only keys that are exactly this cache's record keys are removed.
   */
  async clear(options: { node?: string } = {}): Promise<void> {
    const { node } = options;
    if (node !== undefined) assertNode(node);
    if (node === undefined) {
      this.#assertIterable('clear()');
      this.#accesses?.forgetAll();
      const scan = await this.#scan('clear()', 'keys');
      await this.#removeRecords([...scan.all]);
      this.#usage.forgetMisses();
      return;
    }
    const scan = await this.#scan('clear({ node })', 'headers');
    const keys = [...scan.entries].filter(([, header]) => header.node === node).map(([key]) => key);
    await this.#removeEntries(keys);
    await this.#removeRecords([metaKey(node)]);
  }

  /**
   * Reads every entry and re-hashes its bytes: damaged ones are removed and reported in `corrupt`;
   * access and signature records that do not decode are removed and counted in `damagedRecords`.
   * Access records left behind by an entry removed elsewhere are removed too, silently: they hold
   * no data. (`missing` and `orphans` stay empty: an entry and its bytes are one record.)
   */
  async verify(): Promise<VerifyReport> {
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
    if (!this.#disconnect) return;
    try {
      await this.#keyv.disconnect();
    } catch (error) {
      throw this.#failure('disconnect', error);
    }
  }

  /** Reads entries: a hit, or a miss for one absent, expired or damaged (which is removed). */
  async #serve(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    if (keys.length === 0) return [];
    const what = keys.length === 1 ? `read entry ${keys[0]}` : `read ${keys.length} entries`;
    const reads = await this.#read(keys.map(entryKey), what);
    const now = Date.now();
    const damaged = new Set<string>();
    const expired = new Set<string>();
    const values = keys.map((key, i) => {
      const read = reads[i] ?? { state: 'absent' };
      const entry = read.state === 'value' ? readEntry(key, read.value) : undefined;
      const expiresAt = entry?.header.expiresAt;
      let bytes: Uint8Array | undefined;
      if (read.state === 'expired' || (expiresAt !== undefined && expiresAt <= now)) expired.add(key);
      else if (read.state !== 'absent') {
        bytes = entry === undefined ? undefined : decodePayload(entry);
        if (bytes === undefined) damaged.add(key);
      }
      if (bytes === undefined) this.#usage.miss(key);
      else {
        this.#usage.hit(this.#usage.of(entry!.header.node));
        this.#accesses?.touch(key, entry!.header, now);
      }
      return bytes;
    });
    if (damaged.size + expired.size > 0) {
      this.#corrupt += damaged.size;
      // A miss is never a throw: a removal that fails leaves the record for the next read to find.
      await this.#removeEntries([...damaged, ...expired]).catch(() => {});
    }
    return values;
  }

  async #read(recordKeys: readonly string[], what: string): Promise<RawRead[]> {
    try {
      return await readRecords(this.#keyv, recordKeys);
    } catch (error) {
      throw this.#failure(what, error);
    }
  }

  /** Stores one record through Keyv; `ttl` undefined means it never expires, whatever the Keyv's default. */
  async #write(recordKey: string, text: string, ttl: number | undefined, what: string): Promise<void> {
    let stored: boolean;
    try {
      // Keyv takes 0 as "no expiry"; undefined would give the record the Keyv's default ttl.
      stored = await this.#keyv.set(recordKey, text, ttl === undefined ? 0 : Math.ceil(ttl));
    } catch (error) {
      throw this.#failure(what, error);
    }
    if (!stored) {
      throw this.#failure(
        what,
        'Keyv reported that the store did not take the write. The store error went to the Keyv `error` event; create the Keyv with `throwOnErrors: true` to get it as this error’s cause',
      );
    }
  }

  /** The effective ttl of an entry: its own, this cache's, the Keyv's; undefined when it never expires. */
  #ttlOf(entryTtl: number | undefined): number | undefined {
    const ttl: unknown = entryTtl ?? this.#ttl ?? this.#keyv.ttl;
    return typeof ttl === 'number' && ttl > 0 && Number.isFinite(ttl) ? ttl : undefined;
  }

  /** A walk for a listing: reads flushed first, damaged and expired records removed after (unless `clean` is false). */
  async #walk(operation: string, depth: ScanDepth, clean = true): Promise<Scan> {
    await this.#accesses?.flush();
    const scan = await this.#scan(operation, depth);
    if (!clean) return scan;
    this.#corrupt += scan.damaged.size;
    await this.#removeEntries([...scan.damaged, ...scan.expired]);
    await this.#removeRecords([...scan.damagedRecords, ...staleAccess(scan)]);
    return scan;
  }

  async #scan(operation: string, depth: ScanDepth): Promise<Scan> {
    this.#assertIterable(operation);
    try {
      return await scanCache(this.#keyv, depth);
    } catch (error) {
      throw this.#failure(`list entries for ${operation}`, error);
    }
  }

  #assertIterable(operation: string): void {
    if (canIterate(this.#keyv)) return;
    throw new ConfigError(
      `KeyvCache cannot run ${operation}: the Keyv's store (${storeName(this.#keyv)}) cannot list its keys, and ${operation} walks every entry. Give KeyvCache a Keyv whose store Keyv can iterate (Redis, Valkey, SQLite, Postgres, MySQL, MongoDB, etcd, or a Map), or leave cleanup to the store itself: entries stored with a \`ttl\` expire there.`,
    );
  }

  /** Removes entries with their access records, and forgets their unwritten reads. */
  async #removeEntries(keys: readonly string[]): Promise<void> {
    this.#accesses?.forget(keys);
    await this.#removeRecords(keys.flatMap((key) => [entryKey(key), accessKey(key)]));
  }

  async #removeRecords(recordKeys: readonly string[]): Promise<void> {
    try {
      await deleteRecords(this.#keyv, recordKeys);
    } catch (error) {
      throw this.#failure(`remove ${recordKeys.length} records`, error);
    }
  }

  #failure(what: string, error: unknown): BackendError {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/\.+$/, '');
    const namespace = this.#keyv.namespace;
    const where = [
      locationOf(this.#keyv) ?? storeName(this.#keyv),
      namespace && `namespace ${quote(namespace)}`,
    ]
      .filter(Boolean)
      .join(', ');
    return new BackendError(this.name, `KeyvCache could not ${what} (${where}): ${reason}.`, {
      cause: error,
    });
  }
}

function storeName(keyv: Keyv): string {
  return keyv.store?.constructor?.name || 'a Keyv store';
}

/** Quotes a value for an error message: short, one line. */
function quote(value: unknown): string {
  let text: string;
  try {
    text =
      typeof value === 'function'
        ? `[function ${value.name || 'anonymous'}]`
        : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
