/**
 * The embedded persistent backend: content-addressed values in a journal index (small ones) and
 * blob files (large ones), bounded, crash-safe and safe for many processes at once.
 */
import fs from 'node:fs';
import { join, resolve } from 'node:path';
import { BackendError, ConfigError, quote } from '../../errors.ts';
import { turnNow } from '../../util/clock.ts';
import { hash } from '../../util/hash.ts';
import type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  NodeSignature,
  OnProgress,
  PruneOptions,
  PruneResult,
} from '../contract.ts';
import {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  countPruned,
  emptyPruneResult,
  expiryOf,
  UsageCounters,
} from '../kit/shared.ts';
import { exportCache, type ImportOptions, importCache, type TransferResult } from './archive/transfer.ts';
import {
  type BlobRead,
  blobPath,
  putBackParked,
  readBlob,
  releaseBlobs,
  removeBlob,
  writeBlob,
} from './blob.ts';
import { isAbsent, isReadOnly, removeDirectory, tempPathIn } from './fs.ts';
import { type Access, DiskIndex, type IndexLimits, type PutFields } from './index/disk-index.ts';
import { refuseLinks } from './links.ts';
import { infoOf, pruneOrder, recordOf } from './manage.ts';
import { sweepStaleTemps } from './temp.ts';
import { type VerifyReport, verifyIndex } from './verify.ts';

export type { ImportOptions, TransferResult } from './archive/transfer.ts';
export type { VerifyReport } from './verify.ts';

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
  /**
   * Values of at most this many bytes are kept in the index journal instead of a blob file of
   * their own: a store is one append, and removing one deletes no file. Larger values get a file
   * (read and written without a copy of the journal's). 0 puts every value in a file.
   * @default 4096
   */
  maxInlineBytes?: number;
  /**
   * Read the cache and never write it: hits are served; stores, deletes, clears, prunes and
   * imports change nothing (import() throws), verify() reports without removing, and hits are not
   * recorded. For a cache on a read-only mount, or shared and kept by someone else. Without it, a
   * cache whose files cannot be written (EROFS, EACCES, EPERM) becomes read-only by itself, with
   * one warning (`MEMOFLOW_DISK_READ_ONLY`).
   * @default false
   */
  readOnly?: boolean;
}

