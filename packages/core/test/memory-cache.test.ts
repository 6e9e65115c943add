import { describe, expect, test } from 'vitest';
import { describeCacheBackend } from '../../conformance/src/index.ts';
import { MemoryCache } from '../src/backends/memory/memory-cache.ts';
import { hash } from '../src/util/hash.ts';

describeCacheBackend('MemoryCache', () => new MemoryCache(), {
  bounded: ({ maxEntries, maxBytes }) => new MemoryCache({ maxEntries, maxBytes }),
});

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (length: number, fill = 1) => new Uint8Array(length).fill(fill);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('MemoryCache', () => {
  test('peek() returns the live value stored with the bytes, the same object every time', async () => {
    const cache = new MemoryCache();
    const value = { rows: [1, 2, 3] };
    await cache.setBlob(key(1), bytes(3), { node: 'load', value });
    const first = cache.peek(key(1));
    expect(first?.value).toBe(value);
    expect(cache.peek(key(1))).toBe(first);
  });

  test('peek() keeps a live value of undefined apart from no live value', async () => {
    const cache = new MemoryCache();
    await cache.setBlob(key(1), bytes(1), { node: 'n', value: undefined });
    await cache.setBlob(key(2), bytes(1), { node: 'n' });
    expect(cache.peek(key(1))).toEqual(expect.objectContaining({ value: undefined }));
    expect(cache.peek(key(2))).toBeUndefined();
    expect(await cache.getBlob(key(2))).toBeDefined();
  });

  test('peek() of an expired entry is a miss', async () => {
    const cache = new MemoryCache();
    await cache.setBlob(key(1), bytes(1), { node: 'n', value: 1, ttl: 30 });
    expect(cache.peek(key(1))?.value).toBe(1);
    await sleep(60);
    expect(cache.peek(key(1))).toBeUndefined();
    expect(await cache.has(key(1))).toBe(false);
  });

  test('peek() counts as a hit and as a use for LRU eviction', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.setBlob(key(1), bytes(1), { node: 'n', value: 1 });
    await cache.setBlob(key(2), bytes(1), { node: 'n', value: 2 });
    cache.peek(key(1));
    await cache.setBlob(key(3), bytes(1), { node: 'n', value: 3 });
    expect(await cache.has(key(1))).toBe(true);
    expect(await cache.has(key(2))).toBe(false);
    const info = await cache.info();
    expect(info.hits).toBe(1);
    expect(info.nodes.n?.hits).toBe(1);
  });

  test('maxEntries evicts the least recently used entry', async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    for (let i = 1; i <= 3; i++) await cache.setBlob(key(i), bytes(1), { node: 'n' });
    await cache.getBlob(key(1));
    await cache.setBlob(key(4), bytes(1), { node: 'n' });
    expect(await cache.getMany([key(1), key(2), key(3), key(4)])).toEqual([
      bytes(1),
      undefined,
      bytes(1),
      bytes(1),
    ]);
  });

  test('maxBytes evicts least recently used entries until the bytes fit', async () => {
    const cache = new MemoryCache({ maxBytes: 100 });
    for (let i = 1; i <= 4; i++) await cache.setBlob(key(i), bytes(25), { node: 'n' });
    await cache.getBlob(key(1));
    await cache.setBlob(key(5), bytes(50), { node: 'n' });
    expect((await cache.info()).bytes).toBe(100);
    expect(await cache.has(key(1))).toBe(true);
    expect(await cache.has(key(2))).toBe(false);
    expect(await cache.has(key(3))).toBe(false);
    expect(await cache.has(key(4))).toBe(true);
  });

  test('an entry larger than maxBytes is not kept, and does not evict the others', async () => {
    const cache = new MemoryCache({ maxBytes: 10 });
    await cache.setBlob(key(1), bytes(5), { node: 'n' });
    await cache.setBlob(key(2), bytes(11), { node: 'n' });
    expect(await cache.has(key(1))).toBe(true);
    expect(await cache.has(key(2))).toBe(false);
  });

  test('overwriting a key replaces its bytes in the byte total', async () => {
    const cache = new MemoryCache();
    await cache.setBlob(key(1), bytes(10), { node: 'n' });
    await cache.setBlob(key(1), bytes(3), { node: 'n' });
    expect((await cache.info()).bytes).toBe(3);
  });

  test('the ttl option applies to entries stored without their own', async () => {
    const cache = new MemoryCache({ ttl: 30 });
    await cache.setBlob(key(1), bytes(1), { node: 'n' });
    await cache.setBlob(key(2), bytes(1), { node: 'n', ttl: 60_000 });
    await sleep(60);
    expect(await cache.getMany([key(1), key(2)])).toEqual([undefined, bytes(1)]);
  });

  test('a miss is counted against the node whose value is stored next under that key', async () => {
    const cache = new MemoryCache();
    await cache.getBlob(key(1));
    await cache.setBlob(key(1), bytes(1), { node: 'train' });
    await cache.getBlob(key(1));
    const info = await cache.info();
    expect(info).toMatchObject({ hits: 1, misses: 1 });
    expect(info.nodes.train).toEqual({ entries: 1, bytes: 1, hits: 1, misses: 1 });
  });

  test('entries() reports hits and last access per entry', async () => {
    const cache = new MemoryCache();
    await cache.setBlob(key(1), bytes(1), { node: 'n' });
    await sleep(5);
    await cache.getBlob(key(1));
    await cache.getBlob(key(1));
    for await (const record of cache.entries()) {
      expect(record.hits).toBe(2);
      expect(record.lastAccess).toBeGreaterThan(record.createdAt);
    }
  });

  test('invalid options are refused with a CONFIG error', () => {
    expect(() => new MemoryCache({ maxEntries: -1 })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => new MemoryCache({ maxBytes: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'CONFIG' }),
    );
    expect(() => new MemoryCache({ ttl: 0 })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  test('close() releases the entries', async () => {
    const cache = new MemoryCache();
    await cache.setBlob(key(1), bytes(1), { node: 'n', value: 1 });
    await cache.close();
    expect(cache.peek(key(1))).toBeUndefined();
  });
});

test('verify() finds an entry whose bytes were changed after storing, and removes it', async () => {
  const cache = new MemoryCache();
  const bytes = new TextEncoder().encode('stored');
  const key = 'ab'.repeat(32);
  await cache.setBlob(key, bytes, { node: 'n', outputHash: hash(bytes) });
  await cache.setBlob('cd'.repeat(32), new TextEncoder().encode('fine'), {
    node: 'n',
    outputHash: hash(new TextEncoder().encode('fine')),
  });
  bytes[0] = 0x53; // the caller mutates what it gave
  expect(await cache.verify()).toMatchObject({ checked: 2, corrupt: [key], ok: false });
  expect(await cache.has(key)).toBe(false);
  expect((await cache.verify()).ok).toBe(true);
});
