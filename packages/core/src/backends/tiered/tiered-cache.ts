/**
 * A cache made of caches, fastest first: read through, promote on hit, write through. Each tier
 * may be read-only (a job that reads a shared cache but must not fill it).
 */

import { type BackendError, ConfigError, quote } from '../../errors.ts';
import type {
  CacheBackend,
  CacheInfo,
  EntryInfo,
  EntryRecord,
  LiveEntry,
  NodeSignature,
  PruneOptions,
  PruneResult,
  RunHistoryStore,
  VerifyReport,
} from '../contract.ts';
import { assertKey, assertNode, assertTtl, UsageCounters } from '../kit/index.ts';
import { combinedFailure, FailureReporter, onEach, tierFailure } from './failures.ts';
import { clearTogether, combinedVerify, pruneTogether } from './manage.ts';
import type { Tier, TieredCacheInfo, TieredCacheOptions } from './options.ts';
import { metaKey, Promotions } from './promotion.ts';
import { TieredReads } from './read.ts';
import { tieredRunHistory } from './run-history.ts';
import { slotsOf, type TierSlot } from './tiers.ts';
import { combinedEntries, combinedTotals } from './view.ts';

export type { Tier, TieredCacheInfo, TieredCacheOptions, TierInfo, TierOptions } from './options.ts';
export { PROMOTED_NODE } from './promotion.ts';

/**
 * Reads go through the tiers in order and stop at the first hit. A hit in a slower tier is
 * **promoted**: written into every faster writable tier before the read resolves, so the next read
 * is served by the fastest. `getMany` asks each tier, in one `getMany`, for the keys still missing.
 * `peek` is the first tier's that has one (a MemoryCache's), so a hit there costs what it costs in
 * that tier. **Writes** (`setBlob`, `setMeta`) go to every writable tier at once.
 *
 * **Failures.** A tier that fails a read (a server down) is a miss there: the read goes on to the
 * next tier and the failure goes to `onError`. A store that a tier fails is kept by the others, and
 * the failing tier's older value under that key is deleted if it can be, so it is not served
 * instead; a store throws only when every writable tier failed it. Management (`delete`, `clear`,
 * `prune`, `verify`, `info`, `entries`, `close`) finishes on the other tiers, then throws a
 * BackendError naming the tiers that failed.
 *
 * **Management** sees the combined view: `entries()` lists each key once, `info()` gives its totals
 * and each tier's own. `delete`, `clear`, `prune` and `verify` act on every writable tier; what a
 * read-only tier holds stays, and is read (and promoted) again. `close()` closes every tier.
 *
 * **Promoted copies.** Reads return bytes only, so a copy is stored under the node this cache
 * stored it with, if it did so lately, else under `PROMOTED_NODE` with the faster tier's default
 * ttl. The combined view lists it under the node the slower tier knows, and `clear({ node })` removes it.
 *
 * **Runs** are kept by one tier: the slowest writable one that keeps a history (see `runs`).
 *
 * @example
 * const cache = new TieredCache([
 *   new MemoryCache(),
 *   new DiskCache({ dir: '.memoflow' }),
 *   { backend: new RedisCache({ url: process.env.REDIS_URL }), readOnly: process.env.CI_TRUSTED !== 'true' },
 * ]);
 * const train = func({ cache }, async (data: Data) => fit(data));
 */
export class TieredCache implements CacheBackend {
  readonly name = 'tiered';
  /** The first tier's `peek` that has one; absent when no tier has one. */
  readonly peek?: (key: string) => LiveEntry | undefined;
  /**
   * The history of the slowest writable tier that keeps one (the shared, lasting one: a disk, a
   * Redis); else the slowest read-only tier's, read but never written; absent when no tier has one.
   */
  readonly runs?: RunHistoryStore;
  readonly #slots: readonly TierSlot[];
  readonly #writable: readonly TierSlot[];
  readonly #reporter: FailureReporter;
  readonly #promotions: Promotions;
  readonly #usage = new UsageCounters();
  readonly #reads: TieredReads;

  constructor(tiers: readonly Tier[], options: TieredCacheOptions = {}) {
    this.#slots = slotsOf(tiers);
    this.#writable = this.#slots.filter((slot) => !slot.readOnly);
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw new ConfigError(
        `Invalid \`onError\` ${quote(options.onError)} in TieredCache options: expected a function (error) => void.`,
      );
    }
    this.#reporter = new FailureReporter(options.onError);
    this.#promotions = new Promotions(this.#writable, this.#reporter);
    this.#reads = new TieredReads(this.#slots, this.#reporter, this.#promotions, this.#usage);
    const peeking = this.#slots.find((slot) => typeof slot.backend.peek === 'function');
    if (peeking !== undefined) this.peek = (key) => this.#peekOn(peeking, key);
    this.runs = tieredRunHistory(this.#slots);
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    const first = this.#slots[0]!;
    // The first tier inline, without a closure: its hit is the hot path. It checks the key itself
    // (every backend refuses a key that is not a hex digest before any lookup); checking it here
    // first would cost a hit as much again as this method's own await.
    try {
      const bytes = await first.backend.getBlob(key);
      if (bytes !== undefined) {
        this.#usage.hits++;
        return bytes;
      }
    } catch (error) {
      assertKey(key);
      this.#reporter.report(first, tierFailure(first, 'getBlob', error));
      return this.#reads.blobFromSlower(key, new Set([first]));
    }
    assertKey(key);
    return this.#reads.blobFromSlower(key, new Set());
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    return this.#reads.many(keys);
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return this.#reads.has(key);
  }