/** `info()` of a DiskCache: the common totals, plus what only a disk has. */
export interface DiskCacheInfo extends CacheInfo {
  /** The absolute cache directory. */
  location: string;
  /** Corrupt, truncated or unreadable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}

/** Entries removed per index append when pruning. */
const PRUNE_BATCH = 10_000;
/** Access times and hits gathered in memory are written at most this often, or once this many keys were read. */
const ACCESS_FLUSH_MS = 1_000;
const ACCESS_FLUSH_HITS = 1_000;
/** Below a file system block (4 KiB on most), a file of its own costs a value more than its bytes. */
const DEFAULT_MAX_INLINE_BYTES = 4096;
/** The journal's records stay small: a value this large is always a file. */
const MAX_INLINE_BYTES = 1 << 20;

/**
 * Stores values under `<dir>/v4/`, each distinct value once, however many signatures produced it:
 *
 * - `index/journal-<n>`: the index, a journal of self-checking records mapping signature keys to
 *   values with what management needs (node, size, created, last access, hits, compute time),
 *   each node's last signature, and the values of up to `maxInlineBytes` themselves. Every
 *   process appends to it and replays it into memory.
 * - `blobs/<2 hex>/<sha256>`: each larger value, a header with its length and CRC32, checked on
 *   every read, then the bytes. Written to `tmp/` and renamed into place, so no reader ever sees
 *   part of one.
 *
 * `maxBytes`, `maxEntries` and `maxAge` are enforced on every write, least recently used first.
 * Hits do not write: access times and hit counts are gathered in memory and appended together
 * every second (or thousand hits, or on `close()`).
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
  readonly #limits: IndexLimits;
  readonly #maxInlineBytes: number;
  readonly #blobs: string;
  readonly #temp: string;
  readonly #indexPath: string;
  readonly #usage = new UsageCounters();
  #index: DiskIndex | undefined;
  /** Set by the option, or when a write was refused (then with a warning, once). */
  #readOnly: boolean;
  #corrupt = 0;
  /** Blobs whose files this instance found damaged and removed: entries that share them are gone too. */
  readonly #removedDamaged = new Set<string>();
  #accesses = new Map<string, Access>();
  #flushTimer: NodeJS.Timeout | undefined;

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
    const inline = options.maxInlineBytes;
    if (
      inline !== undefined &&
      !(Number.isSafeInteger(inline) && inline >= 0 && inline <= MAX_INLINE_BYTES)
    ) {
      throw new ConfigError(
        `Invalid \`maxInlineBytes\` ${quote(inline)} in DiskCache options: expected an integer from 0 to ${MAX_INLINE_BYTES}.`,
      );
    }
    if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
      throw new ConfigError(
        `Invalid \`readOnly\` ${quote(options.readOnly)} in DiskCache options: expected true or false.`,
      );
    }
    this.#readOnly = options.readOnly ?? false;
    this.#maxInlineBytes = inline ?? DEFAULT_MAX_INLINE_BYTES;
    this.#ttl = options.ttl;
    this.#limits = {
      maxBytes: options.maxBytes ?? Number.POSITIVE_INFINITY,
      maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY,
      maxAge: options.maxAge ?? Number.POSITIVE_INFINITY,
    };
    this.dir = resolve(options.dir ?? (process.env.MEMOFLOW_CACHE_DIR || '.memoflow'));
    const root = join(this.dir, 'v4');
    this.#blobs = join(root, 'blobs');
    this.#temp = join(root, 'tmp');
    this.#indexPath = join(root, 'index');
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    return this.#get(key);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    // One after another: large values are read whole, and two at once would hold both.
    const values: (Uint8Array | undefined)[] = [];
    for (const key of keys) {
      const value = this.#get(key);
      values.push(value instanceof Promise ? await value : value);
    }
    return values;
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    const index = this.#openIndex(false);
    const entry = index?.get(key);
    if (!index || !entry || expired(entry, Date.now())) return false;
    return index.isInline(entry.blob) || fs.existsSync(blobPath(this.#blobs, entry.blob));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    if (value.length > this.#limits.maxBytes) {
      // A value larger than the whole cache is not kept, and evicts nothing; an older value under the key goes.
      await this.delete(key);
      return;
    }
    const now = Date.now();
    const entry: PutFields = {
      key,
      blob: hash(value),
      node: info.node,
      bytes: value.length,
      created: now,
      expires: expiryOf(info.ttl ?? this.#ttl, now),
      computeMs: info.computeMs ?? -1,
      access: now,
      hits: 0,
    };
    try {
      await this.#store(entry, value);
    } catch (error) {
      if (this.#refused(error)) return;
      throw this.#failure(`Cannot store entry ${key} of node \`${info.node}\``, error);
    }
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const index = this.#openIndex(false);
    if (this.#readOnly || !index?.get(key)) return false;
    this.#accesses.delete(key);
    await this.#release(index.remove([key]));
    return true;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    return this.#openIndex(false)?.getMeta(node);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    try {
      this.#openIndex(true)?.setMeta(signature);
    } catch (error) {
      if (!this.#refused(error)) throw error;
    }
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    if (options.node !== undefined) assertNode(options.node);
    const index = this.#openIndex(false);
    if (!index) return;
    this.#flushAccesses();
    // What other processes wrote since this one last looked is listed too.
    index.sync();
    const now = Date.now();
    for (const entry of index.rows(options.node)) if (!expired(entry, now)) yield recordOf(entry);
  }

  /** What the cache holds, from totals the index keeps in memory: no scan of the directory, however many entries. */
  async info(): Promise<DiskCacheInfo> {
    const index = this.#openIndex(false);
    index?.sync();
    if (index && !this.#readOnly) {
      this.#flushAccesses();
      await this.#release(index.remove(index.expired(Date.now()).map((entry) => entry.key)));
    }
    const corrupt = this.#corrupt + (index?.damaged ?? 0);
    return { ...infoOf(index, this.#usage, this.name, this.dir), location: this.dir, corrupt };
  }

  /** Removes expired entries, entries unused for `maxAge`, then least recently used ones until the limits hold. */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const where = 'prune() options';
    assertLimit(options.maxAge, 'maxAge', where);
    assertLimit(options.maxBytes, 'maxBytes', where);
    assertLimit(options.maxEntries, 'maxEntries', where);
    const result = emptyPruneResult(options);
    const index = this.#openIndex(false);
    if (!index || (this.#readOnly && !options.dryRun)) return result;
    this.#flushAccesses();
    index.sync();
    const now = Date.now();
    for (let again = true; again; ) {
      // Another process compacting meanwhile ends the walk (its rows are gone): walk the new generation.
      const epoch = index.epoch;
      const batch: string[] = [];
      for (const entry of pruneOrder(index, options, now)) {
        countPruned(result, entry.node, entry.bytes, () => recordOf(entry));
        if (options.dryRun) continue;
        batch.push(entry.key);
        if (batch.length === PRUNE_BATCH)
          await this.#release(index.remove(batch.splice(0), { compact: false }));
      }
      await this.#release(index.remove(batch, { compact: false }));
      again = !options.dryRun && index.epoch !== epoch;
    }
    if (!options.dryRun) {
      index.maybeCompact();
      this.#sweep(index);
    }
    return result;
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node !== undefined) assertNode(options.node);
    const index = this.#openIndex(false);
    if (!index || this.#readOnly) return;
    this.#accesses.clear();
    if (options.node !== undefined) {
      await this.#release(index.clear(options.node));
      return;
    }
    // Blob files are dropped with their directory, not one by one: renamed away, then deleted.
    // A writer storing meanwhile finds its blob gone after recording it, and writes it again.
    index.clear(undefined);
    removeDirectory(this.#blobs, this.#temp, tempPathIn(this.#temp));
    this.#usage.forgetMisses();
    this.#sweep(index);
  }

  /**
   * Re-hashes every blob against its name and checks every entry: bad ones are removed and
   * reported, with blob files no entry references and the temp files of dead writers. Another
   * process may write meanwhile: what looks damaged is checked again before it counts.
   */
  async verify(options: { onProgress?: OnProgress } = {}): Promise<VerifyReport> {
    const index = this.#openIndex(false);
    this.#flushAccesses();
    const report = await verifyIndex(
      index,
      { blobs: this.#blobs, temp: this.#temp, index: this.#indexPath },
      (blobs) => this.#release(blobs),
      { onProgress: options.onProgress, readOnly: this.#readOnly },
    );
    this.#corrupt += report.corrupt.length;
    return report;
  }

  /**
   * Writes the cache's entries (or one node's), their values and their nodes' last signatures to
   * `file`, a `.tar.gz`, for `import()` in another cache: another machine, another CI job.
   */
  async export(
    file: string,
    options: { node?: string; onProgress?: OnProgress } = {},
  ): Promise<TransferResult> {
    if (options.node !== undefined) assertNode(options.node);
    this.#flushAccesses();
    return exportCache(this.#openIndex(false), this.#files(), file, options.node, options.onProgress);
  }

  /**
   * Adds the entries of an archive `export()` wrote; every key and value is verified (values
   * streamed, never held whole) before anything is stored. `maxBytes` bounds what it may expand to.
   */
  async import(file: string, options: ImportOptions = {}): Promise<TransferResult> {
    const index = this.#openIndex(true);
    if (!index || this.#readOnly) {
      throw new BackendError(
        'disk',
        `Cannot import ${quote(file)} into ${this.dir}: the cache is read-only. Import into a cache that can be written.`,
      );
    }
    return importCache(
      this.#files(),
      file,
      options,
      (entry, payload, writeFile) => this.#store(entry, payload, writeFile),
      (signature) => index.setMeta(signature),
    );
  }

  async close(): Promise<void> {
    this.#flushAccesses();
    this.#index?.close();
    this.#index = undefined;
  }

  #openIndex(create: boolean): DiskIndex | undefined {
    if (this.#index) return this.#index;
    refuseLinks(this.dir);
    // Reading a cache that does not exist yet creates nothing.
    if ((!create || this.#readOnly) && !fs.existsSync(this.#indexPath)) return undefined;
    try {
      this.#index = new DiskIndex(this.#indexPath, this.#readOnly);
    } catch (error) {
      if (this.#readOnly && isAbsent(error)) return undefined;
      if (this.#refused(error)) return this.#openIndex(create);
      throw this.#failure(`Cannot open the index at ${this.#indexPath}`, error);
    }
    // Opening is when the temp files of writers that died (a kill mid-write or mid-compaction) go.
    if (!this.#readOnly) this.#sweep(this.#index);
    return this.#index;
  }

  /** Removes the temp files of dead writers; a blob a dead release parked while still in use is put back first. */
  #sweep(index: DiskIndex): void {
    sweepStaleTemps(this.#temp, this.#indexPath, Date.now(), (file) =>
      putBackParked(this.#blobs, file, (blob) => index.references(blob)),
    );
  }

  /**
   * Whether `error` is a write refused by the file system (read-only, no permission): the cache
   * becomes read-only, with one warning unless `readOnly` was asked for.
   */
  #refused(error: unknown): boolean {
    // Refused while already read-only: not a write that failed, but a read (an unreadable index).
    if (!isReadOnly(error) || this.#readOnly) return false;
    const code = (error as NodeJS.ErrnoException).code;
    process.emitWarning(
      `memoflow: the disk cache at ${this.dir} cannot be written (${code}): its entries are read, and nothing is stored, removed or recorded. Pass \`readOnly: true\` to DiskCache if that is intended.`,
      { code: 'MEMOFLOW_DISK_READ_ONLY' },
    );
    this.#readOnly = true;
    if (this.#index) this.#index.readOnly = true;
    return true;
  }

  /**
   * Writes a blob (unless it is there), records its entry, and enforces the limits. An import
   * passes no `payload` for a large value, and a `writeFile` that links the file it staged.
   */
  async #store(
    entry: PutFields,
    payload: Uint8Array | undefined,
    writeFile = () => writeBlob(this.#blobs, this.#temp, entry.blob, payload!),
  ): Promise<void> {
    const inline = payload !== undefined && payload.length <= this.#maxInlineBytes;
    // Opened first: a cache that cannot be written, or holds a planted link, gets no blob file.
    const index = this.#openIndex(true);
    if (!index || this.#readOnly) return;
    if (!inline) writeFile();
    const freed = index.put(entry, inline ? payload : undefined, this.#limits, this.#takeAccesses());
    // Another process may have released this blob between the write and the record: if its file
    // went, write it again (the release protocol in #release keeps one that is referenced).
    if (!inline) writeFile();
    await this.#release(freed);
  }

  /** A hit's bytes or a miss; a large value (read overlapped with its check) comes as a promise. */
  #get(key: string): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    assertKey(key);
    const index = this.#openIndex(false);
    const found = index?.getWithValue(key);
    if (!index || !found || expired(found.entry, Date.now())) {
      this.#usage.miss(key);
      return undefined;
    }
    const { entry } = found;
    const read = found.value ?? this.#readValue(index, entry.blob);
    return read instanceof Promise
      ? read.then((done) => this.#served(index, entry, done))
      : this.#served(index, entry, read);
  }

  /** Counts a read as a hit, or a missing or damaged value as a miss (never an error); a damaged one goes. */
  #served(index: DiskIndex, entry: PutFields, read: BlobRead): Uint8Array | undefined {
    if (read === undefined || 'corrupt' in read) {
      // A missing file may be a release under way in another process (parked for an instant, then
      // put back): the entry stays, for verify() to judge, unless this instance removed the file
      // as damaged. A damaged one goes with its entry, unless the key was stored again meanwhile.
      if (read) {
        this.#corrupt++;
        this.#removedDamaged.add(entry.blob);
      }
      if (this.#removedDamaged.has(entry.blob) && !this.#readOnly) {
        removeBlob(this.#blobs, entry.blob);
        this.#release(index.removeIfStill([entry])).catch(() => {});
      }
      this.#usage.miss(entry.key);
      return undefined;
    }
    this.#usage.hit(this.#usage.of(entry.node));
    this.#recordAccess(entry.key);
    return read.payload;
  }

  /** A blob's bytes, from the journal or its file, checked. */
  #readValue(index: DiskIndex, blob: string): BlobRead | Promise<BlobRead> {
    return index.inlineBlob(blob) ?? readBlob(this.#blobs, blob);
  }

  /** Removes the files of blobs whose last entry went (unless another process took them up meanwhile). */
  async #release(blobs: readonly string[]): Promise<number> {
    return this.#index ? releaseBlobs(this.#blobs, this.#temp, this.#index, blobs) : 0;
  }

  #files() {
    return { blobs: this.#blobs, temp: this.#temp };
  }

  #recordAccess(key: string): void {
    if (this.#readOnly) return;
    const access = this.#accesses.get(key);
    if (access) {
      access.time = turnNow();
      access.hits++;
    } else this.#accesses.set(key, { time: turnNow(), hits: 1 });
    if (this.#accesses.size >= ACCESS_FLUSH_HITS) this.#flushAccesses();
    else this.#flushTimer ??= setTimeout(() => this.#flushAccesses(), ACCESS_FLUSH_MS).unref();
  }

  /** Appends the access times and hits gathered since the last flush. */
  #flushAccesses(): void {
    const accesses = this.#takeAccesses();
    if (accesses.size === 0 || !this.#index) return;
    try {
      this.#index.touch(accesses);
    } catch {
      // Access times steer eviction only: losing a second of them is not worth failing a read.
    }
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

const expired = (entry: PutFields, now: number): boolean => entry.expires !== 0 && entry.expires <= now;
