/**
 * The access-time set (`<prefix>a`, one member per entry ever read) in a real Redis: removing
 * entries removes their members, whether by delete(), prune(), clear({ node }), verify(), expiry
 * or another process, so the set never outgrows the entries.
 */
import { describeWithRedis, testPrefix } from '@memoflow/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithRedis('RedisCache access times', (url) => {
  const raw = createClient({ url });
  beforeAll(() => raw.connect());
  afterAll(() => raw.destroy());

  /** Stores `count` entries of `node` from key number `from`, reads them all, and writes their access times. */
  async function storeAndRead(cache: RedisCache, from: number, count: number, node: string) {
    const keys = Array.from({ length: count }, (_, i) => key(from + i));
    for (const k of keys) await cache.setBlob(k, Buffer.from(k), { node });
    expect((await cache.getMany(keys)).every(Boolean)).toBe(true);
    return keys;
  }

  test('delete(), prune(), clear({ node }) and verify() remove the access times of what they remove', async () => {
    const prefix = testPrefix('access-set');
    const accessKey = `${prefix}a`;
    const cache = new RedisCache({ url, prefix });
    try {
      const a = await storeAndRead(cache, 0, 10, 'a');
      await storeAndRead(cache, 100, 10, 'b');
      await storeAndRead(cache, 200, 10, 'c');
      expect((await cache.info()).entries).toBe(30);
      expect(await raw.zCard(accessKey)).toBe(30);

      for (const k of a.slice(0, 4)) expect(await cache.delete(k)).toBe(true);
      expect(await raw.zCard(accessKey)).toBe(26);

      // Hit, then deleted before the hit's time was written: the time is never written.
      await cache.getBlob(a[4]!);
      await cache.delete(a[4]!);
      expect((await cache.info()).entries).toBe(25);
      expect(await raw.zCard(accessKey)).toBe(25);

      expect((await cache.prune({ maxEntries: 20 })).entries).toBe(5);
      expect(await raw.zCard(accessKey)).toBe(20);

      await cache.clear({ node: 'b' });
      expect((await cache.info()).entries).toBe(10);
      expect(await raw.zCard(accessKey)).toBe(10);

      // A damaged entry is removed by verify(), its access time with it.
      await raw.set(`${prefix}v:${key(200)}`, 'not an entry');
      expect((await cache.verify()).corrupt).toEqual([key(200)]);
      expect(await raw.zCard(accessKey)).toBe(9);

      await cache.clear();
      expect(await raw.exists(accessKey)).toBe(0);
    } finally {
      await cache.clear();
      await cache.close();
    }
  });

  test('prune() removes the access times of entries that expired or that another process removed', async () => {
    const prefix = testPrefix('access-set');
    const accessKey = `${prefix}a`;
    const [cache, other] = [new RedisCache({ url, prefix }), new RedisCache({ url, prefix })];
    try {
      await storeAndRead(cache, 0, 10, 'kept');
      const expiring = Array.from({ length: 5 }, (_, i) => key(100 + i));
      for (const k of expiring) await cache.setBlob(k, Buffer.from(k), { node: 'short', ttl: 60_000 });
      await cache.getMany(expiring);
      expect((await cache.info()).entries).toBe(15);
      expect(await raw.zCard(accessKey)).toBe(15);
      // This process reads two entries that another one then removes: its times, written
      // later (here by the listing of info()), name entries that are gone.
      await cache.getMany([key(0), key(1)]);
      expect(await other.delete(key(0))).toBe(true);
      expect(await other.delete(key(1))).toBe(true);
      expect(await raw.zCard(accessKey)).toBe(13);
      expect((await cache.info()).entries).toBe(13);
      // The short-lived entries expire now, by Redis's own expiry.
      const expiringKeys = expiring.flatMap((k) => [`${prefix}v:${k}`, `${prefix}i:${k}`]);
      for (const k of expiringKeys) await raw.pExpire(k, 1);
      while ((await raw.exists(expiringKeys)) > 0) await sleep(5);
      expect(await raw.zCard(accessKey)).toBe(15);
      expect((await cache.prune({})).entries).toBe(0);
      expect(await raw.zCard(accessKey)).toBe(8);
      expect((await cache.info()).entries).toBe(8);
    } finally {
      await cache.clear();
      await cache.close();
      await other.close();
    }
  });
});
