/** Hits and misses a backend counts, and the `info()` totals made from them and a listing. */
import type { CacheInfo, EntryRecord, NodeUsage } from '../contract.ts';
import { byNode } from './checks.ts';

/** Hits and misses of one node (or of the whole backend). */
export interface HitCounters {
  hits: number;
  misses: number;
}

/** Missed keys remembered for counting a miss against the node that stores them next; then forgotten all at once. */
const MISSED_KEYS_KEPT = 10_000;

/**
 * Hits and misses since the backend was created, in total and per node. A miss names only a
 * key; it is counted against a node when that key is stored next, which is what a memoized
 * call does after a miss.
 */
export class UsageCounters {
  hits = 0;
  misses = 0;
  readonly nodes = new Map<string, HitCounters>();
  readonly #missedKeys = new Set<string>();

  /** The counters of `node`, made on first use. */
  of(node: string): HitCounters {
    let counters = this.nodes.get(node);
    if (counters === undefined) {
      counters = { hits: 0, misses: 0 };
      this.nodes.set(node, counters);
    }
    return counters;
  }

  /** Counts a hit, in total and on a node's counters. */
  hit(counters: HitCounters): void {
    this.hits++;
    counters.hits++;
  }

  /** Counts a miss of `key`; its node is known when the key is stored (`stored()`). */
  miss(key: string): void {
    this.misses++;
    // Bounded: a key missed and never stored (its computation failed) must not be kept forever.
    if (this.#missedKeys.size >= MISSED_KEYS_KEPT) this.#missedKeys.clear();
    this.#missedKeys.add(key);
  }

  /** Counts the earlier miss of `key`, if there was one, against the node now storing it. */
  stored(key: string, counters: HitCounters): void {
    if (this.#missedKeys.delete(key)) counters.misses++;
  }

  /** Forgets the missed keys: the cache was cleared. */
  forgetMisses(): void {
    this.#missedKeys.clear();
  }
}

/** Entries `info()` lists in `recent`, newest first. */
export const RECENT_ENTRIES = 10;

/** Totals for `info()` from the live entries. Nodes that only have counted hits or misses are listed too. */
export function summarize(
  backend: string,
  location: string | undefined,
  records: readonly EntryRecord[],
  usage: UsageCounters,
): CacheInfo {
  const nodes = byNode<NodeUsage>();
  const nodeOf = (node: string): NodeUsage => {
    let totals = nodes[node];
    if (totals === undefined) {
      const counters = usage.nodes.get(node);
      totals = { entries: 0, bytes: 0, hits: counters?.hits ?? 0, misses: counters?.misses ?? 0 };
      nodes[node] = totals;
    }
    return totals;
  };
  let bytes = 0;
  for (const record of records) {
    bytes += record.bytes;
    const totals = nodeOf(record.node);
    totals.entries++;
    totals.bytes += record.bytes;
  }
  for (const node of usage.nodes.keys()) nodeOf(node);
  const byCreation = [...records].sort((a, b) => b.createdAt - a.createdAt);
  return {
    backend,
    ...(location === undefined ? {} : { location }),
    entries: records.length,
    bytes,
    hits: usage.hits,
    misses: usage.misses,
    nodes,
    ...(byCreation.length === 0
      ? {}
      : { newest: byCreation[0]!, oldest: byCreation[byCreation.length - 1]! }),
    recent: byCreation.slice(0, RECENT_ENTRIES),
  };
}
