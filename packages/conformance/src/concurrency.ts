import type { CacheBackend } from '@memoflow/core/backend-kit';
import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  collect,
  info,
  outputHashOf,
  randomKey,
  randomNode,
  sameBytes,
  useBackend,
} from './_backend.ts';

/**
 * Many operations in flight at once in one process, on overlapping keys: none rejects, and no
 * read sees anything but a whole value some writer stored under that key.
 */
export function concurrencyTests(create: BackendFactory): void {
  describe('concurrency', () => {
    const { backend } = useBackend(create);

    test('hundreds of interleaved operations on a dozen keys: no rejection, every hit is a whole value written to that key', async () => {
      const keys = Array.from({ length: 12 }, randomKey);
      const nodes = [randomNode(), randomNode(), randomNode()];
      const written = new Map(keys.map((key) => [key, new Set<number>()]));
      const hits: [key: string, value: Uint8Array][] = [];
      const listed: string[][] = [];
      let version = 0;
      const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

      const operations = Array.from({ length: 600 }, async (_, i) => {
        const key = pick(keys);
        switch (i % 9) {
          case 0:
          case 1:
          case 2: {
            const v = version++;
            written.get(key)!.add(v);
            const value = versionValue(key, v);
            await backend().setBlob(key, value, info(pick(nodes), { outputHash: outputHashOf(value) }));
            return;
          }
          case 3: {
            const value = await backend().getBlob(key);
            if (value !== undefined) hits.push([key, value]);
            return;
          }
          case 4: {
            const asked = [pick(keys), key, pick(keys), key];
            const values = await backend().getMany(asked);
            expect(values).toHaveLength(asked.length);
            for (const [j, value] of values.entries()) if (value !== undefined) hits.push([asked[j]!, value]);
            return;
          }
          case 5:
            await backend().has(key);
            return;
          case 6:
            await backend().delete(key);
            return;
          case 7:
            expect((await backend().info()).entries).toBeLessThanOrEqual(keys.length);
            return;
          default:
            listed.push((await collect(backend().entries())).map((record) => record.key));
        }
      });
      await Promise.all(operations);

      const wrong = hits.filter(([key, value]) => !isWrittenValue(written, key, value)).map(([key]) => key);
      expect(wrong, 'hits whose bytes no writer stored under that key').toEqual([]);
      for (const keysListed of listed) {
        expect(new Set(keysListed).size, 'a key listed twice').toBe(keysListed.length);
        for (const key of keysListed) expect(written.has(key)).toBe(true);
      }
      await expectSettled(backend(), written);
    });

    test('concurrent writes of one key settle on one whole value, counted once', async () => {
      const key = randomKey();
      const node = randomNode();
      const written = new Map([[key, new Set<number>()]]);
      const reads: Promise<Uint8Array | undefined>[] = [];
      const writes = Array.from({ length: 200 }, (_, v) => {
        written.get(key)!.add(v);
        const value = versionValue(key, v);
        const write = backend().setBlob(key, value, info(node, { outputHash: outputHashOf(value) }));
        reads.push(backend().getBlob(key));
        return write;
      });
      await Promise.all(writes);
      for (const value of await Promise.all(reads))
        if (value !== undefined) expect(isWrittenValue(written, key, value)).toBe(true);
      await expectSettled(backend(), written);
      expect((await backend().info()).entries).toBe(1);
    });

    test('hundreds of concurrent writes of distinct keys are all kept and counted', async () => {
      const node = randomNode();
      const keys = Array.from({ length: 300 }, randomKey);
      await Promise.all(keys.map((key, v) => backend().setBlob(key, versionValue(key, v), info(node))));
      const values = await backend().getMany(keys);
      for (const [v, key] of keys.entries()) expect(sameBytes(values[v], versionValue(key, v))).toBe(true);
      const totals = await backend().info();
      expect(totals.entries).toBe(keys.length);
      expect(totals.bytes).toBe(keys.reduce((sum, key, v) => sum + versionValue(key, v).length, 0));
      expect(await collect(backend().entries({ node }))).toHaveLength(keys.length);
    });
  });
}

/**
 * The value version `v` of a key writes: its length and bytes follow from both, so a truncated,
 * mixed or misplaced value matches none. Every fourth version is shared by all keys (backends
 * that store a value once for many keys must still keep each key's entry whole).
 */
function versionValue(key: string, v: number): Uint8Array {
  const shared = v % 4 === 0;
  const seed = shared ? v % 32 : v;
  const head = bytesOf(shared ? `shared:${seed}:` : `${key}:${seed}:`);
  const value = new Uint8Array(head.length + ((seed * 331) % 3000));
  value.set(head);
  for (let i = head.length; i < value.length; i++) value[i] = (seed + i) % 256;
  return value;
}

function isWrittenValue(written: ReadonlyMap<string, ReadonlySet<number>>, key: string, value: Uint8Array) {
  for (const v of written.get(key) ?? []) if (sameBytes(value, versionValue(key, v))) return true;
  return false;
}

/** Once everything settled: each key is absent or holds a written value, and every view agrees. */
async function expectSettled(backend: CacheBackend, written: ReadonlyMap<string, ReadonlySet<number>>) {
  const keys = [...written.keys()];
  const present: string[] = [];
  const many = await backend.getMany(keys);
  for (const [i, key] of keys.entries()) {
    const value = await backend.getBlob(key);
    expect(await backend.has(key), key).toBe(value !== undefined);
    expect(many[i] === undefined, key).toBe(value === undefined);
    if (value === undefined) continue;
    expect(isWrittenValue(written, key, value), key).toBe(true);
    expect(sameBytes(many[i], value), key).toBe(true);
    present.push(key);
  }
  expect((await collect(backend.entries())).map((record) => record.key).sort()).toEqual(present.sort());
  expect((await backend.info()).entries).toBe(present.length);
  expect(await backend.verify()).toMatchObject({
    checked: present.length,
    corrupt: [],
    missing: [],
    ok: true,
  });
}
