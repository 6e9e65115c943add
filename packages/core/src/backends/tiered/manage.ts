/** What a TieredCache's prune(), clear() and verify() do across its writable tiers. */

import type { BackendError } from '../../errors.ts';
import type { EntryRecord, PruneOptions, PruneResult, VerifyReport } from '../contract.ts';
import {
  assertPruneOptions,
  countPruned,
  emptyPruneResult,
  emptyVerifyReport,
  isClean,
  planPrune,
} from '../kit/index.ts';
import { onEach, tierFailure } from './failures.ts';
import { PROMOTED_NODE } from './promotion.ts';
import type { TierSlot } from './tiers.ts';
import { listed, mergedRecords } from './view.ts';

/** Keys deleted from each tier at once (a remote tier pipelines them). */
const DELETE_BATCH = 1_000;

/**
 * Prunes the writable tiers together. Expired entries go from each by its own `prune()` (which
 * also lets a DiskCache compact). Then the limits apply to what the tiers hold together, each key
 * once, least recently used first by the most recent access any tier saw; each key chosen is
 * deleted from every tier. Returns the result and the keys deleted for the limits.
 */
export async function pruneTogether(
  writable: readonly TierSlot[],
  options: PruneOptions,
  failures: BackendError[],
): Promise<{ result: PruneResult; deleted: string[] }> {
  assertPruneOptions(options);
  const dryRun = options.dryRun ?? false;
  const result = emptyPruneResult(options);
  const counted = new Set<string>();
  const expired = await onEach(
    writable,
    'prune()',
    (backend) => backend.prune({ dryRun, list: true }),
    failures,
  );
  for (const record of expired.flatMap((tierResult) => tierResult?.removed ?? [])) {
    if (counted.has(record.key)) continue;
    counted.add(record.key);
    countPruned(result, record.node, record.bytes, () => record);
  }
  let records: Map<string, EntryRecord>;
  try {
    records = await mergedRecords(writable);
  } catch (error) {
    failures.push(error as BackendError);
    return { result, deleted: [] };
  }
  const live = [...records.values()].filter((record) => !counted.has(record.key));
  const chosen = planPrune(live, options, Date.now());
  for (const record of chosen) countPruned(result, record.node, record.bytes, () => record);
  if (dryRun) return { result, deleted: [] };
  const deleted = chosen.map((record) => record.key);
  await Promise.all(writable.map((slot) => deleteEach(slot, deleted, failures)));
  return { result, deleted };
}

/**
 * Clears every writable tier, or one node's entries and meta in each. With a node, the copies
 * promoted under `PROMOTED_NODE` that any tier lists under that node go too.
 */
export async function clearTogether(
  writable: readonly TierSlot[],
  slots: readonly TierSlot[],
  node: string | undefined,
  failures: BackendError[],
): Promise<void> {
  const copies = node === undefined ? [] : await promotedCopies(writable, slots, node, failures);
  await onEach(writable, 'clear()', (backend) => backend.clear(node === undefined ? {} : { node }), failures);
  if (copies.length > 0) await Promise.all(writable.map((slot) => deleteEach(slot, copies, failures)));
}

/**
 * One report for the writable tiers' `verify()`. Corrupt and missing keys are listed once;
 * orphans and damaged records add up; `checked` and `blobs` are the most any tier checked, since
 * the tiers hold copies of the same entries.
 */
export function combinedVerify(reports: readonly VerifyReport[]): VerifyReport {
  const combined = emptyVerifyReport();
  const corrupt = new Set<string>();
  const missing = new Set<string>();
  for (const report of reports) {
    combined.checked = Math.max(combined.checked, report.checked);
    combined.blobs = Math.max(combined.blobs, report.blobs);
    for (const key of report.corrupt) corrupt.add(key);
    for (const key of report.missing) missing.add(key);
    combined.orphans += report.orphans;
    combined.damagedRecords += report.damagedRecords;
  }
  combined.corrupt = [...corrupt];
  combined.missing = [...missing];
  combined.ok = isClean(combined);
  return combined;
}

/**
 * Deletes `keys` from one tier, a batch at a time. The tier's first failure goes to `failures`
 * and ends its deletes: a tier that is down would fail every one.
 */
async function deleteEach(slot: TierSlot, keys: readonly string[], failures: BackendError[]): Promise<void> {
  for (let at = 0; at < keys.length; at += DELETE_BATCH) {
    const batch = keys.slice(at, at + DELETE_BATCH);
    const results = await Promise.allSettled(batch.map(async (key) => slot.backend.delete(key)));
    const rejected = results.find((result) => result.status === 'rejected');
    if (rejected !== undefined) {
      failures.push(tierFailure(slot, 'delete', rejected.reason));
      return;
    }
  }
}

/**
 * The keys that `writable` tiers hold under `PROMOTED_NODE` and some tier lists under `node`:
 * promoted copies of that node's entries, which its `clear({ node })` must remove too.
 */
async function promotedCopies(
  writable: readonly TierSlot[],
  slots: readonly TierSlot[],
  node: string,
  failures: BackendError[],
): Promise<string[]> {
  const copies = new Set<string>();
  for (const slot of writable) await collectKeys(slot, PROMOTED_NODE, copies, failures);
  if (copies.size === 0) return [];
  const ofNode = new Set<string>();
  for (const slot of slots) await collectKeys(slot, node, ofNode, failures);
  return [...copies].filter((key) => ofNode.has(key));
}

async function collectKeys(slot: TierSlot, node: string, into: Set<string>, failures: BackendError[]) {
  try {
    for await (const record of listed(slot, node)) into.add(record.key);
  } catch (error) {
    failures.push(error as BackendError);
  }
}
