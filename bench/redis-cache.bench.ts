/**
 * RedisCache against a bare node-redis v5 client on the same server (127.0.0.1:6379, or
 * MEMOFLOW_BENCH_REDIS_URL), side by side in one process. Goals: a 1 KiB hit ≤ 1.3x a bare GET of
 * the same bytes; 1,000 lookups of a pipeline's frontier (`getMany`) ≤ 2x a bare MGET of 1,000 keys.
 * Everything is written under a prefix of its own and removed at the end.
 */
import { randomBytes } from 'node:crypto';
import { RedisCache } from '@memoflow/redis';
import { createClient, RESP_TYPES } from 'redis';
import { compare, report } from './_harness.ts';

const url = process.env.MEMOFLOW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `memoflow-bench:${randomBytes(4).toString('hex')}:`;
const bareClient = createClient({ url });
await bareClient.connect();
const bare = bareClient.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
const cache = new RedisCache({ url, prefix });
const keyOf = (i: number) => i.toString(16).padStart(64, '0');

try {
  const value = randomBytes(1024);
  await cache.setBlob(keyOf(0), value, { node: 'bench' });
  // The bare side reads keys and values of the same shape: 64-hex-digit keys under a prefix.
  await bare.set(`${prefix}bare:${keyOf(0)}`, value);
  const hits = await compare([
    { name: 'RedisCache getBlob', fn: () => cache.getBlob(keyOf(0)) },
    { name: 'bare client GET', fn: () => bare.get(`${prefix}bare:${keyOf(0)}`) },
  ]);
  report('hit, 1 KiB value', hits, 'bare client GET');
  console.log(
    `\nRedisCache hit / bare GET: ${(hits[0]!.medianNs / hits[1]!.medianNs).toFixed(2)}x (goal ≤ 1.3x)`,
  );

  const frontier = Array.from({ length: 1_000 }, (_, i) => keyOf(i + 1));
  const bareKeys = frontier.map((key) => `${prefix}bare:${key}`);
  for (let i = 0; i < frontier.length; i++) {
    const bytes = randomBytes(256);
    await cache.setBlob(frontier[i]!, bytes, { node: 'bench' });
    await bare.set(bareKeys[i]!, bytes);
  }
  const lookups = await compare(
    [
      { name: 'RedisCache getMany(1,000 keys)', fn: () => cache.getMany(frontier) },
      { name: 'bare client MGET of 1,000 keys', fn: () => bare.mGet(bareKeys) },
    ],
    { rounds: 20 },
  );
  report('a frontier of 1,000 lookups, 256 B values', lookups, 'bare client MGET of 1,000 keys');
  console.log(
    `\nRedisCache getMany / bare MGET: ${(lookups[0]!.medianNs / lookups[1]!.medianNs).toFixed(2)}x (goal ≤ 2x)`,
  );
} finally {
  await cache.clear();
  await cache.close();
  for await (const keys of bareClient.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 }))
    if (keys.length > 0) await bareClient.unlink(keys);
  bareClient.destroy();
}
