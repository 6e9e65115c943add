/**
 * What `prune()` removes and what it reports: the plan (expired, stale, then least recently used
 * until the limits hold), the per-node counts, and the skeleton every listing backend runs.
 */
import type { EntryRecord, PruneOptions, PruneResult } from '../contract.ts';
import { assertPruneOptions, byNode } from './checks.ts';

/**
 * The entries `prune()` removes: expired ones, those not used within `maxAge`, then the least
 * recently used until `maxEntries` and `maxBytes` hold. Among entries with equal `lastAccess`,
 * the earlier in `records` goes first. Throws a ConfigError for a limit that is not a number >= 0.
 */
export function planPrune(
  records: readonly EntryRecord[],
  options: PruneOptions,
  now: number,
): EntryRecord[] {
  assertPruneOptions(options);
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

/**
 * The `prune()` of a backend that can list its entries: plans from `records` (`planPrune`),
 * counts what goes, and unless `options.dryRun` hands the keys to `remove` (all at once, in plan
 * order; none is an empty list, so a read-only backend refuses even a prune with nothing to do).
 * `now` is the time expiry and `maxAge` are judged at. @default now Date.now()
 */
export async function pruneRecords(
  records: readonly EntryRecord[],
  options: PruneOptions,
  remove: (keys: string[]) => Promise<void> | void,
  now = Date.now(),
): Promise<PruneResult> {
  const result = emptyPruneResult(options);
  const removed = planPrune(records, options, now);
  for (const record of removed) countPruned(result, record.node, record.bytes, () => record);
  if (!options.dryRun) await remove(removed.map((record) => record.key));
  return result;
}
