/**
 * The embedded persistent backend: content-addressed blob files and an LMDB index, bounded,
 * crash-safe and safe for many processes at once.
 */
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { turnNow } from './_clock.ts';
import { blobPath, readBlob, removeBlob, writeBlob } from './_disk-blob.ts';
import { removeDirectory, removeOlderThan, tempPathIn } from './_disk-fs.ts';
import { type Access, DiskIndex, type IndexRow } from './_disk-index.ts';
import { infoOf, planPrune, recordOf } from './_disk-manage.ts';
import {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  expiryOf,
  UsageCounters,
} from './_disk-memory-shared.ts';
import { exportCache, importCache, type TransferResult } from './_disk-transfer.ts';
import { type VerifyReport, verifyIndex } from './_disk-verify.ts';
import { hash } from './_hash.ts';
import type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  NodeSignature,
  PruneOptions,
  PruneResult,
} from './backend.ts';
import { BackendError, ConfigError, quote } from './errors.ts';

export type { TransferResult } from './_disk-transfer.ts';
export type { VerifyReport } from './_disk-verify.ts';

export interface DiskCacheOptions {
  /**
   * The cache directory, resolved against the working directory when the cache is created.
   * Created on the first write.
   * @default process.env.MEMOFLOW_CACHE_DIR ?? '.memoflow'
   */
  dir?: string;
  /** Milliseconds until an entry expires, for entries stored without a `ttl` of their own. @default no expiry */
  ttl?: number;
  /** Bytes of stored values the cache keeps; on every write, least recently used entries go first. @default no limit */
  maxBytes?: number;
  /** Entries the cache keeps; enforced on every write, least recently used first. @default no limit */
  maxEntries?: number;
  /** Milliseconds an entry may go unused; older ones are removed on every write. @default no limit */
  maxAge?: number;
}

