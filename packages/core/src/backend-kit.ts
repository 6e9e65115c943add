/**
 * Building blocks for cache backends outside core (RedisCache, KeyvCache, your own): the input
 * checks, hit and miss counters, `info()` summary and `prune()` plan that MemoryCache and
 * DiskCache use, so that every backend answers alike.
 */
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
