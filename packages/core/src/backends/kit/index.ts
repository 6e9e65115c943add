/**
 * kit/: what every backend shares, once: input checks, usage counters and `info()` totals, the
 * `prune()` plan and skeleton, `verify()` reports, batched access times, failure wrapping, URL
 * credential stripping, quoting and byte formatting, run history checks and summaries (`RunList`:
 * one in memory), and `ListedCache` (management derived from
 * an entry listing). Light on purpose: nothing here loads the parser or the signature engine.
 */

/** Quotes a value for an error message: short, one line. The one copy is errors.ts's. */
export { quote } from '../../errors.ts';
/** `512 B`, `1.5 KiB`, `1.0 MiB` (never `1024 KiB`), `2.0 GiB`. The one copy is util/format-bytes.ts. */
export { formatBytes } from '../../util/index.ts';
export {
  ACCESS_FLUSH_KEYS,
  ACCESS_FLUSH_MS,
  AccessBatch,
  type AccessBatchOptions,
  type NotedAccess,
  type RemovedSince,
  type WriteAccesses,
} from './access.ts';
export {
  assertKey,
  assertLimit,
  assertNode,
  assertPruneOptions,
  assertTtl,
  byNode,
  expiryOf,
} from './checks.ts';
export { backendFailure, reasonOf } from './failure.ts';
export { collect, ListedCache, type ListingPurpose, VERIFY_BATCH } from './listed-cache.ts';
export { withoutCredentials } from './location.ts';
export { countPruned, emptyPruneResult, planPrune, pruneRecords } from './prune.ts';
export {
  assertKeep,
  assertRunLimit,
  assertRunRecord,
  isRunId,
  newestFirst,
  RUN_ID_PATTERN,
  RUN_LIST_MAX_NODES,
  RunList,
  runSummaryOf,
} from './run-history.ts';
export { type HitCounters, RECENT_ENTRIES, summarize, UsageCounters } from './usage.ts';
export { emptyVerifyReport, isClean } from './verify.ts';
