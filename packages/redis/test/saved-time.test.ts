/**
 * What a mapped node's hits saved on a RedisCache: the compute times read back from the entries'
 * records (computeTimes), on the shared test Redis under prefixes of their own; and, on a private
 * redis-server that hangs or goes away, times that cost nothing but the figure.
 */
import { savedTimeTests } from '@memoflow/conformance';
import { MemoryCache, TieredCache } from '@memoflow/core';
import { describeWithRedis, startRedisServer, testPrefix } from '@memoflow/test-utils';
import { createClient } from 'redis';
import { expect, onTestFinished, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (text: string) => new TextEncoder().encode(text);

describeWithRedis('RedisCache saved time', (url) => {
  savedTimeTests('RedisCache (computeTimes, read by a second instance on the prefix)', () => {
    const prefix = testPrefix('saved-time');
    return { filled: new RedisCache({ url, prefix }), reread: new RedisCache({ url, prefix }) };
  });
  savedTimeTests('TieredCache of an empty MemoryCache over the RedisCache the cold run filled', () => {
    const prefix = testPrefix('saved-time-tiered');
    return {
      filled: new RedisCache({ url, prefix }),
      reread: new TieredCache([new MemoryCache(), new RedisCache({ url, prefix })]),
    };
  });

  test('computeTimes answers in order: undefined for an absent key, an entry stored without a time, or a record not ours', async () => {
    const prefix = testPrefix('compute-times');
    const cache = new RedisCache({ url, prefix });
    const raw = createClient({ url });
    await raw.connect();
    onTestFinished(async () => {
      await cache.clear();
      await cache.close();
      raw.destroy();
    });
    await cache.setBlob(key(1), bytes('a'), { node: 'n', computeMs: 12.5 });
    await cache.setBlob(key(2), bytes('b'), { node: 'n' });
    await cache.setBlob(key(3), bytes('c'), { node: 'n', computeMs: 4 });
    await raw.set(`${prefix}i:${key(3)}`, 'not a record');
    expect(await cache.computeTimes([key(4), key(1), key(2), key(3), key(1)])).toEqual([
      undefined,
      12.5,
      undefined,
      undefined,
      12.5,
    ]);
    expect(await cache.computeTimes([])).toEqual([]);
    await expect(cache.computeTimes(['not-hex'])).rejects.toThrow(/key/i);
  });
});

test('a server that hangs or goes away costs computeTimes its figures (all undefined), never a throw', async () => {
  const server = await startRedisServer();
  const cache = new RedisCache({ url: server.url, prefix: 'times:', timeout: 300, onWarning: () => {} });
  onTestFinished(async () => {
    if (server.pid) process.kill(server.pid, 'SIGCONT');
    await server.stop();
    await cache.close();
  });
  await cache.setBlob(key(1), bytes('a'), { node: 'n', computeMs: 3 });
  expect(await cache.computeTimes([key(1), key(2)])).toEqual([3, undefined]);
  process.kill(server.pid!, 'SIGSTOP');
  expect(await cache.computeTimes([key(1), key(2)])).toEqual([undefined, undefined]);
  process.kill(server.pid!, 'SIGCONT');
  await server.stop();
  expect(await cache.computeTimes([key(1)])).toEqual([undefined]);
});
