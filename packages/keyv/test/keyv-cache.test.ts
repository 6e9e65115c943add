/**
 * KeyvCache against a real Redis through @keyv/redis: the conformance suite, binary values,
 * damaged records (written with a raw Redis client) that must be misses, namespaces kept apart,
 * native expiry, reads tracked across instances; and, without Redis, the same suite on Keyv's
 * in-memory Map store and the error a store without an iterator gives.
 */
import { createHash, randomBytes } from 'node:crypto';
import KeyvRedis, { createClient, createKeyv } from '@keyv/redis';
import { describeCacheBackend } from '@memoflow/conformance';
import type { EntryRecord } from '@memoflow/core';
import { describeWithRedis, freePort, testPrefix } from '@memoflow/test-utils';
import { Keyv } from 'keyv';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { KeyvCache, type KeyvCacheOptions } from '../src/index.ts';

const key = (n: number) => n.toString(16).padStart(64, '0');
/** A node signature with placeholder hashes: what these tests need is its node and key. */
const signatureOf = (node: string, key: string) => ({
  node,
  key,
  codeHash: 'c',
  envHash: 'e',
  inputsHash: 'i',
  depsHash: 'd',
  timestamp: 1,
});
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const same = (actual: Uint8Array | undefined, expected: Uint8Array) =>
  actual !== undefined && Buffer.compare(Buffer.from(actual), Buffer.from(expected)) === 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A Keyv namespace no other test uses (a test prefix without its trailing colon). */
const freshNamespace = (scope: string) => testPrefix(`keyv:${scope}`).slice(0, -1);

async function collect(records: AsyncIterable<EntryRecord>): Promise<EntryRecord[]> {
  const listed: EntryRecord[] = [];
  for await (const record of records) listed.push(record);
  return listed;
}

