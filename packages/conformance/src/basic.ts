import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  info,
  randomBytesOf,
  randomKey,
  randomNode,
  sameBytes,
  useBackend,
} from './_backend.ts';

/** getBlob / setBlob / has / delete, and the refusal of keys that are not hex digests. */
export function basicTests(create: BackendFactory): void {
  describe('basic', () => {
    const { backend } = useBackend(create);

    test('a key never stored is a miss: undefined, not a throw', async () => {
      expect(await backend().getBlob(randomKey())).toBeUndefined();
      expect(await backend().has(randomKey())).toBe(false);
    });

    test('stored bytes read back exactly', async () => {
      const key = randomKey();
      const value = bytesOf('hello, memoflow');
      await backend().setBlob(key, value, info(randomNode()));
      const stored = await backend().getBlob(key);
      expect(stored).toBeInstanceOf(Uint8Array);
      expect(sameBytes(stored, value)).toBe(true);
    });

    test('an empty value is stored and is a hit, not a miss', async () => {
      const key = randomKey();
      await backend().setBlob(key, new Uint8Array(0), info(randomNode()));
      const stored = await backend().getBlob(key);
      expect(stored).toBeInstanceOf(Uint8Array);
      expect(stored!.length).toBe(0);
      expect(await backend().has(key)).toBe(true);
    });

    test('a 1 MiB value reads back exactly', async () => {
      const key = randomKey();
      const value = randomBytesOf(1024 * 1024);
      await backend().setBlob(key, value, info(randomNode()));
      expect(sameBytes(await backend().getBlob(key), value)).toBe(true);
    });

    test('every byte value 0..255 survives (binary-safe)', async () => {
      const key = randomKey();
      const value = new Uint8Array(512);
      for (let i = 0; i < value.length; i++) value[i] = i % 256;
      await backend().setBlob(key, value, info(randomNode()));
      expect(sameBytes(await backend().getBlob(key), value)).toBe(true);
    });

    test('bytes that are a view into a larger buffer are stored as the view', async () => {
      const key = randomKey();
      const whole = randomBytesOf(100);
      const view = whole.subarray(10, 30);
      await backend().setBlob(key, view, info(randomNode()));
      expect(sameBytes(await backend().getBlob(key), view)).toBe(true);
    });

    test('storing under an existing key replaces the value', async () => {
      const key = randomKey();
      const node = randomNode();
      await backend().setBlob(key, bytesOf('first, and longer'), info(node));
      await backend().setBlob(key, bytesOf('second'), info(node));
      expect(sameBytes(await backend().getBlob(key), bytesOf('second'))).toBe(true);
    });

    test('keys are independent', async () => {
      const [a, b] = [randomKey(), randomKey()];
      const node = randomNode();
      await backend().setBlob(a, bytesOf('a'), info(node));
      await backend().setBlob(b, bytesOf('b'), info(node));
      expect(sameBytes(await backend().getBlob(a), bytesOf('a'))).toBe(true);
      expect(sameBytes(await backend().getBlob(b), bytesOf('b'))).toBe(true);
    });

    test('has() is true for a stored key and false after delete()', async () => {
      const key = randomKey();
      await backend().setBlob(key, bytesOf('x'), info(randomNode()));
      expect(await backend().has(key)).toBe(true);
      expect(await backend().delete(key)).toBe(true);
      expect(await backend().has(key)).toBe(false);
      expect(await backend().getBlob(key)).toBeUndefined();
    });

    test('delete() of a missing key returns false', async () => {
      expect(await backend().delete(randomKey())).toBe(false);
    });

    test('the shortest and longest valid keys (16 and 128 hex chars) work', async () => {
      const node = randomNode();
      for (const key of [randomKey().slice(0, 16), randomKey() + randomKey()]) {
        await backend().setBlob(key, bytesOf(key), info(node));
        expect(sameBytes(await backend().getBlob(key), bytesOf(key))).toBe(true);
      }
    });

    test('keys that are not lowercase hex digests are refused with a CONFIG error, before any lookup', async () => {
      const bad = [
        '../../etc/passwd',
        '..',
        '',
        'ABCDEF0123456789ABCD',
        `${randomKey()}/x`,
        'g'.repeat(64),
        'abc',
        '0'.repeat(129),
      ];
      for (const key of bad) {
        await expect(backend().getBlob(key), key).rejects.toMatchObject({ code: 'CONFIG' });
        await expect(backend().setBlob(key, bytesOf('x'), info(randomNode())), key).rejects.toMatchObject({
          code: 'CONFIG',
        });
        await expect(backend().has(key), key).rejects.toMatchObject({ code: 'CONFIG' });
        await expect(backend().delete(key), key).rejects.toMatchObject({ code: 'CONFIG' });
        await expect(backend().getMany([randomKey(), key]), key).rejects.toMatchObject({ code: 'CONFIG' });
      }
    });
  });
}
