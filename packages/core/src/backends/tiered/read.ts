/** The reads of a TieredCache past its first tier: through the tiers in order, promoting what a slower one had. */

import type { CacheBackend, NodeSignature } from '../contract.ts';
import type { UsageCounters } from '../kit/index.ts';
import { type FailureReporter, TierFailed, tierFailure } from './failures.ts';
import type { Promotions } from './promotion.ts';
import type { TierSlot } from './tiers.ts';

/** Reads through the tiers. A tier that fails a read is a miss there, reported, and not promoted into. */
export class TieredReads {
  constructor(
    readonly slots: readonly TierSlot[],
    readonly reporter: FailureReporter,
    readonly promotions: Promotions,
    readonly usage: UsageCounters,
  ) {}

  /** The rest of a `getBlob` the first tier did not answer; `failed` holds the tiers that failed it. */
  async blobFromSlower(key: string, failed: Set<TierSlot>): Promise<Uint8Array | undefined> {
    const { guard } = this.promotions;
    const since = guard.beginRead();
    try {
      const found = await this.#first(
        this.slots.slice(1),
        'getBlob',
        (backend) => backend.getBlob(key),
        failed,
      );
      if (found === undefined) {
        this.usage.miss(key);
        return undefined;
      }
      this.usage.hits++;
      await this.promotions.promote([[key, found.value]], found.slot, since, failed);
      return found.value;
    } finally {
      guard.endRead();
    }
  }

  /** Asks each tier, in one `getMany`, for the keys no faster tier had. */
  async many(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    const { guard } = this.promotions;
    const values: (Uint8Array | undefined)[] = new Array(keys.length).fill(undefined);
    let missing = keys.map((_, i) => i);
    const failed = new Set<TierSlot>();
    let since: number | undefined;
    try {
      for (const slot of this.slots) {
        if (missing.length === 0) break;
        if (slot.index === 1) since = guard.beginRead();
        const asked = missing.map((i) => keys[i]!);
        const found = await this.reporter.read(slot, 'getMany', (backend) => backend.getMany(asked));
        if (found instanceof TierFailed) {
          failed.add(slot);
          continue;
        }
        const hits: [string, Uint8Array][] = [];
        const still: number[] = [];
        for (const [j, i] of missing.entries()) {
          const bytes = found[j];
          if (bytes === undefined) still.push(i);
          else {
            values[i] = bytes;
            hits.push([keys[i]!, bytes]);
          }
        }
        this.usage.hits += hits.length;
        if (since !== undefined && hits.length > 0) await this.promotions.promote(hits, slot, since, failed);
        missing = still;
      }
    } finally {
      if (since !== undefined) guard.endRead();
    }
    for (const i of missing) this.usage.miss(keys[i]!);
    return values;
  }

  async meta(node: string): Promise<NodeSignature | undefined> {
    const { guard } = this.promotions;
    const failed = new Set<TierSlot>();
    const since = guard.beginRead();
    try {
      const found = await this.#first(this.slots, 'getMeta', (backend) => backend.getMeta(node), failed);
      if (found !== undefined) await this.promotions.promoteMeta(found.value, found.slot, since, failed);
      return found?.value;
    } finally {
      guard.endRead();
    }
  }

  async has(key: string): Promise<boolean> {
    const found = await this.#first(
      this.slots,
      'has',
      async (backend) => (await backend.has(key)) || undefined,
      new Set(),
    );
    return found !== undefined;
  }

  /**
   * Each key's stored compute time, from the fastest tier that has one: a tier's `peek` (an
   * in-process tier), then its `computeTimes`, asked once for the keys no faster tier answered.
   * A tier without either is passed over; one that fails is reported and passed over, like a read.
   * A key a tier holds without a time (a copy promoted from a slower tier) is asked of the slower ones.
   */
  async computeTimes(keys: readonly string[]): Promise<(number | undefined)[]> {
    const times = new Array<number | undefined>(keys.length).fill(undefined);
    let missing = keys.map((_, i) => i);
    for (const slot of this.slots) {
      if (missing.length === 0) break;
      if (slot.backend.peek) missing = this.#peekTimes(slot, keys, missing, times);
      if (missing.length === 0 || !slot.backend.computeTimes) continue;
      const asked = missing.map((i) => keys[i]!);
      const found = await this.reporter.read(slot, 'computeTimes', (backend) => backend.computeTimes!(asked));
      if (found instanceof TierFailed) continue;
      missing = missing.filter((i, j) => {
        times[i] = found[j];
        return times[i] === undefined;
      });
    }
    return times;
  }

  /** Fills `times` from the tier's live entries; returns the indexes still without a time. */
  #peekTimes(slot: TierSlot, keys: readonly string[], missing: number[], times: (number | undefined)[]) {
    try {
      return missing.filter((i) => {
        times[i] = slot.backend.peek!(keys[i]!)?.computeMs;
        return times[i] === undefined;
      });
    } catch (error) {
      this.reporter.report(slot, tierFailure(slot, 'peek', error));
      return missing.filter((i) => times[i] === undefined);
    }
  }

  /** The first of `slots`, in order, whose answer is not undefined; those that failed go to `failed`. */
  async #first<T>(
    slots: readonly TierSlot[],
    operation: string,
    run: (backend: CacheBackend) => Promise<T | undefined>,
    failed: Set<TierSlot>,
  ): Promise<{ slot: TierSlot; value: T } | undefined> {
    for (const slot of slots) {
      const value = await this.reporter.read(slot, operation, run);
      if (value instanceof TierFailed) failed.add(slot);
      else if (value !== undefined) return { slot, value };
    }
    return undefined;
  }
}
