/** What `info()` of a RedisCache returns. */
import type { CacheInfo } from '@memoflow/core/backend-kit';

/** `info()` of a RedisCache: the common totals, plus what only a shared cache has. */
export interface RedisCacheInfo extends CacheInfo {
  /** The server's URL, without credentials. */
  location: string;
  /** Entries refused since this instance was created because their bytes were not an entry of this format (each was a miss and was removed). */
  corrupt: number;
  /** Entries refused because their signature was missing or wrong (with `signingKey`): each was a miss and was removed. */
  rejected: number;
  /** Times the server became unreachable since this instance was created. */
  outages: number;
}
