/**
 * The embedded persistent backend: one checksummed file per entry under a directory, written
 * atomically, safe for several processes at once. node:fs only.
 */
import fs from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { AccessLog } from './_disk-access.ts';
import { encodeHeader, isExpired } from './_disk-entry-file.ts';
import {
  isAbsent,
  removeDirectory,
  removeFile,
  removeIfUnchanged,
  removeOlderThan,
  tempPathIn,
  withDirectory,
  writeNewFile,
} from './_disk-fs.ts';
import {
  assertKey,
  assertNode,
  assertTtl,
  expiryOf,
  planPrune,
  summarize,
  UsageCounters,
} from './_disk-memory-shared.ts';
import { EntryReader, type ScannedEntry } from './_disk-read.ts';
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

export interface DiskCacheOptions {
  /**
   * The cache directory, resolved against the working directory when the cache is created.
   * Created on the first write.
   * @default process.env.MEMOFLOW_CACHE_DIR ?? '.memoflow'
   */
  dir?: string;
  /**
   * Milliseconds until an entry expires, for entries stored without a `ttl` of their own.
   * @default undefined (entries do not expire)
   */
  ttl?: number;
}

/** `info()` of a DiskCache: the common totals, plus what only a disk has. */
export interface DiskCacheInfo extends CacheInfo {
  /** The absolute cache directory. */
  location: string;
  /** Corrupt, truncated or unreadable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}

/**
 * Stores each entry as a file under `<dir>/v1/`:
 *
 * - `blobs/<first two hex chars of the key>/<key>`: a header (node, times, a sha256 checksum)
 *   followed by the stored bytes; every read verifies the checksum, and an entry that fails is
 *   a miss and is removed.
 * - `meta/<sha256 of the node name>.json`: the node's last signature.
 * - `tmp/`: files being written, renamed into place when complete.
 *
 * Hits do not write: the last access of an entry is the file's access time (kept by the file
 * system, with `relatime` at least on the first read after a write and then daily) and, more
 * precisely, this process's own reads. `entries()`, `info()`, `prune()` and `clear({ node })`
 * scan the directory.
 *
 * @example
 * const cache = new DiskCache({ dir: '.memoflow' });
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class DiskCache implements CacheBackend {
  readonly name = 'disk';
  /** The absolute cache directory. */
  readonly dir: string;
  readonly #ttl: number | undefined;
  readonly #blobs: string;
  readonly #meta: string;
  readonly #temp: string;
  readonly #reader: EntryReader;
  readonly #usage = new UsageCounters();
  readonly #access = new AccessLog();
  #corrupt = 0;

