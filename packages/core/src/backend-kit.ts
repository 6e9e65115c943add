/**
 * `@memoflow/core/backend-kit`: for authors of cache backends (RedisCache, KeyvCache, your own).
 *
 * - The contract: `CacheStore` (what storage must do) and `CacheManagement` (entries, info,
 *   prune, verify); a `CacheBackend` is both.
 * - `ListedCache`: a base class that derives `info()`, `prune()` and `verify()` from
 *   `entries()`, so a backend implements storage and a listing.
 * - The kit every backend is built from, each piece once: input checks, hit and miss counters and
 *   the `info()` summary, the `prune()` plan, `verify()` reports, batched access times
 *   (`AccessBatch`), failure wrapping (`backendFailure`), URL credential stripping
 *   (`withoutCredentials`), `quote` and `formatBytes`.
 * - Run history (`RunHistoryStore`, a cache's optional `runs`): the run id's form, the checks of
 *   what is appended, `runSummaryOf`, and `RunList` (a history in memory).
 * - The entry envelope a backend's bytes are in.
 *
 * Light on purpose: importing it does not load the code parser or the signature engine.
 */
export {
  type CacheBackend,
  type CacheInfo,
  type CacheManagement,
  type CacheStore,
  type EntryInfo,
  type EntryRecord,
  KEY_PATTERN,
  type LiveEntry,
  type NodeSignature,
  type NodeUsage,
  type OnProgress,
  type PruneOptions,
  type PruneResult,
  type RunHistoryStore,
  type VerifyReport,
} from './backends/contract.ts';
export {
  ACCESS_FLUSH_KEYS,
  ACCESS_FLUSH_MS,
  AccessBatch,
  type AccessBatchOptions,
  assertKeep,
  assertKey,
  assertLimit,
  assertNode,
  assertPruneOptions,
  assertRunLimit,
  assertRunRecord,
  assertTtl,
  backendFailure,
  byNode,
  collect,
  countPruned,
  emptyPruneResult,
  emptyVerifyReport,
  expiryOf,
  formatBytes,
  type HitCounters,
  isClean,
  isRunId,
  ListedCache,
  type ListingPurpose,
  type NotedAccess,
  newestFirst,
  planPrune,
  pruneRecords,
  quote,
  RECENT_ENTRIES,
  type RemovedSince,
  RUN_ID_PATTERN,
  RUN_LIST_MAX_NODES,
  RunList,
  reasonOf,
  runSummaryOf,
  summarize,
  UsageCounters,
  VERIFY_BATCH,
  type WriteAccesses,
  withoutCredentials,
} from './backends/kit/index.ts';
export { BackendError, ConfigError } from './errors.ts';
export type { NodeStatus, RunRecord, RunReportData, RunSource, RunSummary } from './report/index.ts';
export { decodeEntry, encodeEntry, MISS } from './serializer/index.ts';
