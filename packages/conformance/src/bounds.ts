import type { CacheBackend } from '@memoflow/core/backend-kit';
import { describe, expect, test } from 'vitest';
import {
  type BackendLimits,
  type BoundedBackendFactory,
  bytesOf,
  collect,
  info,
  randomKey,
  randomNode,
  sameBytes,
  sleep,
  useBackends,
} from './_backend.ts';

/**
 * `maxEntries` and `maxBytes` hold on every write, least recently used first, while ten times
 * the bound passes through, without anyone calling `prune()`.
 */
export function boundsTests(bounded: BoundedBackendFactory): void {
  describe('bounds', () => {
    const { open } = useBackends();

    test('maxEntries holds while ten times as many entries are written; a key read between writes survives', async () => {
      const maxEntries = 8;
      const backend = await open(bounded({ maxEntries }));
      const { hot, written } = await writeThrough(backend, maxEntries * 10, () => 16);
      const listed = await collect(backend.entries());
      expect(listed.length).toBeLessThanOrEqual(maxEntries);
      expect((await backend.info()).entries).toBeLessThanOrEqual(maxEntries);
      expect(listed.map((record) => record.key)).toContain(hot);
      expectOldestGone(await present(backend, written), maxEntries);
    });

    test('maxBytes holds while ten times that volume is written; a key read between writes survives', async () => {
      const maxBytes = 2_000;
      const backend = await open(bounded({ maxBytes }));
      // 50 to 150 bytes each, 100 on average: 200 entries are ten times the bound.
      const { hot, written } = await writeThrough(backend, 200, (i) => 50 + ((i * 37) % 101));
      const listed = await collect(backend.entries());
      expect(listed.reduce((sum, record) => sum + record.bytes, 0)).toBeLessThanOrEqual(maxBytes);
      expect((await backend.info()).bytes).toBeLessThanOrEqual(maxBytes);
      expect(listed.map((record) => record.key)).toContain(hot);
      expectOldestGone(await present(backend, written), maxBytes / 50);
    });

    test('maxEntries and maxBytes together: whichever binds first holds', async () => {
      const limits: BackendLimits = { maxEntries: 20, maxBytes: 1_000 };
      const backend = await open(bounded(limits));
      const { hot } = await writeThrough(backend, 100, (i) => (i % 2 === 0 ? 10 : 200));
      const listed = await collect(backend.entries());
      expect(listed.length).toBeLessThanOrEqual(limits.maxEntries!);
      expect(listed.reduce((sum, record) => sum + record.bytes, 0)).toBeLessThanOrEqual(limits.maxBytes!);
      expect(listed.map((record) => record.key)).toContain(hot);
    });

    test('an entry larger than maxBytes is not kept, and evicts nothing', async () => {
      const backend = await open(bounded({ maxBytes: 100 }));
      const node = randomNode();
      const [small, large] = [randomKey(), randomKey()];
      await backend.setBlob(small, bytesOf('small'), info(node));
      await backend.setBlob(large, new Uint8Array(101).fill(7), info(node));
      expect(await backend.getBlob(large)).toBeUndefined();
      expect(sameBytes(await backend.getBlob(small), bytesOf('small'))).toBe(true);
      expect(await backend.info()).toMatchObject({ entries: 1, bytes: 5 });
    });
  });
}

/**
 * Stores a hot key, then `count` entries of `lengthOf(i)` bytes, reading the hot key after each
 * write: it must be there every time, since it is always the most recently used but one.
 */
async function writeThrough(backend: CacheBackend, count: number, lengthOf: (i: number) => number) {
  const node = randomNode();
  const hot = randomKey();
  const hotValue = bytesOf('hot');
  await backend.setBlob(hot, hotValue, info(node));
  const written: string[] = [];
  for (let i = 0; i < count; i++) {
    // Backends may keep access times to the millisecond: a tick apart, the order is unambiguous.
    await sleep(1);
    const key = randomKey();
    const value = new Uint8Array(lengthOf(i)).fill(i % 256);
    value.set(bytesOf(key).subarray(0, Math.min(value.length, 64)));
    await backend.setBlob(key, value, info(node));
    written.push(key);
    expect(sameBytes(await backend.getBlob(hot), hotValue), `the hot key, read after write ${i}`).toBe(true);
  }
  return { hot, written };
}

async function present(backend: CacheBackend, keys: readonly string[]): Promise<boolean[]> {
  return Promise.all(keys.map((key) => backend.has(key)));
}

/** The newest key is kept, and every key older than the `mostKept` newest is gone. */
function expectOldestGone(present: readonly boolean[], mostKept: number): void {
  expect(present.at(-1), 'the newest key').toBe(true);
  const older = present.slice(0, present.length - mostKept);
  expect(older.filter(Boolean), 'keys older than any that can fit, still present').toEqual([]);
}