  constructor(options: DiskCacheOptions = {}) {
    assertTtl(options.ttl, 'DiskCache options');
    if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
      throw new ConfigError(
        `Invalid \`dir\` ${quote(options.dir)} in DiskCache options: expected a directory path.`,
      );
    }
    this.#ttl = options.ttl;
    this.dir = resolve(options.dir ?? (process.env.MEMOFLOW_CACHE_DIR || '.memoflow'));
    const root = join(this.dir, 'v1');
    this.#blobs = join(root, 'blobs');
    this.#meta = join(root, 'meta');
    this.#temp = join(root, 'tmp');
    this.#reader = new EntryReader(
      this.#blobs,
      () => this.#corrupt++,
      (message, cause) => this.#failure(message, cause),
    );
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
    const now = Date.now();
    const header = encodeHeader(value, info.node, now, expiryOf(info.ttl ?? this.#ttl, now), info.computeMs);
    this.#writeAtomically(this.#blobPath(key), [header, value]);
    this.#access.delete(key);
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    const scanned = this.#reader.readHeader(this.#blobPath(key), key);
    return scanned !== undefined && !isExpired(scanned.header, Date.now());
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    this.#access.delete(key);
    try {
      fs.unlinkSync(this.#blobPath(key));
      return true;
    } catch (error) {
      if (isAbsent(error)) return false;
      throw this.#failure(`Cannot delete entry ${key}`, error);
    }
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    let text: string;
    try {
      text = fs.readFileSync(this.#metaPath(node), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const signature = JSON.parse(text) as NodeSignature | null;
      if (typeof signature === 'object' && signature !== null && signature.node === node) return signature;
    } catch {}
    // Left in place: the next setMeta replaces it atomically, and deleting could race with that write.
    this.#corrupt++;
    return undefined;
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    this.#writeAtomically(this.#metaPath(signature.node), [Buffer.from(JSON.stringify(signature), 'utf8')]);
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    const now = Date.now();
    for await (const scanned of this.#reader.scan()) {
      if (isExpired(scanned.header, now)) continue;
      if (options.node === undefined || scanned.header.node === options.node) {
        yield this.#access.recordOf(scanned);
      }
    }
  }

  async info(): Promise<DiskCacheInfo> {
    const now = Date.now();
    const records: EntryRecord[] = [];
    for await (const scanned of this.#reader.scan()) {
      if (!isExpired(scanned.header, now)) records.push(this.#access.recordOf(scanned));
    }
    return {
      ...summarize(this.name, this.dir, records, this.#usage),
      location: this.dir,
      corrupt: this.#corrupt,
    };
  }

  async prune(options: PruneOptions): Promise<PruneResult> {
    const now = Date.now();
    const scannedByRecord = new Map<EntryRecord, ScannedEntry>();
    for await (const scanned of this.#reader.scan()) {
      scannedByRecord.set(this.#access.recordOf(scanned), scanned);
    }
    const records = [...scannedByRecord.keys()].sort((a, b) => a.createdAt - b.createdAt);
    const removed = planPrune(records, options, now);
    let bytes = 0;
    for (const record of removed) {
      bytes += record.bytes;
      if (options.dryRun) continue;
      removeIfUnchanged(scannedByRecord.get(record)!);
      this.#access.delete(record.key);
    }
    if (!options.dryRun) removeOlderThan(this.#temp, now - STALE_TEMP_MS);
    return { removed, bytes };
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node !== undefined) {
      assertNode(options.node);
      for await (const scanned of this.#reader.scan()) {
        if (scanned.header.node !== options.node) continue;
        removeIfUnchanged(scanned);
        this.#access.delete(scanned.key);
      }
      removeFile(this.#metaPath(options.node));
      return;
    }
    for (const dir of [this.#blobs, this.#meta]) {
      try {
        removeDirectory(dir, this.#temp, tempPathIn(this.#temp));
      } catch (error) {
        throw this.#failure(`Cannot clear ${dir}`, error);
      }
    }
    this.#access.clear();
    this.#usage.forgetMisses();
    removeOlderThan(this.#temp, Date.now() - STALE_TEMP_MS);
  }

  async close(): Promise<void> {
    this.#access.clear();
  }

  #get(key: string): Uint8Array | undefined {
    const path = this.#blobPath(key);
    const entry = this.#reader.read(path);
    if (entry === undefined) {
      this.#usage.miss(key);
      return undefined;
    }
    const now = Date.now();
    if (isExpired(entry.header, now)) {
      removeIfUnchanged({ path, ino: entry.ino });
      this.#usage.miss(key);
      return undefined;
    }
    this.#access.touch(key, now);
    this.#usage.hit(this.#usage.of(entry.header.node));
    return entry.file.subarray(entry.header.headerBytes);
  }

  /**
   * Writes a temp file in `<dir>/v1/tmp/` (same file system as the target) and renames it into
   * place. rename() replaces the target in one step, so a reader in any process sees the old
   * file or the new one, never a partial one, and a writer killed halfway leaves only a temp
   * file (swept by prune() and clear()). No fsync: after a machine crash a renamed file may be
   * empty or torn, and its checksum then makes it a miss.
   */
  #writeAtomically(target: string, chunks: readonly Uint8Array[]): void {
    const temp = tempPathIn(this.#temp);
    try {
      withDirectory(this.#temp, () => writeNewFile(temp, chunks));
      withDirectory(dirname(target), () => fs.renameSync(temp, target));
    } catch (error) {
      removeFile(temp);
      throw this.#failure(`Cannot write ${target}`, error);
    }
  }

  #blobPath(key: string): string {
    assertKey(key);
    return `${this.#blobs}/${key.slice(0, 2)}/${key}`;
  }

  #metaPath(node: string): string {
    return `${this.#meta}/${hash(node)}.json`;
  }

  #failure(message: string, cause: unknown): BackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BackendError(this.name, `${message}: ${reason}`, { cause });
  }
}

/** Temp files older than this were left by writers that died: young ones may still be renamed into place. */
const STALE_TEMP_MS = 60 * 60 * 1000;
