/** The cache the configuration names. */
import { type CacheBackend, DiskCache } from '@memoflow/core';
import type { CliConfig } from './config.ts';
import { loadOptional } from './optional-packages.ts';

/** A configured backend; a DiskCache has `export` and `import` too. */
export type OpenBackend = CacheBackend & { export?: DiskCache['export']; import?: DiskCache['import'] };

/** Opens the backend `config` names (a Redis connection is made on first use). */
export async function openBackend(config: CliConfig): Promise<OpenBackend> {
  if (config.backend === 'redis') {
    const [{ RedisCache }] = await loadOptional('the Redis backend', ['@memoflow/redis']);
    // A secret: from the environment only, never a flag (process lists) or a config file (commits).
    const signingKey = process.env.MEMOFLOW_SIGNING_KEY || undefined;
    return new RedisCache({
      url: config.redis!,
      prefix: config.prefix,
      readOnly: config.readOnly,
      signingKey,
    });
  }
  return new DiskCache({ dir: config.dir });
}
