/** What MemoryCache and DiskCache share: key and option checks, usage counters, info() totals, prune() plans. */

import { ConfigError, quote } from '../../errors.ts';
import type {
  CacheInfo,
  EntryRecord,
  NodeUsage,
  PruneOptions,
  PruneResult,
  VerifyReport,
} from '../contract.ts';

/** Anything but a lowercase hex digit. With a length check, the same test as KEY_PATTERN at a third of its cost (65 against 180 ns for 64 digits). */
const NOT_HEX = /[^0-9a-f]/;

/** Throws a ConfigError unless `key` is a lowercase hex digest, so no other string reaches a map or a path. */
export function assertKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length < 16 || key.length > 128 || NOT_HEX.test(key)) {
    throw new ConfigError(
      `Invalid cache key ${quote(key)}: a key is 16 to 128 lowercase hex characters (a digest).`,
    );
  }
}

export function assertNode(node: unknown): asserts node is string {
  if (typeof node !== 'string') throw new ConfigError(`Invalid node name ${quote(node)}: expected a string.`);
}

/**
 * An empty table keyed by node names. It has no prototype, so a node named `__proto__`,
 * `constructor` or `toString` is a key like any other: it neither sets nor reads Object.prototype.
 */
export function byNode<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** Undefined or Infinity: never expires. */
export function assertTtl(ttl: unknown, where: string): asserts ttl is number | undefined {
  if (ttl === undefined || (typeof ttl === 'number' && ttl > 0)) return;
  throw new ConfigError(`Invalid \`ttl\` ${quote(ttl)} in ${where}: expected milliseconds > 0, or no ttl.`);
}

export function assertLimit(
  value: unknown,
  name: string,
  where: string,
): asserts value is number | undefined {
  if (value === undefined || (typeof value === 'number' && value >= 0 && !Number.isNaN(value))) return;
  throw new ConfigError(`Invalid \`${name}\` ${quote(value)} in ${where}: expected a number >= 0.`);
}

/** The expiry time for an entry stored now: 0 when it never expires. */
export function expiryOf(ttl: number | undefined, now: number): number {
  return ttl === undefined || ttl === Number.POSITIVE_INFINITY ? 0 : now + ttl;
}

export interface HitCounters {
  hits: number;
  misses: number;
}

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

  of(node: string): HitCounters {
    let counters = this.nodes.get(node);
    if (counters === undefined) {
      counters = { hits: 0, misses: 0 };
      this.nodes.set(node, counters);
    }
    return counters;
  }

  hit(counters: HitCounters): void {
    this.hits++;
    counters.hits++;
  }

  miss(key: string): void {
    this.misses++;
    // Bounded: a key missed and never stored (its computation failed) must not be kept forever.
    if (this.#missedKeys.size >= 10_000) this.#missedKeys.clear();
    this.#missedKeys.add(key);
  }

  stored(key: string, counters: HitCounters): void {
    if (this.#missedKeys.delete(key)) counters.misses++;
  }

  forgetMisses(): void {
    this.#missedKeys.clear();
  }
}

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
    recent: byCreation.slice(0, 10),
  };
}

/**
 * The entries `prune()` removes: expired ones, those not used within `maxAge`, then the least
 * recently used until `maxEntries` and `maxBytes` hold. Among entries with equal `lastAccess`,
 * the earlier in `records` goes first.
 */
export function planPrune(
  records: readonly EntryRecord[],
  options: PruneOptions,
  now: number,
): EntryRecord[] {
  const where = 'prune() options';
  assertLimit(options.maxAge, 'maxAge', where);
  assertLimit(options.maxBytes, 'maxBytes', where);
  assertLimit(options.maxEntries, 'maxEntries', where);
  const removed: EntryRecord[] = [];
  const kept: EntryRecord[] = [];
  for (const record of records) {
    const expired = record.expiresAt !== undefined && record.expiresAt <= now;
    const stale = options.maxAge !== undefined && now - record.lastAccess > options.maxAge;
    (expired || stale ? removed : kept).push(record);
  }
  // Stable: entries used in the same millisecond keep the order they were given in.
  kept.sort((a, b) => a.lastAccess - b.lastAccess);
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  let entries = kept.length;
  let bytes = 0;
  for (const record of kept) bytes += record.bytes;
  for (const record of kept) {
    if (entries <= maxEntries && bytes <= maxBytes) break;
    removed.push(record);
    entries--;
    bytes -= record.bytes;
  }
  return removed;
}

/** An empty `prune()` result, with a list when `options.list` asks for one. */
export function emptyPruneResult(options: PruneOptions): PruneResult {
  return { entries: 0, bytes: 0, nodes: byNode(), ...(options.list ? { removed: [] } : {}) };
}

/** Counts one removed entry into a `prune()` result; `record` makes its record, if the result lists them. */
export function countPruned(
  result: PruneResult,
  node: string,
  bytes: number,
  record: () => EntryRecord,
): void {
  result.entries++;
  result.bytes += bytes;
  const usage = result.nodes[node] ?? { entries: 0, bytes: 0 };
  usage.entries++;
  usage.bytes += bytes;
  result.nodes[node] = usage;
  result.removed?.push(record());
}

/** A verify() report before anything was checked. */
export function emptyVerifyReport(): VerifyReport {
  return { checked: 0, blobs: 0, corrupt: [], missing: [], orphans: 0, damagedRecords: 0, ok: true };
}

/** Whether a verify() report found nothing wrong. */
export function isClean(report: VerifyReport): boolean {
  return (
    report.corrupt.length === 0 &&
    report.missing.length === 0 &&
    report.orphans === 0 &&
    report.damagedRecords === 0
  );
}
