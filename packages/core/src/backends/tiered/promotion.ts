/** Promotion: writing what a slower tier had into the faster ones, under the right node, never a stale value. */
import { hash } from '../../util/hash.ts';
import type { CacheBackend, EntryInfo, NodeSignature } from '../contract.ts';
import type { FailureReporter } from './failures.ts';
import type { TierSlot } from './tiers.ts';

/**
 * The node a promoted copy is stored under when the cache does not know the entry's own: the
 * contract's reads return bytes only. `entries()`, `info()`, `prune()` and `clear({ node })` of the
 * TieredCache look the real node up in the slower tier the copy came from.
 */
export const PROMOTED_NODE = '(promoted)';

/** Keys `KnownEntries` remembers at most; it is emptied when full (forgetting one only costs its node name). */
const KNOWN_LIMIT = 10_000;

/**
 * Writes what a read found in a slower tier into the faster writable tiers, before the read
 * resolves. A store or delete of a key waits for its promotion in flight to land (`landed`), and
 * the guard keeps a read from writing back what such a change made stale.
 */
export class Promotions {
  readonly guard = new PromotionGuard();
  readonly known = new KnownEntries();
  readonly #inFlight = new Map<string, Promise<void>>();

  constructor(
    readonly writable: readonly TierSlot[],
    readonly reporter: FailureReporter,
  ) {}

  /** Promotes values of keys read from `source` by the read begun at `since`; `failed`: tiers that failed it. */
  async promote(
    found: readonly [string, Uint8Array][],
    source: TierSlot,
    since: number,
    failed: ReadonlySet<TierSlot>,
  ): Promise<void> {
    const targets = this.#targets(source, failed);
    if (targets.length === 0) return;
    const now = Date.now();
    const writes: Promise<void>[] = [];
    for (const [key, bytes] of found) {
      // A key asked twice, or whose promotion is already in flight, is written once.
      if (this.#inFlight.has(key) || !this.guard.mayPromote(key, since)) continue;
      // The caller owns `bytes` and may decode views into them: a tier that keeps what it is given gets a copy.
      const copy = bytes.slice();
      const info = this.known.promotionInfo(key, hash(copy), now);
      const write = this.#write(targets, (backend) => backend.setBlob(key, copy, info));
      const forget = () => void this.#inFlight.delete(key);
      this.#inFlight.set(key, write.then(forget, forget));
      writes.push(write);
    }
    await Promise.all(writes);
  }

  async promoteMeta(
    signature: NodeSignature,
    source: TierSlot,
    since: number,
    failed: ReadonlySet<TierSlot>,
  ): Promise<void> {
    if (!this.guard.mayPromote(metaKey(signature.node), since)) return;
    const copy = structuredClone(signature);
    await this.#write(this.#targets(source, failed), (backend) => backend.setMeta(copy));
  }

  /** Resolves once the promotions in flight of `key` (without a key: all of them) have landed. */
  async landed(key?: string): Promise<void> {
    if (key === undefined) await Promise.all(this.#inFlight.values());
    else await this.#inFlight.get(key);
  }

  #targets(source: TierSlot, failed: ReadonlySet<TierSlot>): TierSlot[] {
    return this.writable.filter((slot) => slot.index < source.index && !failed.has(slot));
  }

  async #write(targets: readonly TierSlot[], run: (backend: CacheBackend) => Promise<void>): Promise<void> {
    await Promise.all(targets.map((slot) => this.reporter.read(slot, 'a promotion', run)));
  }
}

/** The guard's key for a node's meta: hex keys never contain a NUL, so it cannot be an entry's. */
export function metaKey(node: string): string {
  return `\u0000${node}`;
}

/**
 * Keeps a read from writing back a value that a store, delete or clear made stale while the read
 * was in flight. A read takes `beginRead()` before its first slower tier; its promotion goes ahead
 * only if no change of that key (and no clear or prune) was in flight since.
 */
export class PromotionGuard {
  #clock = 0;
  #reads = 0;
  /** Changes in flight, per key. */
  readonly #pending = new Map<string, number>();
  #pendingBulk = 0;
  /** Key → clock when a change of it ended while reads were in flight; forgotten when none is. */
  readonly #ended = new Map<string, number>();
  #bulkEnded = -1;

  beginRead(): number {
    this.#reads++;
    return this.#clock;
  }

  endRead(): void {
    if (--this.#reads === 0 && this.#ended.size > 0) this.#ended.clear();
  }

  /** A change of `key` begins; no key: a change of every key (clear, prune). */
  beginChange(key?: string): void {
    if (key === undefined) this.#pendingBulk++;
    else this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1);
  }

  endChange(key?: string): void {
    this.#clock++;
    if (key === undefined) {
      this.#pendingBulk--;
      if (this.#reads > 0) this.#bulkEnded = this.#clock;
      return;
    }
    const left = this.#pending.get(key)! - 1;
    if (left === 0) this.#pending.delete(key);
    else this.#pending.set(key, left);
    if (this.#reads > 0) this.#ended.set(key, this.#clock);
  }

  /** Whether a value of `key` read by the read begun at `since` may be written into faster tiers. */
  mayPromote(key: string, since: number): boolean {
    return (
      this.#pendingBulk === 0 &&
      this.#bulkEnded <= since &&
      !this.#pending.has(key) &&
      (this.#ended.get(key) ?? -1) <= since
    );
  }
}

interface KnownEntry {
  node: string;
  /** 0 when it does not expire. */
  expiresAt: number;
  computeMs: number | undefined;
}

/**
 * The node, expiry and compute time of entries this cache stored lately: a copy promoted after
 * the fast tier evicted it keeps them. Entries stored by other processes are not known.
 */
export class KnownEntries {
  readonly #entries = new Map<string, KnownEntry>();

  remember(key: string, info: EntryInfo, now: number): void {
    if (this.#entries.size >= KNOWN_LIMIT) this.#entries.clear();
    const expiresAt = info.ttl === undefined || info.ttl === Number.POSITIVE_INFINITY ? 0 : now + info.ttl;
    this.#entries.set(key, { node: info.node, expiresAt, computeMs: info.computeMs });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets one node's entries, or every entry. */
  forgetNode(node: string | undefined): void {
    if (node === undefined) {
      this.#entries.clear();
      return;
    }
    for (const [key, entry] of this.#entries) if (entry.node === node) this.#entries.delete(key);
  }

  /**
   * What a copy of `key` promoted now is stored with: its node, the rest of its lifetime and its
   * compute time when known; otherwise `PROMOTED_NODE`, and the faster tier's own default ttl.
   */
  promotionInfo(key: string, outputHash: string, now: number): EntryInfo {
    const known = this.#entries.get(key);
    if (known === undefined) return { node: PROMOTED_NODE, outputHash };
    return {
      node: known.node,
      outputHash,
      ...(known.expiresAt === 0 ? {} : { ttl: Math.max(1, known.expiresAt - now) }),
      ...(known.computeMs === undefined ? {} : { computeMs: known.computeMs }),
    };
  }
}
