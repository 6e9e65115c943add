/** What DiskCache's management reads from its index: `info()` totals, and `prune()` as the index does it best. */

import type { CacheInfo, EntryRecord, NodeUsage, PruneOptions, PruneResult } from '../contract.ts';
import {
  assertPruneOptions,
  byNode,
  countPruned,
  emptyPruneResult,
  RECENT_ENTRIES,
  type UsageCounters,
} from '../kit/index.ts';
import type { DiskIndex, PutFields } from './index/index.ts';
import type { DiskStore } from './store.ts';

/** Entries removed per index append when pruning. */
const PRUNE_BATCH = 10_000;

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
  info.recent = index.byCreation(true, RECENT_ENTRIES).map(recordOf);
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

/**
 * Removes expired entries, entries unused for `maxAge`, then least recently used ones until the
 * limits hold, in `pruneOrder`: lazily, a batch per index append, compacting once at the end.
 */
export async function pruneIndex(store: DiskStore, options: PruneOptions): Promise<PruneResult> {
  assertPruneOptions(options);
  const result = emptyPruneResult(options);
  const index = store.open(false);
  if (!index || (store.readOnly && !options.dryRun)) return result;
  await store.accesses.flush();
  index.sync();
  const now = Date.now();
  for (let again = true; again; ) {
    // Another process compacting meanwhile ends the walk (its rows are gone): walk the new generation.
    const epoch = index.epoch;
    const batch: string[] = [];
    for (const entry of pruneOrder(index, options, now)) {
      countPruned(result, entry.node, entry.bytes, () => recordOf(entry));
      if (options.dryRun) continue;
      batch.push(entry.key);
      if (batch.length === PRUNE_BATCH)
        await store.release(index.remove(batch.splice(0), { compact: false }));
    }
    await store.release(index.remove(batch, { compact: false }));
    again = !options.dryRun && index.epoch !== epoch;
  }
  if (!options.dryRun) {
    index.maybeCompact();
    store.sweep(index);
  }
  return result;
}
