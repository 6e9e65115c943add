/** The combined view of a TieredCache's tiers: each key once, its totals, and its records merged for prune(). */

import type { CacheInfo, EntryRecord, NodeUsage } from '../contract.ts';
import { byNode, type UsageCounters } from '../kit/index.ts';
import { tierFailure } from './failures.ts';
import { PROMOTED_NODE } from './promotion.ts';
import type { TierSlot } from './tiers.ts';

/** How many of the most recently created entries `info().recent` lists. */
const RECENT = 10;

/**
 * Each key once, as the first tier that has it lists it. A copy promoted under `PROMOTED_NODE`
 * is listed with the node a slower tier knows it by (its other fields stay the faster tier's);
 * one no slower tier lists any more is listed under `PROMOTED_NODE`, last. A tier that fails
 * fails the listing with a BackendError.
 */
export async function* combinedEntries(
  slots: readonly TierSlot[],
  node: string | undefined,
): AsyncGenerator<EntryRecord> {
  const seen = new Set<string>();
  const unnamed = new Map<string, EntryRecord>();
  for (const [position, slot] of slots.entries()) {
    const last = position === slots.length - 1;
    for await (const record of listed(slot, node)) {
      if (seen.has(record.key)) continue;
      const held = unnamed.get(record.key);
      if (record.node === PROMOTED_NODE && node === undefined && !last) {
        if (held === undefined) unnamed.set(record.key, record);
        continue;
      }
      if (!last) seen.add(record.key);
      if (held === undefined) {
        yield record;
        continue;
      }
      unnamed.delete(record.key);
      const computeMs = held.computeMs ?? record.computeMs;
      yield { ...held, node: record.node, ...(computeMs === undefined ? {} : { computeMs }) };
    }
  }
  yield* unnamed.values();
}

/**
 * Every key the tiers hold, merged: the first tier's record, with the most recent access any tier
 * saw (a hit served by a faster tier never reaches the slower ones) and the hits of all of them.
 * The order is the first tier's listing, then each slower tier's new keys.
 */
export async function mergedRecords(slots: readonly TierSlot[]): Promise<Map<string, EntryRecord>> {
  const merged = new Map<string, EntryRecord>();
  for (const slot of slots) {
    for await (const record of listed(slot, undefined)) {
      const first = merged.get(record.key);
      if (first === undefined) {
        merged.set(record.key, { ...record });
        continue;
      }
      first.lastAccess = Math.max(first.lastAccess, record.lastAccess);
      first.hits += record.hits;
      if (first.node === PROMOTED_NODE) first.node = record.node;
      if (first.computeMs === undefined && record.computeMs !== undefined) first.computeMs = record.computeMs;
    }
  }
  return merged;
}

/**
 * The totals of the combined view. Entries and bytes count each key once (`combinedEntries`).
 * Hits and misses are the reads through the TieredCache (`usage`); per node, hits are the sum of
 * the tiers' own (each read is served by one tier), misses are counted against the node a missed
 * key is stored under next.
 */
export async function combinedTotals(
  name: string,
  slots: readonly TierSlot[],
  tierInfos: readonly CacheInfo[],
  usage: UsageCounters,
): Promise<CacheInfo> {
  const nodes = byNode<NodeUsage>();
  const nodeOf = (node: string): NodeUsage => {
    nodes[node] ??= { entries: 0, bytes: 0, hits: 0, misses: usage.nodes.get(node)?.misses ?? 0 };
    return nodes[node];
  };
  for (const node of usage.nodes.keys()) nodeOf(node);
  for (const tier of tierInfos)
    for (const [node, counts] of Object.entries(tier.nodes)) nodeOf(node).hits += counts.hits;
  let entries = 0;
  let bytes = 0;
  let newest: EntryRecord | undefined;
  let oldest: EntryRecord | undefined;
  const recent: EntryRecord[] = [];
  for await (const record of combinedEntries(slots, undefined)) {
    entries++;
    bytes += record.bytes;
    const totals = nodeOf(record.node);
    totals.entries++;
    totals.bytes += record.bytes;
    // Ties: the newest is the first listed, the oldest the last, as MemoryCache and DiskCache do.
    if (newest === undefined || record.createdAt > newest.createdAt) newest = record;
    if (oldest === undefined || record.createdAt <= oldest.createdAt) oldest = record;
    insertRecent(recent, record);
  }
  return {
    backend: name,
    entries,
    bytes,
    hits: usage.hits,
    misses: usage.misses,
    nodes,
    ...(newest === undefined ? {} : { newest, oldest: oldest! }),
    recent,
  };
}

export async function* listed(slot: TierSlot, node: string | undefined): AsyncGenerator<EntryRecord> {
  try {
    yield* slot.backend.entries(node === undefined ? {} : { node });
  } catch (error) {
    throw tierFailure(slot, 'entries()', error);
  }
}

/** Keeps the `RECENT` most recently created records, newest first; among equal times, the first listed first. */
function insertRecent(recent: EntryRecord[], record: EntryRecord): void {
  if (recent.length === RECENT && record.createdAt <= recent[RECENT - 1]!.createdAt) return;
  let at = recent.length;
  while (at > 0 && recent[at - 1]!.createdAt < record.createdAt) at--;
  recent.splice(at, 0, record);
  if (recent.length > RECENT) recent.pop();
}
