/**
 * `@memoflow/core/backend-kit`: for authors of cache backends (RedisCache, KeyvCache, your own).
 * The contract a backend implements, the entry envelope its bytes are in, and the kit: input
 * checks, hit and miss counters, the `info()` summary and the `prune()` plan that every backend
 * shares, so that every backend answers alike.
 */
export {
  type CacheBackend,
  type CacheInfo,
  type EntryInfo,
  type EntryRecord,
  KEY_PATTERN,
  type LiveEntry,
  type NodeSignature,
  type NodeUsage,
  type OnProgress,
  type PruneOptions,
  type PruneResult,
  type VerifyReport,
} from './backends/contract.ts';
export {
  assertKey,
  assertLimit,
  assertNode,
  assertTtl,
  countPruned,
  emptyPruneResult,
  emptyVerifyReport,
  expiryOf,
  type HitCounters,
  isClean,
  planPrune,
  summarize,
  UsageCounters,
} from './backends/kit/shared.ts';
export { BackendError, ConfigError, quote } from './errors.ts';
export { decodeEntry, encodeEntry, MISS } from './serializer/serializer.ts';
