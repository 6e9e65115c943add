/** tiered/: a cache made of caches, fastest first. */
export {
  type Tier,
  TieredCache,
  type TieredCacheInfo,
  type TieredCacheOptions,
  type TierInfo,
  type TierOptions,
} from './tiered-cache.ts';
