/** What `info()` of a KeyvCache returns. */
import type { CacheInfo } from '@memoflow/core/backend-kit';

/** `info()` of a KeyvCache: the common totals, plus what only this backend knows. */
export interface KeyvCacheInfo extends CacheInfo {
  /** The Keyv namespace the cache's records live under, if the Keyv has one. */
  namespace?: string;
  /** Corrupt or undecodable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}
