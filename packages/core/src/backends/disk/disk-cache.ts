/**
 * The embedded persistent backend: content-addressed values in a journal index (small ones) and
 * blob files (large ones), bounded, crash-safe and safe for many processes at once.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { BackendError, quote } from '../../errors.ts';
import { hash } from '../../util/hash.ts';
import type {
  CacheBackend,
  EntryInfo,
  EntryRecord,
  NodeSignature,
  OnProgress,
  PruneOptions,
  PruneResult,
} from '../contract.ts';
import { assertKey, assertNode, assertTtl, expiryOf, UsageCounters } from '../kit/index.ts';
import { exportCache, type ImportOptions, importCache, type TransferResult } from './archive/index.ts';
import { blobPath } from './blob.ts';
import { removeDirectory, tempPathIn } from './fs.ts';
import type { PutFields } from './index/index.ts';
import { infoOf, pruneIndex, recordOf } from './manage.ts';
import { type DiskCacheInfo, type DiskCacheOptions, diskSettings } from './options.ts';
import { DiskRunHistory } from './run-history.ts';
import { DiskStore, expired } from './store.ts';
import { type VerifyReport, verifyIndex } from './verify.ts';

export type { ImportOptions, TransferResult } from './archive/index.ts';
export type { DiskCacheInfo, DiskCacheOptions } from './options.ts';
export type { VerifyReport } from './verify.ts';

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
 * (the kit's `AccessBatch`: every second, every thousand keys read, before any listing, on `close()`).
 *
 * The history of runs is `<dir>/runs/<id>.json`, one file per run (`runs`); `clear()` removes it with the rest.
 *
 * @example
 * const cache = new DiskCache({ dir: '.memoflow', maxBytes: 10 * 2 ** 30 });
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class DiskCache implements CacheBackend {
  readonly name = 'disk';
  /** The absolute cache directory. */
  readonly dir: string;
  /** The runs recorded here: `<dir>/runs/<id>.json`, the newest `keep` of them. */
  readonly runs: DiskRunHistory;
  readonly #ttl: number | undefined;
  readonly #usage = new UsageCounters();
  readonly #store: DiskStore;

  constructor(options: DiskCacheOptions = {}) {
    const settings = diskSettings(options);
    this.dir = settings.dir;
    this.#ttl = settings.ttl;
    this.#store = new DiskStore(settings, this.#usage);
    this.runs = new DiskRunHistory(join(this.dir, 'runs'), this.#store);
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    return this.#store.get(key);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    // One after another: large values are read whole, and two at once would hold both.
    const values: (Uint8Array | undefined)[] = [];
    for (const key of keys) {
      const value = this.#store.get(key);
      values.push(value instanceof Promise ? await value : value);
    }
    return values;
  }

  async computeTimes(keys: readonly string[]): Promise<(number | undefined)[]> {
    for (const key of keys) assertKey(key);
    const index = this.#store.open(false);
    return keys.map((key) => {
      const computeMs = index?.get(key)?.computeMs;
      return computeMs === undefined || computeMs < 0 ? undefined : computeMs;
    });
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    const index = this.#store.open(false);
    const entry = index?.get(key);
    if (!index || !entry || expired(entry, Date.now())) return false;
    return index.isInline(entry.blob) || fs.existsSync(blobPath(this.#store.settings.blobs, entry.blob));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    if (value.length > this.#store.settings.limits.maxBytes) {
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
      await this.#store.store(entry, value);
    } catch (error) {
      if (this.#store.refused(error)) return;
      throw this.#store.failure(`Cannot store entry ${key} of node \`${info.node}\``, error);
    }
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const index = this.#store.open(false);
    if (this.#store.readOnly || !index?.get(key)) return false;
    this.#store.accesses.forget([key]);
    await this.#store.release(index.remove([key]));
    return true;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    return this.#store.open(false)?.getMeta(node);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    try {
      this.#store.open(true)?.setMeta(signature);
    } catch (error) {
      if (!this.#store.refused(error)) throw error;
    }
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    if (options.node !== undefined) assertNode(options.node);
    const index = this.#store.open(false);
    if (!index) return;
    await this.#store.accesses.flush();
    // What other processes wrote since this one last looked is listed too.
    index.sync();
    const now = Date.now();
    for (const entry of index.rows(options.node)) if (!expired(entry, now)) yield recordOf(entry);
  }

  /** What the cache holds, from totals the index keeps in memory: no scan of the directory, however many entries. */
  async info(): Promise<DiskCacheInfo> {
    const store = this.#store;
    const index = store.open(false);
    index?.sync();
    if (index && !store.readOnly) {
      await store.accesses.flush();
      await store.release(index.remove(index.expired(Date.now()).map((entry) => entry.key)));
    }
    const corrupt = store.corrupt + (index?.damaged ?? 0);
    return { ...infoOf(index, this.#usage, this.name, this.dir), location: this.dir, corrupt };
  }

  /** Removes expired entries, entries unused for `maxAge`, then least recently used ones until the limits hold. */
  async prune(options: PruneOptions): Promise<PruneResult> {
    return pruneIndex(this.#store, options);
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node !== undefined) assertNode(options.node);
    const store = this.#store;
    if (options.node === undefined && !store.readOnly) this.runs.clear();
    const index = store.open(false);
    if (!index || store.readOnly) return;
    store.accesses.forgetAll();
    if (options.node !== undefined) {
      await store.release(index.clear(options.node));
      return;
    }
    // Blob files are dropped with their directory, not one by one: renamed away, then deleted.
    // A writer storing meanwhile finds its blob gone after recording it, and writes it again.
    index.clear(undefined);
    const { blobs, temp } = store.settings;
    removeDirectory(blobs, temp, tempPathIn(temp));
    this.#usage.forgetMisses();
    store.sweep(index);
  }

  /**
   * Re-hashes every blob against its name and checks every entry: bad ones are removed and
   * reported, with blob files no entry references and the temp files of dead writers. Another
   * process may write meanwhile: what looks damaged is checked again before it counts.
   */
  async verify(options: { onProgress?: OnProgress } = {}): Promise<VerifyReport> {
    const store = this.#store;
    const index = store.open(false);
    await store.accesses.flush();
    const report = await verifyIndex(index, store.settings, (blobs) => store.release(blobs), {
      onProgress: options.onProgress,
      readOnly: store.readOnly,
    });
    store.corrupt += report.corrupt.length;
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
    await this.#store.accesses.flush();
    return exportCache(this.#store.open(false), this.#store.files(), file, options.node, options.onProgress);
  }

  /**
   * Adds the entries of an archive `export()` wrote; every key and value is verified (values
   * streamed, never held whole) before anything is stored. `maxBytes` bounds what it may expand to.
   */
  async import(file: string, options: ImportOptions = {}): Promise<TransferResult> {
    const store = this.#store;
    const index = store.open(true);
    if (!index || store.readOnly) {
      throw new BackendError(
        'disk',
        `Cannot import ${quote(file)} into ${this.dir}: the cache is read-only. Import into a cache that can be written.`,
      );
    }
    return importCache(
      store.files(),
      file,
      options,
      (entry, payload, writeFile) => store.store(entry, payload, writeFile),
      (signature) => index.setMeta(signature),
    );
  }

  async close(): Promise<void> {
    await this.#store.close();
  }
}
