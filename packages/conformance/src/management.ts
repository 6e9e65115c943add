import { describe, expect, test } from 'vitest';
import {
  type BackendFactory,
  bytesOf,
  collect,
  info,
  outputHashOf,
  randomBytesOf,
  randomKey,
  randomNode,
  sameBytes,
  sleep,
  useBackend,
} from './_backend.ts';

/** info(), delete(), clear(), prune() and verify(): what `memoflow cache info | clear | prune | verify` run on. */
export function managementTests(create: BackendFactory): void {
  describe('management', () => {
    const { backend } = useBackend(create);

    test('info() of an empty backend', async () => {
      const totals = await backend().info();
      expect(totals.backend).toBe(backend().name);
      expect(totals.entries).toBe(0);
      expect(totals.bytes).toBe(0);
      expect(totals.recent).toEqual([]);
      expect(totals.oldest).toBeUndefined();
      expect(totals.newest).toBeUndefined();
    });

    test('info() counts entries and bytes, in total and per node', async () => {
      const [a, b] = [randomNode(), randomNode()];
      await backend().setBlob(randomKey(), new Uint8Array(100), info(a));
      await backend().setBlob(randomKey(), new Uint8Array(50), info(a));
      await backend().setBlob(randomKey(), new Uint8Array(7), info(b));
      const totals = await backend().info();
      expect(totals.entries).toBe(3);
      expect(totals.bytes).toBe(157);
      expect(totals.nodes[a]).toMatchObject({ entries: 2, bytes: 150 });
      expect(totals.nodes[b]).toMatchObject({ entries: 1, bytes: 7 });
    });

    test('info() names the oldest and newest entries and lists recent ones newest first', async () => {
      const node = randomNode();
      const keys = [randomKey(), randomKey(), randomKey()];
      for (const key of keys) {
        await backend().setBlob(key, bytesOf(key), info(node));
        await sleep(15);
      }
      const totals = await backend().info();
      expect(totals.oldest?.key).toBe(keys[0]);
      expect(totals.newest?.key).toBe(keys[2]);
      expect(totals.recent.map((record) => record.key)).toEqual([...keys].reverse());
    });

    test('info() counts hits and misses', async () => {
      const node = randomNode();
      const key = randomKey();
      await backend().getBlob(key);
      await backend().setBlob(key, bytesOf('x'), info(node));
      await backend().getBlob(key);
      await backend().getBlob(key);
      const totals = await backend().info();
      expect(totals.hits).toBeGreaterThanOrEqual(2);
      expect(totals.misses).toBeGreaterThanOrEqual(1);
    });

    test('clear() removes every entry and every node meta', async () => {
      const node = randomNode();
      const key = randomKey();
      await backend().setBlob(key, bytesOf('x'), info(node));
      await backend().setMeta(signatureOf(node, key));
      await backend().clear();
      expect(await backend().getBlob(key)).toBeUndefined();
      expect(await backend().getMeta(node)).toBeUndefined();
      expect((await backend().info()).entries).toBe(0);
      await backend().setBlob(key, bytesOf('again'), info(node));
      expect(await backend().getBlob(key)).toBeDefined();
    });

    test('clear({ node }) removes that node only, entries and meta', async () => {
      const [a, b] = [randomNode(), randomNode()];
      const [aKey, bKey] = [randomKey(), randomKey()];
      await backend().setBlob(aKey, bytesOf('a'), info(a));
      await backend().setBlob(bKey, bytesOf('b'), info(b));
      await backend().setMeta(signatureOf(a, aKey));
      await backend().setMeta(signatureOf(b, bKey));
      await backend().clear({ node: a });
      expect(await backend().getBlob(aKey)).toBeUndefined();
      expect(await backend().getMeta(a)).toBeUndefined();
      expect(await backend().getBlob(bKey)).toBeDefined();
      expect(await backend().getMeta(b)).toBeDefined();
      expect((await backend().info()).nodes[a]?.entries ?? 0).toBe(0);
    });

    test('delete() takes the entry out of info() totals and its node', async () => {
      const node = randomNode();
      const [kept, deleted] = [randomKey(), randomKey()];
      await backend().setBlob(kept, new Uint8Array(30), info(node));
      await backend().setBlob(deleted, new Uint8Array(70), info(node));
      expect(await backend().delete(deleted)).toBe(true);
      const totals = await backend().info();
      expect(totals).toMatchObject({ entries: 1, bytes: 30 });
      expect(totals.nodes[node]).toMatchObject({ entries: 1, bytes: 30 });
      expect(await backend().delete(deleted)).toBe(false);
    });

    test('a key stored again under another node belongs to that node only', async () => {
      const key = randomKey();
      const [first, second] = [randomNode(), randomNode()];
      await backend().setBlob(key, new Uint8Array(10), info(first));
      await backend().setBlob(key, new Uint8Array(20), info(second));
      expect(await collect(backend().entries({ node: first }))).toEqual([]);
      expect((await collect(backend().entries({ node: second }))).map((record) => record.key)).toEqual([key]);
      const totals = await backend().info();
      expect(totals.nodes[first]?.entries ?? 0).toBe(0);
      expect(totals.nodes[second]).toMatchObject({ entries: 1, bytes: 20 });
      await backend().clear({ node: first });
      expect(await backend().has(key)).toBe(true);
    });

    test('clear({ node }) leaves every entry of the other nodes listed and counted', async () => {
      const [a, b] = [randomNode(), randomNode()];
      const bKeys = [randomKey(), randomKey(), randomKey()];
      for (let i = 0; i < 3; i++) await backend().setBlob(randomKey(), new Uint8Array(5), info(a));
      for (const key of bKeys) await backend().setBlob(key, bytesOf(key), info(b));
      await backend().clear({ node: a });
      expect((await collect(backend().entries())).map((record) => record.key).sort()).toEqual(
        [...bKeys].sort(),
      );
      const totals = await backend().info();
      expect(totals).toMatchObject({ entries: 3, bytes: 3 * 64 });
      for (const key of bKeys) expect(sameBytes(await backend().getBlob(key), bytesOf(key))).toBe(true);
    });

    test('prune({ maxEntries }) removes the least recently used first', async () => {
      const keys = await storeSpacedOut(backend, 3, 10);
      await backend().getBlob(keys[0]!);
      await sleep(15);
      const result = await backend().prune({ maxEntries: 2, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([keys[1]]);
      expect(result).toMatchObject({ entries: 1, bytes: 10 });
      expect(await backend().has(keys[0]!)).toBe(true);
      expect(await backend().has(keys[1]!)).toBe(false);
      expect(await backend().has(keys[2]!)).toBe(true);
    });

    test('prune({ maxBytes }) removes least recently used entries until the bytes fit', async () => {
      const keys = await storeSpacedOut(backend, 4, 100);
      await backend().getBlob(keys[0]!);
      await sleep(15);
      const result = await backend().prune({ maxBytes: 250, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([keys[1], keys[2]]);
      expect(result).toMatchObject({ entries: 2, bytes: 200 });
      expect((await backend().info()).bytes).toBe(200);
      expect(await backend().has(keys[0]!)).toBe(true);
      expect(await backend().has(keys[3]!)).toBe(true);
    });

    test('prune({ maxAge }) removes entries not used for longer', async () => {
      const keys = await storeSpacedOut(backend, 2, 10);
      await sleep(150);
      await backend().getBlob(keys[1]!);
      const result = await backend().prune({ maxAge: 100, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([keys[0]]);
      expect(await backend().has(keys[1]!)).toBe(true);
    });

    test('prune() within the limits removes nothing', async () => {
      const keys = await storeSpacedOut(backend, 3, 10);
      const result = await backend().prune({ maxEntries: 3, maxBytes: 30 });
      expect(result).toEqual({ entries: 0, bytes: 0, nodes: {} });
      for (const key of keys) expect(await backend().has(key)).toBe(true);
    });

    test('prune({ dryRun }) reports what it would remove and removes nothing', async () => {
      const keys = await storeSpacedOut(backend, 3, 10);
      const result = await backend().prune({ maxEntries: 1, dryRun: true, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([keys[0], keys[1]]);
      expect(result).toMatchObject({ entries: 2, bytes: 20 });
      for (const key of keys) expect(await backend().has(key)).toBe(true);
      expect(await collect(backend().entries())).toHaveLength(3);
    });

    test('prune() counts what it removed per node, and lists the entries only when asked to', async () => {
      const [a, b] = [randomNode(), randomNode()];
      for (const [node, size] of [
        [a, 10],
        [b, 20],
        [a, 30],
        [b, 40],
      ] as const) {
        await backend().setBlob(randomKey(), bytesOf('x'.repeat(size)), info(node));
        await sleep(5);
      }
      const counted = await backend().prune({ maxEntries: 1, dryRun: true });
      expect(counted).toEqual({
        entries: 3,
        bytes: 60,
        nodes: { [a]: { entries: 2, bytes: 40 }, [b]: { entries: 1, bytes: 20 } },
      });
      const listed = await backend().prune({ maxEntries: 1, list: true });
      expect(listed).toMatchObject({ entries: 3, bytes: 60 });
      expect(listed.removed?.map((record) => [record.node, record.bytes])).toEqual([
        [a, 10],
        [b, 20],
        [a, 30],
      ]);
      expect((await backend().info()).entries).toBe(1);
    });

    test('prune() with a negative limit is refused with a CONFIG error', async () => {
      await expect(backend().prune({ maxEntries: -1 })).rejects.toMatchObject({ code: 'CONFIG' });
    });

    test('verify() of an empty backend checks nothing and is ok', async () => {
      expect(await backend().verify()).toEqual({
        checked: 0,
        blobs: 0,
        corrupt: [],
        missing: [],
        orphans: 0,
        damagedRecords: 0,
        ok: true,
      });
    });

    test('verify() of a healthy backend checks every entry, removes none and is ok', async () => {
      const node = randomNode();
      const stored = new Map<string, Uint8Array>();
      for (const length of [0, 1, 100, 10_000, 100_000]) {
        const key = randomKey();
        const value = randomBytesOf(length);
        stored.set(key, value);
        await backend().setBlob(key, value, info(node, { outputHash: outputHashOf(value) }));
      }
      const report = await backend().verify();
      expect(report).toEqual({
        checked: 5,
        blobs: 5,
        corrupt: [],
        missing: [],
        orphans: 0,
        damagedRecords: 0,
        ok: true,
      });
      expect((await backend().info()).entries).toBe(5);
      for (const [key, value] of stored) expect(sameBytes(await backend().getBlob(key), value)).toBe(true);
      expect((await backend().verify()).ok).toBe(true);
    });

    test('verify() finds nothing wrong after delete(), clear({ node }) and prune() of entries sharing a value', async () => {
      const [a, b] = [randomNode(), randomNode()];
      const shared = bytesOf('the same value under many keys');
      const withHash = (node: string, value: Uint8Array) => info(node, { outputHash: outputHashOf(value) });
      const [aKey, bKey, bOther, bLast] = [randomKey(), randomKey(), randomKey(), randomKey()];
      await backend().setBlob(aKey, shared, withHash(a, shared));
      await backend().setBlob(bKey, shared, withHash(b, shared));
      await backend().setBlob(bOther, bytesOf('other'), withHash(b, bytesOf('other')));
      await backend().setBlob(bLast, shared, withHash(b, shared));
      await backend().clear({ node: a });
      expect(sameBytes(await backend().getBlob(bKey), shared)).toBe(true);
      await backend().delete(bKey);
      await sleep(15);
      expect(sameBytes(await backend().getBlob(bLast), shared)).toBe(true);
      await backend().prune({ maxEntries: 1 });
      const report = await backend().verify();
      expect(report).toMatchObject({ checked: 1, corrupt: [], missing: [], orphans: 0, ok: true });
      expect(sameBytes(await backend().getBlob(bLast), shared)).toBe(true);
    });
  });
}

/** Stores `count` entries of `bytes` bytes a few ms apart, so their times order them. */
async function storeSpacedOut(
  backend: () => import('@memoflow/core/backend-kit').CacheBackend,
  count: number,
  bytes: number,
) {
  const node = randomNode();
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = randomKey();
    await backend().setBlob(key, new Uint8Array(bytes).fill(i), info(node));
    keys.push(key);
    await sleep(15);
  }
  return keys;
}

function signatureOf(node: string, key: string) {
  return { node, key, codeHash: key, envHash: key, inputsHash: key, depsHash: key, timestamp: Date.now() };
}