/** `info()` of a DiskCache: the common totals, plus what only a disk has. */
export interface DiskCacheInfo extends CacheInfo {
  /** The absolute cache directory. */
  location: string;
  /** Corrupt, truncated or unreadable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}

/** Access times and hits gathered in memory are written at most this often, or once this many keys were read. */
const ACCESS_FLUSH_MS = 1_000;
const ACCESS_FLUSH_HITS = 1_000;
const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Stores values under `<dir>/v2/`:
 *
 * - `blobs/<2 hex>/<sha256>`: each distinct value once, however many signatures produced it;
 *   a header with its length and CRC32, checked on every read, then the bytes. Written to
 *   `tmp/` and renamed into place, so no reader ever sees part of one.
 * - `index/`: an LMDB environment mapping signature keys to blobs, with what management needs
 *   (node, size, created, last access, hits, compute time), the LRU order, blob reference counts,
 *   totals and each node's last signature. Transactional, and shared safely by processes.
 *
 * `maxBytes`, `maxEntries` and `maxAge` are enforced on every write, least recently used first.
 * Hits do not write: access times and hit counts are gathered in memory and written in one
 * transaction every second (or thousand hits, or on `close()`).
 *
 * @example
 * const cache = new DiskCache({ dir: '.memoflow', maxBytes: 10 * 2 ** 30 });
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class DiskCache implements CacheBackend {
  readonly name = 'disk';
  /** The absolute cache directory. */
  readonly dir: string;
  readonly #ttl: number | undefined;
  readonly #limits: { maxBytes: number; maxEntries: number; maxAge: number };
  readonly #blobs: string;
  readonly #temp: string;
  readonly #indexPath: string;
  readonly #usage = new UsageCounters();
  #index: DiskIndex | undefined;
  #corrupt = 0;
  #accesses = new Map<string, Access>();
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: DiskCacheOptions = {}) {
    const where = 'DiskCache options';
    assertTtl(options.ttl, where);
    assertLimit(options.maxBytes, 'maxBytes', where);
    assertLimit(options.maxEntries, 'maxEntries', where);
    assertLimit(options.maxAge, 'maxAge', where);
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
      throw new ConfigError(
        `Invalid \`dir\` ${quote(options.dir)} in DiskCache options: expected a directory path.`,
      );
    }
    this.#ttl = options.ttl;
    this.#limits = {
      maxBytes: options.maxBytes ?? Number.POSITIVE_INFINITY,
      maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY,
      maxAge: options.maxAge ?? Number.POSITIVE_INFINITY,
    };
    this.dir = resolve(options.dir ?? (process.env.MEMOFLOW_CACHE_DIR || '.memoflow'));
    const root = join(this.dir, 'v2');
    this.#blobs = join(root, 'blobs');
    this.#temp = join(root, 'tmp');
    this.#indexPath = join(root, 'index');
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    return this.#get(key);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    return keys.map((key) => this.#get(key));
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    const row = this.#openIndex(false)?.get(key);
    return row !== undefined && !expired(row, Date.now()) && fs.existsSync(blobPath(this.#blobs, row.o));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const blob = hash(value);
    const now = Date.now();
    const row: IndexRow = {
      o: blob,
      n: info.node,
      b: value.length,
      c: now,
      e: expiryOf(info.ttl ?? this.#ttl, now),
      m: info.computeMs ?? -1,
      a: now,
      h: 0,
    };
    if (value.length > this.#limits.maxBytes) {
      // A value larger than the whole cache is not kept, and evicts nothing; an older value under the key goes.
      await this.delete(key);
      return;
    }
    try {
      writeBlob(this.#blobs, this.#temp, blob, value);
      const ensureBlob = () => writeBlob(this.#blobs, this.#temp, blob, value);
      const index = this.#openIndex(true)!;
      await index.put(key, row, this.#limits, this.#takeAccesses(), ensureBlob, this.#releaseBlob);
    } catch (error) {
      throw this.#failure(`Cannot store entry ${key} of node \`${info.node}\``, error);
    }
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const index = this.#openIndex(false);
    if (!index?.get(key)) return false;
    this.#accesses.delete(key);
    await index.remove([key], this.#releaseBlob);
    return true;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    return this.#openIndex(false)?.getMeta(node);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    await this.#openIndex(true)!.setMeta(signature);
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    if (options.node !== undefined) assertNode(options.node);
    const index = this.#openIndex(false);
    if (!index) return;
    await this.#flushAccesses();
    const now = Date.now();
    for (const [key, row] of index.rows(options.node)) if (!expired(row, now)) yield recordOf(key, row);
  }

  /** What the cache holds, from totals kept with every write: no scan, however many entries. */
  async info(): Promise<DiskCacheInfo> {
    const index = this.#openIndex(false);
    if (index) {
      await this.#flushAccesses();
      await index.purgeExpired(Date.now(), this.#releaseBlob);
    }
    return { ...infoOf(index, this.#usage, this.name, this.dir), location: this.dir, corrupt: this.#corrupt };
  }

  /** Removes expired entries, entries unused for `maxAge`, then least recently used ones until the limits hold. */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const where = 'prune() options';
    assertLimit(options.maxAge, 'maxAge', where);
    assertLimit(options.maxBytes, 'maxBytes', where);
    assertLimit(options.maxEntries, 'maxEntries', where);
    const index = this.#openIndex(false);
    if (!index) return { removed: [], bytes: 0 };
    await this.#flushAccesses();
    const now = Date.now();
    const removed = planPrune(index, options, now);
    if (!options.dryRun) {
      // Small transactions: other processes' writes interleave, and few dirty pages are held at once.
      for (let i = 0; i < removed.length; i += 1_000) {
        await index.remove(
          removed.slice(i, i + 1_000).map((record) => record.key),
          this.#releaseBlob,
        );
      }
      removeOlderThan(this.#temp, now - STALE_TEMP_MS);
    }
    return { removed, bytes: removed.reduce((sum, record) => sum + record.bytes, 0) };
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node !== undefined) assertNode(options.node);
    const index = this.#openIndex(false);
    if (!index) return;
    this.#accesses.clear();
    if (options.node !== undefined) {
      await index.clear(options.node, this.#releaseBlob);
      return;
    }
    // Blob files are dropped with their directory, not one by one: renamed away, then deleted.
    await index.clear(undefined, () => {});
    removeDirectory(this.#blobs, this.#temp, tempPathIn(this.#temp));
    this.#usage.forgetMisses();
    removeOlderThan(this.#temp, Date.now() - STALE_TEMP_MS);
  }

  /** Re-hashes every blob against its name and checks every entry: bad ones are removed and reported. */
  async verify(): Promise<VerifyReport> {
    const index = this.#openIndex(false);
    await this.#flushAccesses();
    const report = await verifyIndex(index, this.#blobs, this.#releaseBlob);
    this.#corrupt += report.corrupt.length;
    return report;
  }

  /**
   * Writes the cache's entries (or one node's), their values and their nodes' last signatures to
   * `file`, a `.tar.gz`, for `import()` in another cache: another machine, another CI job.
   */
  async export(file: string, options: { node?: string } = {}): Promise<TransferResult> {
    if (options.node !== undefined) assertNode(options.node);
    await this.#flushAccesses();
    return exportCache(this.#openIndex(false), this.#files(), file, options.node);
  }

  /** Adds the entries of an archive `export()` wrote; every value is verified against its hash first. */
  async import(file: string): Promise<TransferResult> {
    return importCache(this.#openIndex(true)!, this.#files(), this.#limits, this.#releaseBlob, file);
  }

  async close(): Promise<void> {
    await this.#flushAccesses();
    const index = this.#index;
    this.#index = undefined;
    await index?.close();
  }

  #openIndex(create: boolean): DiskIndex | undefined {
    if (this.#index) return this.#index;
    // Reading a cache that does not exist yet creates nothing.
    if (!create && !fs.existsSync(this.#indexPath)) return undefined;
    try {
      this.#index = new DiskIndex(this.#indexPath);
    } catch {
      // An index that will not open is damaged: set it aside and start a new one. Its blobs become
      // orphans for verify() to remove; every lookup is a miss until results are stored again.
      this.#corrupt++;
      try {
        fs.renameSync(this.#indexPath, `${this.#indexPath}.damaged-${Date.now()}`);
        this.#index = new DiskIndex(this.#indexPath);
      } catch (error) {
        throw this.#failure(`Cannot open the index at ${this.#indexPath}`, error);
      }
    }
    return this.#index;
  }

  #get(key: string): Uint8Array | undefined {
    assertKey(key);
    const row = this.#openIndex(false)?.get(key);
    if (!row || expired(row, Date.now())) {
      this.#usage.miss(key);
      return undefined;
    }
    const read = readBlob(this.#blobs, row.o);
    if (read === undefined || 'corrupt' in read) {
      // A missing or damaged blob is a miss, never an error: drop the entry (and the bad file).
      if (read) {
        this.#corrupt++;
        removeBlob(this.#blobs, row.o);
      }
      this.#index!.remove([key], this.#releaseBlob).catch(() => {});
      this.#usage.miss(key);
      return undefined;
    }
    this.#usage.hit(this.#usage.of(row.n));
    this.#recordAccess(key);
    return read.payload;
  }

  #releaseBlob = (blob: string): void => removeBlob(this.#blobs, blob);

  #files() {
    return { blobs: this.#blobs, temp: this.#temp };
  }

  #recordAccess(key: string): void {
    const access = this.#accesses.get(key);
    if (access) {
      access.time = turnNow();
      access.hits++;
    } else this.#accesses.set(key, { time: turnNow(), hits: 1 });
    if (this.#accesses.size >= ACCESS_FLUSH_HITS) void this.#flushAccesses();
    else this.#flushTimer ??= setTimeout(() => void this.#flushAccesses(), ACCESS_FLUSH_MS).unref();
  }

  /** Writes the access times and hits gathered since the last flush, in one transaction. */
  #flushAccesses(): Promise<void> {
    const accesses = this.#takeAccesses();
    if (accesses.size === 0 || !this.#index) return this.#flushing;
    this.#flushing = this.#flushing.then(() => this.#index?.touch(accesses)).catch(() => {});
    return this.#flushing;
  }

  /** The reads gathered since the last write, for the caller to write. */
  #takeAccesses(): Map<string, Access> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    const accesses = this.#accesses;
    if (accesses.size > 0) this.#accesses = new Map();
    return accesses;
  }

  #failure(message: string, cause: unknown): BackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BackendError('disk', `${message}: ${reason}`, { cause });
  }
}

const expired = (row: IndexRow, now: number): boolean => row.e !== 0 && row.e <= now;
