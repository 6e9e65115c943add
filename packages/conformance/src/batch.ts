import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  info,
  randomKey,
  randomNode,
  sameBytes,
  useBackend,
} from './_backend.ts';

/** getMany: one lookup for many keys. */
export function batchTests(create: BackendFactory): void {
  describe('batch', () => {
    const { backend } = useBackend(create);

    test('getMany returns values in the order asked, undefined for misses', async () => {
      const node = randomNode();
      const keys = Array.from({ length: 6 }, randomKey);
      for (const [i, key] of keys.entries())
        if (i % 2 === 0) await backend().setBlob(key, bytesOf(`v${i}`), info(node));
      const values = await backend().getMany(keys);
      expect(values).toHaveLength(keys.length);
      for (const [i, value] of values.entries()) {
        if (i % 2 === 0) expect(sameBytes(value, bytesOf(`v${i}`)), `key ${i}`).toBe(true);
        else expect(value, `key ${i}`).toBeUndefined();
      }
    });

    test('getMany of no keys is an empty array', async () => {
      expect(await backend().getMany([])).toEqual([]);
    });

    test('getMany with the same key twice returns it twice', async () => {
      const key = randomKey();
      await backend().setBlob(key, bytesOf('twice'), info(randomNode()));
      const [first, second] = await backend().getMany([key, key]);
      expect(sameBytes(first, bytesOf('twice'))).toBe(true);
      expect(sameBytes(second, bytesOf('twice'))).toBe(true);
    });

    test('getMany of 200 keys, all hits', async () => {
      const node = randomNode();
      const keys = Array.from({ length: 200 }, randomKey);
      await Promise.all(keys.map((key) => backend().setBlob(key, bytesOf(key), info(node))));
      const values = await backend().getMany(keys);
      for (const [i, key] of keys.entries()) expect(sameBytes(values[i], bytesOf(key))).toBe(true);
    });
  });
}
