/**
 * The compute times a RedisCache stored with its entries, for what a run's hits saved: read from
 * each entry's record (`<prefix>i:<key>`, the small JSON beside its value), many in one MGET, so
 * no value is sent again.
 */
import { assertKey } from '@memoflow/core/backend-kit';
import type { KeyNames } from './_keys.ts';
import { parseInfo } from './_listing.ts';
import type { Server } from './_server.ts';

/**
 * The compute time stored with each of `keys`, in order: undefined where none was stored or the
 * record is absent or not one of ours. One MGET through the hit path's breaker and deadlines; a
 * server that is unreachable, late or refusing costs the figures (all undefined), never the run.
 */
export async function storedComputeTimes(
  server: Server,
  names: KeyNames,
  keys: readonly string[],
): Promise<(number | undefined)[]> {
  for (const key of keys) assertKey(key);
  if (keys.length === 0) return [];
  const infoKeys = keys.map((key) => names.info(key));
  const texts = await server
    .guarded(() => server.client.mGet(infoKeys), undefined, infoKeys)
    .catch(() => undefined);
  return keys.map((_, i) => {
    const computeMs = parseInfo(texts?.[i] ?? null)?.computeMs;
    return computeMs === undefined || computeMs < 0 ? undefined : computeMs;
  });
}
