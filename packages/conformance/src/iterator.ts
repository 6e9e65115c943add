import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  collect,
  info,
  randomKey,
  randomNode,
  useBackend,
} from './_backend.ts';

/** entries(): every live entry, with what a `cache ls` needs; optionally one node's. */
export function iteratorTests(create: BackendFactory): void {
  describe('iterator', () => {
    const { backend } = useBackend(create);

    test('an empty backend lists nothing', async () => {
      expect(await collect(backend().entries())).toEqual([]);
    });

    test('entries() lists every stored entry with its node, size and times', async () => {
      const node = randomNode();
      const before = Date.now();
      const stored = new Map([
        [randomKey(), 3],
        [randomKey(), 0],
        [randomKey(), 1000],
      ]);
      for (const [key, bytes] of stored)
        await backend().setBlob(key, new Uint8Array(bytes), info(node, { computeMs: 42 }));
      const after = Date.now();
      const records = await collect(backend().entries());
      expect(records.map((record) => record.key).sort()).toEqual([...stored.keys()].sort());
      for (const record of records) {
        expect(record.node).toBe(node);
        expect(record.bytes).toBe(stored.get(record.key));
        expect(record.createdAt).toBeGreaterThanOrEqual(before - 1_000);
        expect(record.createdAt).toBeLessThanOrEqual(after + 1_000);
        expect(record.lastAccess).toBeGreaterThanOrEqual(record.createdAt - 1_000);
        expect(record.computeMs).toBe(42);
        expect(record.expiresAt).toBeUndefined();
        expect(record.hits).toBeGreaterThanOrEqual(0);
      }
    });

    test('entries({ node }) lists only that node', async () => {
      const [a, b] = [randomNode(), randomNode()];
      const aKeys = [randomKey(), randomKey()];
      for (const key of aKeys) await backend().setBlob(key, bytesOf('a'), info(a));
      await backend().setBlob(randomKey(), bytesOf('b'), info(b));
      const records = await collect(backend().entries({ node: a }));
      expect(records.map((record) => record.key).sort()).toEqual(aKeys.sort());
      expect(await collect(backend().entries({ node: randomNode() }))).toEqual([]);
    });

    test('an overwritten key is listed once, with its latest node and size', async () => {
      const key = randomKey();
      const [first, second] = [randomNode(), randomNode()];
      await backend().setBlob(key, new Uint8Array(10), info(first));
      await backend().setBlob(key, new Uint8Array(20), info(second));
      const records = await collect(backend().entries());
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ key, node: second, bytes: 20 });
    });

    test('deleted entries are not listed', async () => {
      const node = randomNode();
      const [kept, deleted] = [randomKey(), randomKey()];
      await backend().setBlob(kept, bytesOf('k'), info(node));
      await backend().setBlob(deleted, bytesOf('d'), info(node));
      await backend().delete(deleted);
      expect((await collect(backend().entries())).map((record) => record.key)).toEqual([kept]);
    });
  });
}
