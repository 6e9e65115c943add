/** What a TieredCache is made of and reports: its tiers, its options, its `info()`. */
import type { BackendError } from '../../errors.ts';
import type { CacheBackend, CacheInfo } from '../contract.ts';

/** A tier with options. */
export interface TierOptions {
  /** The backend of this tier. */
  backend: CacheBackend;
  /**
   * Read from this tier and promote from it, never write to it: no store, promotion, `setMeta`,
   * `delete`, `clear`, `prune` or `verify` reaches it. For a shared cache that a job may read but
   * must not fill (an untrusted CI job).
   * @default false
   */
  readOnly?: boolean;
}

/** A tier of a TieredCache: a backend (read and written), or a backend with options. */
export type Tier = CacheBackend | TierOptions;

export interface TieredCacheOptions {
  /**
   * Called with each failure of a tier that the cache went past instead of failing: a read that
   * went on to the next tier, a store or promotion the other tiers kept, a `peek` that missed.
   * Each is a BackendError naming the tier, with the tier's own error as `cause`. It is called
   * synchronously, and what it throws reaches the caller: a way to make a tier's failures fatal.
   * @default a process warning (code `MEMOFLOW_BACKEND`) for the first failure of each tier
   */
  onError?: (error: BackendError) => void;
}

/** `info()` of one tier, as a TieredCache reports it. */
export interface TierInfo extends CacheInfo {
  /** Whether the tier was given with `readOnly: true`. */
  readOnly: boolean;
}

/** `info()` of a TieredCache: the combined view, and each tier's own `info()`. */
export interface TieredCacheInfo extends CacheInfo {
  /** Each tier's own `info()`, fastest first. */
  tiers: TierInfo[];
}
