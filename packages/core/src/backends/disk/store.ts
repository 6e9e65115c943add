/**
 * What a DiskCache stands on: its directory, its index (opened on first use), the blob files, the
 * read and write paths with their checks, and the switch to read-only when writes are refused.
 */
import fs from 'node:fs';
import type { BackendError } from '../../errors.ts';
import { turnNow } from '../../util/clock.ts';
import { AccessBatch, backendFailure, type UsageCounters } from '../kit/index.ts';
import type { CacheFiles } from './archive/index.ts';
import { type BlobRead, putBackParked, readBlob, releaseBlobs, removeBlob, writeBlob } from './blob.ts';
import { isAbsent, isReadOnly } from './fs.ts';
import { DiskIndex, type PutFields } from './index/index.ts';
import { refuseLinks } from './links.ts';
import type { DiskSettings } from './options.ts';
import { sweepStaleTemps } from './temp.ts';

/** Whether an entry has expired at `now`. */
export const expired = (entry: PutFields, now: number): boolean =>
  entry.expires !== 0 && entry.expires <= now;

export class DiskStore {
  /** Set by the option, or when a write was refused (then with a warning, once). */
  readOnly: boolean;
  /** Corrupt, truncated or unreadable values this instance found. */
  corrupt = 0;
  /**
   * Reads not written yet; written with the next store, or on their own (kit policy: every
   * second, every thousand keys, before any listing, on close).
   */
  readonly accesses = new AccessBatch((batch) => this.#index?.touch(batch));
  #index: DiskIndex | undefined;
  /** Blobs whose files this instance found damaged and removed: entries that share them are gone too. */
  readonly #removedDamaged = new Set<string>();

  constructor(
    readonly settings: DiskSettings,
    readonly usage: UsageCounters,
  ) {
    this.readOnly = settings.readOnly;
  }

  /** The index, opened (and, with `create`, created) on first use; undefined for a cache not written yet. */
  open(create: boolean): DiskIndex | undefined {
    if (this.#index) return this.#index;
    const { dir, index: indexPath } = this.settings;
    refuseLinks(dir);
    // Reading a cache that does not exist yet creates nothing.
    if ((!create || this.readOnly) && !fs.existsSync(indexPath)) return undefined;
    try {
      this.#index = new DiskIndex(indexPath, this.readOnly);
    } catch (error) {
      if (this.readOnly && isAbsent(error)) return undefined;
      if (this.refused(error)) return this.open(create);
      throw this.failure(`Cannot open the index at ${indexPath}`, error);
    }
    // Opening is when the temp files of writers that died (a kill mid-write or mid-compaction) go.
    if (!this.readOnly) this.sweep(this.#index);
    return this.#index;
  }

  /** Removes the temp files of dead writers; a blob a dead release parked while still in use is put back first. */
  sweep(index: DiskIndex): void {
    const { blobs, temp, index: indexPath } = this.settings;
    sweepStaleTemps(temp, indexPath, Date.now(), (file) =>
      putBackParked(blobs, file, (blob) => index.references(blob)),
    );
  }

  /**
   * Whether `error` is a write refused by the file system (read-only, no permission): the cache
   * becomes read-only, with one warning unless `readOnly` was asked for.
   */
  refused(error: unknown): boolean {
    // Refused while already read-only: not a write that failed, but a read (an unreadable index).
    if (!isReadOnly(error) || this.readOnly) return false;
    const code = (error as NodeJS.ErrnoException).code;
    process.emitWarning(
      `memoflow: the disk cache at ${this.settings.dir} cannot be written (${code}): its entries are read, and nothing is stored, removed or recorded. Pass \`readOnly: true\` to DiskCache if that is intended.`,
      { code: 'MEMOFLOW_DISK_READ_ONLY' },
    );
    this.readOnly = true;
    if (this.#index) this.#index.readOnly = true;
    return true;
  }

  /**
   * Writes a blob (unless it is there), records its entry, and enforces the limits. An import
   * passes no `payload` for a large value, and a `writeFile` that links the file it staged.
   */
  async store(
    entry: PutFields,
    payload: Uint8Array | undefined,
    writeFile = () => writeBlob(this.settings.blobs, this.settings.temp, entry.blob, payload!),
  ): Promise<void> {
    const inline = payload !== undefined && payload.length <= this.settings.maxInlineBytes;
    // Opened first: a cache that cannot be written, or holds a planted link, gets no blob file.
    const index = this.open(true);
    if (!index || this.readOnly) return;
    if (!inline) writeFile();
    const freed = index.put(entry, inline ? payload : undefined, this.settings.limits, this.accesses.take());
    // Another process may have released this blob between the write and the record: if its file
    // went, write it again (the release protocol in release() keeps one that is referenced).
    if (!inline) writeFile();
    await this.release(freed);
  }

  /** A hit's bytes or a miss; a large value (read overlapped with its check) comes as a promise. */
  get(key: string): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const index = this.open(false);
    const found = index?.getWithValue(key);
    if (!index || !found || expired(found.entry, Date.now())) {
      this.usage.miss(key);
      return undefined;
    }
    const { entry } = found;
    const read = found.value ?? index.inlineBlob(entry.blob) ?? readBlob(this.settings.blobs, entry.blob);
    return read instanceof Promise
      ? read.then((done) => this.#served(index, entry, done))
      : this.#served(index, entry, read);
  }

  /** Removes the files of blobs whose last entry went (unless another process took them up meanwhile). */
  async release(blobs: readonly string[]): Promise<number> {
    const { blobs: dir, temp } = this.settings;
    return this.#index ? releaseBlobs(dir, temp, this.#index, blobs) : 0;
  }

  /** Where blob files and temp files go, for export and import. */
  files(): CacheFiles {
    return { blobs: this.settings.blobs, temp: this.settings.temp };
  }

  /** A BackendError of the disk backend for `message`, with `cause`. */
  failure(message: string, cause: unknown): BackendError {
    return backendFailure('disk', message, cause);
  }

  /** Writes the reads not written yet and closes the index. */
  async close(): Promise<void> {
    await this.accesses.flush();
    this.#index?.close();
    this.#index = undefined;
  }

  /** Counts a read as a hit, or a missing or damaged value as a miss (never an error); a damaged one goes. */
  #served(index: DiskIndex, entry: PutFields, read: BlobRead): Uint8Array | undefined {
    if (read === undefined || 'corrupt' in read) {
      // A missing file may be a release under way in another process (parked for an instant, then
      // put back): the entry stays, for verify() to judge, unless this instance removed the file
      // as damaged. A damaged one goes with its entry, unless the key was stored again meanwhile.
      if (read) {
        this.corrupt++;
        this.#removedDamaged.add(entry.blob);
      }
      if (this.#removedDamaged.has(entry.blob) && !this.readOnly) {
        removeBlob(this.settings.blobs, entry.blob);
        this.release(index.removeIfStill([entry])).catch(() => {});
      }
      this.usage.miss(entry.key);
      return undefined;
    }
    this.usage.hit(this.usage.of(entry.node));
    if (!this.readOnly) this.accesses.note(entry.key, turnNow());
    return read.payload;
  }
}
