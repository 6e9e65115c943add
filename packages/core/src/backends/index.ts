/**
 * backends/: where results are stored. The contract (`contract.ts`), the kit every backend is
 * built from (`kit/`), and the backends of core: memory, disk, tiered.
 */
export type {
  CacheBackend,
  CacheInfo,
  CacheManagement,
  CacheStore,
  EntryInfo,
  EntryRecord,
  LiveEntry,
  NodeSignature,
  NodeUsage,
  OnProgress,
  PruneOptions,
  PruneResult,
  RunHistoryStore,
  VerifyReport,
} from './contract.ts';
export { KEY_PATTERN } from './contract.ts';
export {
  DiskCache,
  type DiskCacheInfo,
  type DiskCacheOptions,
  type ImportOptions,
  type TransferResult,
} from './disk/index.ts';
export { MemoryCache, type MemoryCacheOptions } from './memory/index.ts';
export {
  type Tier,
  TieredCache,
  type TieredCacheInfo,
  type TieredCacheOptions,
  type TierInfo,
  type TierOptions,
} from './tiered/index.ts';
