/**
 * Management derived from an entry listing: a backend that implements storage (`CacheStore`) and
 * `entries()` gets `info()`, `prune()` and `verify()` from `ListedCache`. A backend that can do
 * better (a native bulk removal, a check of its own) overrides the hooks or the methods.
 */
import type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  NodeSignature,
  OnProgress,
  PruneOptions,
  PruneResult,
  VerifyReport,
} from '../contract.ts';
import { assertPruneOptions } from './checks.ts';
import { pruneRecords } from './prune.ts';
import { summarize, UsageCounters } from './usage.ts';
import { emptyVerifyReport, isClean } from './verify.ts';

/** Keys `verify()` reads in one `getMany()`. */
export const VERIFY_BATCH = 1_000;

/** The management operations a listing is made for. */
export type ListingPurpose = 'info()' | 'prune()' | 'verify()';

/** Every item of an async iterable, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/**
 * A cache backend whose management is derived from `entries()`:
 *
 * - `info()`: totals of the listed entries (`summarize`), with the hits and misses counted in `usage`.
 * - `prune()`: the kit's plan over the listed entries (`planPrune`), removed with `removeKeys()`.
 * - `verify()`: every listed entry read back with `getMany()`, a batch at a time; one whose bytes
 *   are gone (a backend that checks its bytes on read answers a damaged entry as gone) is removed
 *   and reported in `missing`. These reads count as hits in `info()`.
 *
 * @example
 * class MapCache extends ListedCache {
 *   readonly name = 'map';
 *   // getBlob, setBlob, getMany, has, delete, getMeta, setMeta, clear, close, entries
 * }
 */
export abstract class ListedCache implements CacheBackend {
  /** Short name for reports: "memory", "keyv", … */
  abstract readonly name: string;
  /** Hits and misses since the backend was created: the backend counts them, `info()` reports them. */
  protected readonly usage = new UsageCounters();

  abstract getMeta(node: string): Promise<NodeSignature | undefined>;
  abstract setMeta(signature: NodeSignature): Promise<void>;
  abstract getBlob(key: string): Promise<Uint8Array | undefined>;
  abstract setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void>;
  abstract getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  abstract has(key: string): Promise<boolean>;
  abstract delete(key: string): Promise<boolean>;
  abstract clear(options?: { node?: string }): Promise<void>;
  abstract close(): Promise<void>;
  abstract entries(options?: { node?: string }): AsyncIterable<EntryRecord>;

  /** Where the data lives, for `info()`: a directory, a URL without credentials. @default undefined */
  declare readonly location?: string;

  /**
   * The entries a management operation works on. With `dryRun`, the listing must change nothing
   * (a backend that removes expired or damaged records while it lists leaves them).
   * @default every entry `entries()` lists
   */
  protected listFor(_purpose: ListingPurpose, _options: { dryRun: boolean }): AsyncIterable<EntryRecord> {
    return this.entries();
  }

  /** Removes entries by key, for `prune()` and `verify()`. @default `delete()` of each key, one after another */
  protected async removeKeys(keys: readonly string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }

  /** What the cache holds: a listing of every entry, and this instance's hits and misses. */
  async info(): Promise<CacheInfo> {
    const records = await collect(this.listFor('info()', { dryRun: false }));
    return summarize(this.name, this.location, records, this.usage);
  }

  /** Removes expired entries, entries unused for `maxAge`, then the least recently used until the limits hold. */
  async prune(options: PruneOptions): Promise<PruneResult> {
    assertPruneOptions(options);
    const records = await collect(this.listFor('prune()', { dryRun: options.dryRun ?? false }));
    return pruneRecords(records, options, (keys) => this.removeKeys(keys));
  }

  /** Reads every listed entry back; those whose bytes are gone are removed and reported in `missing`. */
  async verify(options: { onProgress?: OnProgress } = {}): Promise<VerifyReport> {
    const keys = (await collect(this.listFor('verify()', { dryRun: false }))).map((record) => record.key);
    const report = emptyVerifyReport();
    for (let at = 0; at < keys.length; at += VERIFY_BATCH) {
      const batch = keys.slice(at, at + VERIFY_BATCH);
      const values = await this.getMany(batch);
      const gone = batch.filter((_, i) => values[i] === undefined);
      report.checked += batch.length;
      report.blobs += batch.length - gone.length;
      report.missing.push(...gone);
      await this.removeKeys(gone);
      options.onProgress?.(report.checked, keys.length);
    }
    report.ok = isClean(report);
    return report;
  }
}
