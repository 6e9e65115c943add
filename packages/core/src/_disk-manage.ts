/** What DiskCache's management reads from its index: `info()` totals and `prune()` plans. */

import type { DiskIndex, IndexRow } from './_disk-index.ts';
import type { UsageCounters } from './_disk-memory-shared.ts';
import type { CacheInfo, EntryRecord, PruneOptions } from './backend.ts';

export function recordOf(key: string, row: IndexRow): EntryRecord {
  const record: EntryRecord = {
    key,
    node: row.n,
    bytes: row.b,
    createdAt: row.c,
    lastAccess: row.a,
    hits: row.h,
  };
  if (row.e !== 0) record.expiresAt = row.e;
  if (row.m >= 0) record.computeMs = row.m;
  return record;
}

/** `info()` from the totals the index keeps with every write, and this process's hit counters. */
export function infoOf(
  index: DiskIndex | undefined,
  usage: UsageCounters,
  backend: string,
  location: string,
): CacheInfo {
  const nodes: CacheInfo['nodes'] = {};
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
  for (const [node, totals] of Object.entries(index.nodeTotals())) {
    nodes[node] = { hits: 0, misses: 0, ...nodes[node], ...totals };
    info.entries += totals.entries;
    info.bytes += totals.bytes;
  }
  const records = (keys: Iterable<string>) =>
    [...keys].flatMap((key) => {
      const row = index.get(key);
      return row ? [recordOf(key, row)] : [];
    });
  info.recent = records(index.byCreation(true, 10));
  const [oldest] = records(index.byCreation(false, 1));
  if (oldest) Object.assign(info, { oldest, newest: info.recent[0] });
  return info;
}

/**
 * What `prune()` removes: expired entries, from the expiry order; then the least recently used,
 * only as far as needed: stale entries come first in that order, so the walk stops where the
 * limits hold.
 */
export function planPrune(index: DiskIndex, options: PruneOptions, now: number): EntryRecord[] {
  let { entries, bytes } = index.totals();
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const removed: EntryRecord[] = [];
  const take = (key: string, row: IndexRow) => {
    removed.push(recordOf(key, row));
    entries--;
    bytes -= row.b;
  };
  const expiredKeys = new Set<string>();
  for (const key of index.expiredKeys(now)) {
    const row = index.get(key);
    if (!row) continue;
    expiredKeys.add(key);
    take(key, row);
  }
  for (const key of index.leastRecentlyUsed()) {
    if (expiredKeys.has(key)) continue;
    const row = index.get(key);
    if (!row) continue;
    const stale = options.maxAge !== undefined && now - row.a > options.maxAge;
    if (!stale && entries <= maxEntries && bytes <= maxBytes) break;
    take(key, row);
  }
  return removed;
}
