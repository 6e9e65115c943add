/** What DiskCache's management reads from its index: `info()` totals and `prune()` plans. */

import type { CacheInfo, EntryRecord, NodeUsage, PruneOptions } from '../contract.ts';
import { byNode, type UsageCounters } from '../kit/shared.ts';
import type { DiskIndex, PutFields } from './index/disk-index.ts';

export function recordOf(entry: PutFields): EntryRecord {
  const record: EntryRecord = {
    key: entry.key,
    node: entry.node,
    bytes: entry.bytes,
    createdAt: entry.created,
    lastAccess: entry.access,
    hits: entry.hits,
  };
  if (entry.expires !== 0) record.expiresAt = entry.expires;
  if (entry.computeMs >= 0) record.computeMs = entry.computeMs;
  return record;
}

/** `info()` from the totals the index keeps, and this process's hit counters. */
export function infoOf(
  index: DiskIndex | undefined,
  usage: UsageCounters,
  backend: string,
  location: string,
): CacheInfo {
  // Node names are keys: one named `__proto__` must neither set nor read Object.prototype.
  const nodes = byNode<NodeUsage>();
  for (const [node, counters] of usage.nodes) nodes[node] = { entries: 0, bytes: 0, ...counters };
  const info: CacheInfo = {
    backend,
    location,
    entries: 0,
    bytes: 0,
    hits: usage.hits,
    misses: usage.misses,
    nodes,
    recent: [],
  };
  if (!index) return info;
  for (const [node, totals] of index.nodeTotals()) {
    nodes[node] = { hits: 0, misses: 0, ...nodes[node], ...totals };
    info.entries += totals.entries;
    info.bytes += totals.bytes;
  }
  info.recent = index.byCreation(true, 10).map(recordOf);
  const [oldest] = index.byCreation(false, 1);
  if (oldest) Object.assign(info, { oldest: recordOf(oldest), newest: info.recent[0] });
  return info;
}

/**
 * What `prune()` removes, in order: expired entries, soonest expiry first; then the least
 * recently used, only as far as needed (stale entries come first in that order, so the walk
 * stops where the limits hold). Lazy: the caller removes entries as they come. The walk ends
 * early if the index moves to a new generation; the caller then walks again.
 */
export function* pruneOrder(index: DiskIndex, options: PruneOptions, now: number): Generator<PutFields> {
  let { entries, bytes } = index.totals();
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const expired = new Set<string>();
  const take = (entry: PutFields) => {
    entries--;
    bytes -= entry.bytes;
    return entry;
  };
  for (const entry of index.expired(now)) {
    expired.add(entry.key);
    yield take(entry);
  }
  for (const entry of index.leastRecentlyUsed()) {
    if (expired.has(entry.key)) continue;
    const stale = options.maxAge !== undefined && now - entry.access > options.maxAge;
    if (!stale && entries <= maxEntries && bytes <= maxBytes) return;
    yield take(entry);
  }
}
