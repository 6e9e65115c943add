import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  collect,
  info,
  randomKey,
  randomNode,
  sleep,
  useBackend,
} from './_backend.ts';

/** Entries stored with a `ttl` expire: afterwards they are misses everywhere. */
export function ttlTests(create: BackendFactory): void {
  describe('ttl', () => {
    const { backend } = useBackend(create);

    test('an entry is a hit before its ttl and a miss after', async () => {
      const key = randomKey();
      await backend().setBlob(key, bytesOf('short-lived'), info(randomNode(), { ttl: 200 }));
      expect(await backend().getBlob(key)).toBeDefined();
      await sleep(300);
      expect(await backend().getBlob(key)).toBeUndefined();
      expect(await backend().has(key)).toBe(false);
      expect(await backend().getMany([key])).toEqual([undefined]);
    });

    test('an expired entry is not listed by entries() or counted by info()', async () => {
      const node = randomNode();
      const [expiring, lasting] = [randomKey(), randomKey()];
      await backend().setBlob(expiring, bytesOf('short'), info(node, { ttl: 50 }));
      await backend().setBlob(lasting, bytesOf('long'), info(node));
      await sleep(120);
      const listed = await collect(backend().entries({ node }));
      expect(listed.map((record) => record.key)).toEqual([lasting]);
      expect((await backend().info()).nodes[node]?.entries).toBe(1);
    });

    test('an entry stored with a ttl lists its expiry time', async () => {
      const node = randomNode();
      const before = Date.now();
      await backend().setBlob(randomKey(), bytesOf('x'), info(node, { ttl: 60_000 }));
      const [record] = await collect(backend().entries({ node }));
      expect(record!.expiresAt).toBeGreaterThanOrEqual(before + 60_000 - 1_000);
      expect(record!.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
    });

    test('storing again without a ttl makes the entry last', async () => {
      const key = randomKey();
      const node = randomNode();
      await backend().setBlob(key, bytesOf('x'), info(node, { ttl: 50 }));
      await backend().setBlob(key, bytesOf('y'), info(node));
      await sleep(120);
      expect(await backend().getBlob(key)).toBeDefined();
    });

    test('prune() removes expired entries whatever the limits', async () => {
      const node = randomNode();
      const key = randomKey();
      await backend().setBlob(key, bytesOf('x'), info(node, { ttl: 50 }));
      await sleep(120);
      await backend().prune({});
      expect(await collect(backend().entries({ node }))).toEqual([]);
    });
  });
}