describeWithRedis('KeyvCache', (url) => {
  describeCacheBackend(
    'KeyvCache',
    () => new KeyvCache(createKeyv(url, { namespace: freshNamespace('conformance'), throwOnErrors: true })),
  );

  /** A raw client on the same server, to look at and damage what KeyvCache wrote. */
  const raw = createClient({ url });
  beforeAll(async () => {
    await raw.connect();
  });
  afterAll(async () => {
    // Whatever a failed test left behind under this file's prefixes.
    const left = await raw.keys('memoflow-test:keyv:*');
    if (left.length > 0) await raw.unlink(left);
    raw.destroy();
  });

  const opened: KeyvCache[] = [];
  afterEach(async () => {
    for (const cache of opened.splice(0)) {
      await cache.clear();
      await cache.close();
    }
  });
  /** A KeyvCache in a namespace of its own, cleared and closed after the test. */
  const open = (namespace = freshNamespace('cache'), options: KeyvCacheOptions = {}) => {
    const cache = new KeyvCache(createKeyv(url, { namespace, throwOnErrors: true }), options);
    opened.push(cache);
    return { cache, namespace, redisKey: (recordKey: string) => `${namespace}::${recordKey}` };
  };

  test('every byte value round-trips, at lengths that need every kind of base64 padding', async () => {
    const { cache } = open();
    for (const length of [256, 257, 258, 256 * 3 + 1]) {
      const value = new Uint8Array(length).map((_, i) => (i * 7) % 256);
      await cache.setBlob(key(length), value, { node: 'bytes' });
      const read = await cache.getBlob(key(length));
      expect(read).toBeInstanceOf(Uint8Array);
      expect(same(read, value), `length ${length}`).toBe(true);
    }
  });

  test('a 1 MiB value round-trips, stored as one Redis string of 4/3 its size plus a small envelope', async () => {
    const { cache, redisKey } = open();
    const value = new Uint8Array(randomBytes(1024 * 1024));
    await cache.setBlob(key(1), value, { node: 'large' });
    expect(same(await cache.getBlob(key(1)), value)).toBe(true);
    const stored = await raw.strLen(redisKey(`memoflow:entry:${key(1)}`));
    const base64 = Math.ceil(value.length / 3) * 4;
    expect(stored).toBeGreaterThan(base64);
    expect(stored - base64).toBeLessThan(400);
  });

  test('the bytes returned are the caller’s own: changing them changes nothing stored', async () => {
    const { cache } = open();
    const value = new Uint8Array([1, 2, 3]);
    await cache.setBlob(key(1), value, { node: 'n' });
    const first = (await cache.getBlob(key(1)))!;
    first[0] = 99;
    expect([...(await cache.getBlob(key(1)))!]).toEqual([1, 2, 3]);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(3);
  });

  describe('a damaged record is a miss, removed and counted, never a wrong value or a throw', () => {
    const damages: [string, (stored: string, other: string) => string][] = [
      ['garbage instead of a Keyv record', () => 'garbage'],
      ['a Keyv record holding a number', () => JSON.stringify({ value: 42 })],
      ['one character of the base64 changed', (stored) => flipPayloadCharacter(stored)],
      ['the record cut short', (stored) => stored.slice(0, stored.length - 40)],
      ['another key’s whole record, copied over', (_, other) => other],
      ['a header that is not JSON', (stored) => stored.replace('{\\"key\\"', '{key')],
    ];
    for (const [damage, damaged] of damages) {
      test(damage, async () => {
        const { cache, redisKey } = open();
        const [victim, neighbour] = [key(1), key(2)];
        const value = new Uint8Array(randomBytes(300));
        await cache.setBlob(victim, value, { node: 'n', outputHash: sha256(value) });
        await cache.setBlob(neighbour, new Uint8Array([9, 9, 9]), { node: 'n' });
        const stored = (await raw.get(redisKey(`memoflow:entry:${victim}`)))!;
        const other = (await raw.get(redisKey(`memoflow:entry:${neighbour}`)))!;
        await raw.set(redisKey(`memoflow:entry:${victim}`), damaged(stored, other));

        expect(await cache.getMany([neighbour, victim])).toEqual([expect.any(Uint8Array), undefined]);
        expect(await raw.exists(redisKey(`memoflow:entry:${victim}`))).toBe(0);
        const totals = await cache.info();
        expect(totals.corrupt).toBe(1);
        expect(totals.entries).toBe(1);
        expect(same(await cache.getBlob(neighbour), new Uint8Array([9, 9, 9]))).toBe(true);
      });
    }

    test('entries(), info() and verify() skip a damaged record, remove it and report it', async () => {
      const { cache, redisKey } = open();
      for (const n of [1, 2, 3]) await cache.setBlob(key(n), new Uint8Array(100).fill(n), { node: 'n' });
      await raw.set(redisKey(`memoflow:entry:${key(2)}`), 'garbage');
      const stored = (await raw.get(redisKey(`memoflow:entry:${key(3)}`)))!;
      await raw.set(redisKey(`memoflow:entry:${key(3)}`), flipPayloadCharacter(stored));

      // A listing reads headers only: the flipped byte of key 3 passes it; the garbage does not.
      expect((await collect(cache.entries())).map((record) => record.key).sort()).toEqual([key(1), key(3)]);
      expect(await raw.exists(redisKey(`memoflow:entry:${key(2)}`))).toBe(0);
      const report = await cache.verify();
      expect(report).toMatchObject({ checked: 2, corrupt: [key(3)], ok: false });
      expect(await raw.exists(redisKey(`memoflow:entry:${key(3)}`))).toBe(0);
      expect(await cache.info()).toMatchObject({ entries: 1, corrupt: 2 });
      expect((await cache.verify()).ok).toBe(true);
    });

    test('a damaged node signature is no signature, and verify() counts a damaged access record', async () => {
      const { cache, redisKey } = open();
      const signature = signatureOf('n', key(1));
      await cache.setMeta(signature);
      const [metaKey] = await raw.keys(redisKey('memoflow:meta:*'));
      await raw.set(metaKey!, JSON.stringify({ value: 'memoflow-meta/1\n{"node":"n"' }));
      expect(await cache.getMeta('n')).toBeUndefined();
      expect(await raw.exists(metaKey!)).toBe(0);

      await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
      await raw.set(redisKey(`memoflow:access:${key(1)}`), 'garbage');
      expect(await cache.verify()).toMatchObject({ checked: 1, corrupt: [], damagedRecords: 1, ok: false });
      expect(await raw.exists(redisKey(`memoflow:access:${key(1)}`))).toBe(0);
    });
  });

  describe('namespaces', () => {
    test('clear() removes this cache’s records only: another namespace, other keys in its own namespace and keys outside any namespace stay', async () => {
      const mine = open();
      const theirs = open();
      const userData = createKeyv(url, { namespace: mine.namespace });
      const outside = `${freshNamespace('outside')}:plain-key`;
      try {
        await mine.cache.setBlob(key(1), new Uint8Array([1]), { node: 'a' });
        await mine.cache.setMeta(signatureOf('a', key(1)));
        await theirs.cache.setBlob(key(1), new Uint8Array([2]), { node: 'a' });
        await userData.set('user:1', { name: 'not a cache entry' });
        await userData.set('memoflow:entry:not-hex', 'looks like ours, is not');
        await raw.set(outside, 'x');

        await mine.cache.clear();

        expect(await mine.cache.getBlob(key(1))).toBeUndefined();
        expect(await mine.cache.getMeta('a')).toBeUndefined();
        expect(await raw.keys(`${mine.namespace}::memoflow:*`)).toEqual([
          `${mine.namespace}::memoflow:entry:not-hex`,
        ]);
        expect(same(await theirs.cache.getBlob(key(1)), new Uint8Array([2]))).toBe(true);
        expect(await userData.get('user:1')).toEqual({ name: 'not a cache entry' });
        expect(await userData.get('memoflow:entry:not-hex')).toBe('looks like ours, is not');
        expect(await raw.get(outside)).toBe('x');
      } finally {
        await userData.delete(['user:1', 'memoflow:entry:not-hex']);
        await userData.disconnect();
        await raw.unlink(outside);
      }
    });

    test('other data whose key merely ends like a cache record is never taken for one', async () => {
      const { cache, namespace } = open();
      const userData = createKeyv(url, { namespace });
      const lookalike = `user:memoflow:entry:${key(1)}`;
      try {
        await cache.setBlob(key(2), new Uint8Array([2]), { node: 'n' });
        await userData.set(lookalike, 'user data');
        expect(await cache.verify()).toMatchObject({ checked: 1, corrupt: [], ok: true });
        expect(await cache.info()).toMatchObject({ entries: 1, corrupt: 0 });
        await cache.clear();
        expect(await userData.get(lookalike)).toBe('user data');
      } finally {
        await userData.delete(lookalike);
        await userData.disconnect();
      }
    });

    test('clear({ node }) removes that node’s entries and signature only', async () => {
      const { cache, redisKey } = open();
      await cache.setBlob(key(1), new Uint8Array([1]), { node: 'a' });
      await cache.setBlob(key(2), new Uint8Array([2]), { node: 'b' });
      await cache.getBlob(key(1));
      await cache.clear({ node: 'a' });
      expect(await cache.has(key(1))).toBe(false);
      expect(await cache.has(key(2))).toBe(true);
      expect(await raw.keys(redisKey('memoflow:access:*'))).toEqual([]);
    });

    test('works the same with a Keyv that prefixes keys itself (new Keyv(new KeyvRedis(url), { namespace }))', async () => {
      const namespace = freshNamespace('prefixed');
      const keyv = new Keyv(new KeyvRedis(url), { namespace });
      const cache = new KeyvCache(keyv);
      opened.push(cache);
      await cache.setBlob(key(1), new Uint8Array([1, 2]), { node: 'n' });
      expect(await raw.keys(`${namespace}::*`)).toEqual([
        `${namespace}::${namespace}:memoflow:entry:${key(1)}`,
      ]);
      expect((await collect(cache.entries())).map((record) => record.key)).toEqual([key(1)]);
      await cache.clear();
      expect(await raw.keys(`${namespace}::*`)).toEqual([]);
    });
  });

  describe('expiry', () => {
    test('an entry’s ttl becomes the Redis key’s own expiry; the Keyv’s default ttl applies to entries without one, and KeyvCache’s `ttl` option over it', async () => {
      const namespace = freshNamespace('ttl');
      const keyv = createKeyv(url, { namespace });
      keyv.ttl = 120_000;
      const viaKeyv = new KeyvCache(keyv);
      const viaOption = new KeyvCache(createKeyv(url, { namespace: `${namespace}-option` }), { ttl: 30_000 });
      opened.push(viaKeyv, viaOption);
      await viaKeyv.setBlob(key(1), new Uint8Array([1]), { node: 'n', ttl: 60_000 });
      await viaKeyv.setBlob(key(2), new Uint8Array([2]), { node: 'n' });
      await viaKeyv.setBlob(key(3), new Uint8Array([3]), { node: 'n', ttl: Number.POSITIVE_INFINITY });
      await viaOption.setBlob(key(4), new Uint8Array([4]), { node: 'n' });
      const pttl = (name: string, n: number) => raw.pTTL(`${name}::memoflow:entry:${key(n)}`);
      expect(await pttl(namespace, 1)).toBeGreaterThan(55_000);
      expect(await pttl(namespace, 1)).toBeLessThanOrEqual(60_000);
      expect(await pttl(namespace, 2)).toBeGreaterThan(115_000);
      expect(await pttl(namespace, 3)).toBe(-1);
      expect(await pttl(`${namespace}-option`, 4)).toBeGreaterThan(25_000);
      expect(await pttl(`${namespace}-option`, 4)).toBeLessThanOrEqual(30_000);
    });
  });

  describe('reads', () => {
    test('reads made by one instance steer another instance’s prune() once flushed (on close)', async () => {
      const namespace = freshNamespace('lru');
      const writer = open(namespace).cache;
      for (const n of [1, 2, 3]) {
        await writer.setBlob(key(n), new Uint8Array(10).fill(n), { node: 'n' });
        await sleep(15);
      }
      const reader = new KeyvCache(createKeyv(url, { namespace }));
      await reader.getBlob(key(1));
      await reader.getBlob(key(1));
      await reader.close();

      const listed = await collect(writer.entries());
      expect(listed.find((record) => record.key === key(1))).toMatchObject({ hits: 2 });
      expect(listed.find((record) => record.key === key(2))).toMatchObject({ hits: 0 });
      const result = await writer.prune({ maxEntries: 2, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([key(2)]);
    });

    test('with trackAccess: false a read writes nothing, and prune() goes by creation time', async () => {
      const { cache, redisKey } = open(undefined, { trackAccess: false });
      for (const n of [1, 2]) {
        await cache.setBlob(key(n), new Uint8Array([n]), { node: 'n' });
        await sleep(15);
      }
      await cache.getBlob(key(1));
      const result = await cache.prune({ maxEntries: 1, list: true });
      expect(result.removed?.map((record) => record.key)).toEqual([key(1)]);
      expect(await raw.keys(redisKey('memoflow:access:*'))).toEqual([]);
    });

    test('an access record left by an entry removed elsewhere is dropped by verify() without counting as damage', async () => {
      const { cache, redisKey } = open();
      await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
      await cache.getBlob(key(1));
      await collect(cache.entries());
      expect(await raw.exists(redisKey(`memoflow:access:${key(1)}`))).toBe(1);
      await raw.unlink(redisKey(`memoflow:entry:${key(1)}`));
      expect(await cache.verify()).toMatchObject({ checked: 0, orphans: 0, damagedRecords: 0, ok: true });
      expect(await raw.exists(redisKey(`memoflow:access:${key(1)}`))).toBe(0);
    });
  });

  describe('the connection', () => {
    test('close() disconnects the Keyv’s client; with disconnect: false it stays usable', async () => {
      const kept = createKeyv(url, { namespace: freshNamespace('close') });
      const keptCache = new KeyvCache(kept, { disconnect: false });
      await keptCache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
      await keptCache.close();
      expect(await kept.has(`memoflow:entry:${key(1)}`)).toBe(true);
      await kept.delete(`memoflow:entry:${key(1)}`);
      await kept.disconnect();

      const owned = createKeyv(url, { namespace: freshNamespace('close') });
      const ownedCache = new KeyvCache(owned);
      await ownedCache.getBlob(key(1));
      await ownedCache.close();
      expect((owned.store as KeyvRedis<unknown>).client.isOpen).toBe(false);
    });
  });
});

describeCacheBackend(
  'KeyvCache (Keyv’s in-memory Map store)',
  () => new KeyvCache(new Keyv({ store: new Map() })),
);

describe('KeyvCache reads recorded while their entry goes', () => {
  const accessRecords = (store: Map<string, unknown>) =>
    [...store.keys()].filter((k) => k.includes(':access:'));

  // close() writes the reads gathered without walking the store afterwards (a walk would drop a
  // stray access record itself), so what the flush left behind is what the store holds.
  test('a delete() right after the flush of a read began leaves no access record behind', async () => {
    const store = new Map<string, unknown>();
    const cache = new KeyvCache(new Keyv({ store }));
    await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
    await cache.getBlob(key(1));
    const closing = cache.close();
    expect(await cache.delete(key(1))).toBe(true);
    await closing;
    expect([...store.keys()]).toEqual([]);
  });

  test('a delete() while the access record is being written has it removed once written', async () => {
    const store = new Map<string, unknown>();
    const keyv = new Keyv({ store });
    const cache = new KeyvCache(keyv);
    await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
    await cache.getBlob(key(1));
    let deleting: Promise<boolean> | undefined;
    keyv.hooks.addHandler('preSet', (data: { key: string }) => {
      if (data.key.includes(':access:')) deleting ??= cache.delete(key(1));
    });
    await cache.close();
    expect(await deleting).toBe(true);
    expect([...store.keys()]).toEqual([]);
  });

  test('without a delete, the flush on close() writes the access record', async () => {
    const store = new Map<string, unknown>();
    const cache = new KeyvCache(new Keyv({ store }));
    await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
    await cache.getBlob(key(1));
    await cache.close();
    expect(accessRecords(store)).toEqual([`keyv:memoflow:access:${key(1)}`]);
  });
});

test('a Keyv namespaced `memoflow` (whose key prefix Keyv leaves off keys already starting with it) works all the same', async () => {
  const store = new Map<string, unknown>();
  const cache = new KeyvCache(new Keyv({ store, namespace: 'memoflow' }));
  await cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' });
  await cache.setBlob(key(2), new Uint8Array([2]), { node: 'n' });
  expect((await cache.getMany([key(1), key(2)])).map((value) => value?.[0])).toEqual([1, 2]);
  expect((await collect(cache.entries())).map((record) => record.key)).toEqual([key(1), key(2)]);
  expect(await cache.delete(key(1))).toBe(true);
  await cache.clear();
  expect([...store.keys()]).toEqual([]);
});

describe('KeyvCache with a store Keyv cannot iterate', () => {
  const operations: [string, (cache: KeyvCache) => Promise<unknown>][] = [
    ['entries()', (cache) => collect(cache.entries())],
    ['info()', (cache) => cache.info()],
    ['prune()', (cache) => cache.prune({ maxEntries: 1 })],
    ['clear()', (cache) => cache.clear()],
    ['clear({ node })', (cache) => cache.clear({ node: 'n' })],
    ['verify()', (cache) => cache.verify()],
  ];
  for (const [operation, run] of operations) {
    test(`${operation} is a CONFIG error that says why and what to use instead`, async () => {
      const cache = new KeyvCache(new Keyv({ store: storeWithoutIterator() }));
      await expect(run(cache)).rejects.toMatchObject({
        code: 'CONFIG',
        message: expect.stringMatching(/cannot run .*cannot list its keys.*Redis.*SQLite/),
      });
    });
  }

  test('reads, writes and deletes still work', async () => {
    const cache = new KeyvCache(new Keyv({ store: storeWithoutIterator() }));
    await cache.setBlob(key(1), new Uint8Array([1, 2, 3]), { node: 'n' });
    expect([...(await cache.getBlob(key(1)))!]).toEqual([1, 2, 3]);
    expect(await cache.has(key(1))).toBe(true);
    expect(await cache.delete(key(1))).toBe(true);
    expect(await cache.getBlob(key(1))).toBeUndefined();
  });
});

describe('KeyvCache arguments', () => {
  test('anything but a Keyv is a CONFIG error', () => {
    for (const notKeyv of [undefined, new Map(), { get() {}, set() {} }]) {
      expect(() => new KeyvCache(notKeyv as never)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    }
  });

  test('invalid options are CONFIG errors', () => {
    const keyv = new Keyv();
    for (const options of [{ ttl: 0 }, { ttl: -1 }, { trackAccess: 'yes' }, { disconnect: 1 }]) {
      expect(() => new KeyvCache(keyv, options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'CONFIG' }),
      );
    }
  });

  test('an unreachable store is a BACKEND error naming it without credentials, for reads (with throwOnErrors) and writes', async () => {
    const port = await freePort();
    const keyv = createKeyv(`redis://memo:secret@127.0.0.1:${port}`, {
      namespace: 'unreachable',
      connectionTimeout: 300,
      throwOnErrors: true,
    });
    const cache = new KeyvCache(keyv);
    const where = `redis://127.0.0.1:${port}`;
    for (const attempt of [
      cache.getBlob(key(1)),
      cache.setBlob(key(1), new Uint8Array([1]), { node: 'n' }),
    ]) {
      const error = await attempt.then(
        () => undefined,
        (failure: Error) => failure,
      );
      expect(error).toMatchObject({
        code: 'BACKEND',
        backend: 'keyv',
        message: expect.stringContaining(where),
      });
      expect(error?.message).not.toContain('secret');
    }
    await cache.close();
  });
});

/** A Keyv store adapter with no iterator, as a store Keyv cannot list (memcache, a custom one) is. */
function storeWithoutIterator() {
  const values = new Map<string, unknown>();
  return {
    opts: { dialect: 'none' },
    get: async (key: string) => values.get(key),
    set: async (key: string, value: unknown) => {
      values.set(key, value);
      return true;
    },
    delete: async (key: string) => values.delete(key),
    clear: async () => values.clear(),
    on: () => {},
  };
}

/** A stored Keyv record with one base64 character of its payload changed, its length kept. */
function flipPayloadCharacter(stored: string): string {
  const at = stored.length - 20;
  const replacement = stored[at] === 'A' ? 'B' : 'A';
  return stored.slice(0, at) + replacement + stored.slice(at + 1);
}