  /**
   * The compute time stored with each key, from the fastest tier that has one (a tier's `peek`,
   * else its `computeTimes`); undefined where no tier says. A failing tier is reported and passed over.
   */
  async computeTimes(keys: readonly string[]): Promise<(number | undefined)[]> {
    for (const key of keys) assertKey(key);
    return this.#reads.computeTimes(keys);
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const { guard, known } = this.#promotions;
    guard.beginChange(key);
    try {
      await this.#promotions.landed(key);
      known.remember(key, info, Date.now());
      await this.#reporter.writeThrough(this.#writable, 'setBlob', key, (backend) =>
        backend.setBlob(key, value, info),
      );
      this.#usage.stored(key, this.#usage.of(info.node));
    } finally {
      guard.endChange(key);
    }
  }

  /** Deletes the key from every writable tier; true if one had it. A read-only tier keeps its copy. */
  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const { guard, known } = this.#promotions;
    guard.beginChange(key);
    try {
      await this.#promotions.landed(key);
      known.forget(key);
      const failures: BackendError[] = [];
      const deleted = await onEach(this.#writable, 'delete', (backend) => backend.delete(key), failures);
      if (failures.length > 0) throw combinedFailure(failures, 'delete', 'The other tiers deleted the key.');
      return deleted.includes(true);
    } finally {
      guard.endChange(key);
    }
  }

  /** The first tier's signature for the node; one found in a slower tier is promoted too. */
  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    return this.#reads.meta(node);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    const { guard } = this.#promotions;
    guard.beginChange(metaKey(signature.node));
    try {
      await this.#reporter.writeThrough(this.#writable, 'setMeta', undefined, (backend) =>
        backend.setMeta(signature),
      );
    } finally {
      guard.endChange(metaKey(signature.node));
    }
  }

  /**
   * Each key once, as the first tier that has it lists it, read-only tiers included; a promoted
   * copy under the node a slower tier knows it by.
   */
  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    if (options.node !== undefined) assertNode(options.node);
    yield* combinedEntries(this.#slots, options.node);
  }

  /**
   * The combined view's totals (each key once; hits and misses of the reads through this cache)
   * and each tier's own `info()` in `tiers`. It lists every tier's entries: its cost grows with them.
   */
  async info(): Promise<TieredCacheInfo> {
    const failures: BackendError[] = [];
    const infos = await onEach(this.#slots, 'info()', (backend) => backend.info(), failures);
    if (failures.length > 0)
      throw combinedFailure(failures, 'info()', 'The combined totals need every tier.');
    const tierInfos = infos as CacheInfo[];
    const totals = await combinedTotals(this.name, this.#slots, tierInfos, this.#usage);
    const tiers = tierInfos.map((info, i) => ({ ...info, readOnly: this.#slots[i]!.readOnly }));
    return { ...totals, tiers };
  }

  /**
   * Prunes the writable tiers together. Expired entries go from each. Then the limits apply to
   * what they hold together, each key once, least recently used first by the most recent access
   * any tier saw, and each key chosen is deleted from every writable tier. Read-only tiers are
   * neither counted nor pruned.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    return this.#bulkChange('prune()', async (failures) => {
      const { result, deleted } = await pruneTogether(this.#writable, options, failures);
      for (const key of deleted) this.#promotions.known.forget(key);
      return result;
    });
  }

  /**
   * Clears every writable tier, or one node's entries and meta in each, with the copies promoted
   * under `PROMOTED_NODE` that any tier lists under that node. A read-only tier keeps what it has.
   */
  async clear(options: { node?: string } = {}): Promise<void> {
    const node = options.node;
    if (node !== undefined) assertNode(node);
    await this.#bulkChange('clear()', async (failures) => {
      await clearTogether(this.#writable, this.#slots, node, failures);
      this.#promotions.known.forgetNode(node);
      if (node === undefined) this.#usage.forgetMisses();
    });
  }

  /**
   * Verifies every writable tier. Corrupt and missing keys are listed once; `checked` and `blobs`
   * are the most any tier checked (the tiers hold copies of the same entries).
   */
  async verify(): Promise<VerifyReport> {
    const failures: BackendError[] = [];
    const reports = await onEach(this.#writable, 'verify()', (backend) => backend.verify(), failures);
    if (failures.length > 0) throw combinedFailure(failures, 'verify()', 'The other tiers were verified.');
    return combinedVerify(reports as VerifyReport[]);
  }

  /** Waits for the promotions in flight, then closes every tier, read-only ones too. */
  async close(): Promise<void> {
    await this.#promotions.landed();
    const failures: BackendError[] = [];
    await onEach(this.#slots, 'close()', (backend) => backend.close(), failures);
    this.#promotions.known.forgetNode(undefined);
    if (failures.length > 0) throw combinedFailure(failures, 'close()', 'The other tiers were closed.');
  }

  #peekOn(slot: TierSlot, key: string): LiveEntry | undefined {
    try {
      const live = slot.backend.peek!(key);
      if (live !== undefined) this.#usage.hits++;
      return live;
    } catch (error) {
      this.#reporter.report(slot, tierFailure(slot, 'peek', error));
      return undefined;
    }
  }

  /** A clear or prune: no promotion decided meanwhile writes back, and those in flight land first. */
  async #bulkChange<T>(operation: string, run: (failures: BackendError[]) => Promise<T>): Promise<T> {
    const { guard } = this.#promotions;
    guard.beginChange();
    try {
      await this.#promotions.landed();
      const failures: BackendError[] = [];
      const result = await run(failures);
      if (failures.length > 0)
        throw combinedFailure(failures, operation, `The other tiers completed the ${operation}.`);
      return result;
    } finally {
      guard.endChange();
    }
  }
}
