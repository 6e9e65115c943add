import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { describeCacheBackend } from '../../conformance/src/index.ts';
import type { CacheBackend, EntryInfo, EntryRecord, NodeSignature } from '../src/backends/contract.ts';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { MemoryCache } from '../src/backends/memory/memory-cache.ts';
import { PROMOTED_NODE, TieredCache } from '../src/backends/tiered/tiered-cache.ts';
import { BackendError } from '../src/errors.ts';
import { func } from '../src/memo/func.ts';
import { hash } from '../src/util/hash.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-tiered-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));

describeCacheBackend(
  'TieredCache',
  () => new TieredCache([new MemoryCache(), new DiskCache({ dir: freshDir() })]),
);
describeCacheBackend(
  'TieredCache (with an empty read-only tier)',
  () =>
    new TieredCache([
      new MemoryCache(),
      new DiskCache({ dir: freshDir() }),
      { backend: new DiskCache({ dir: freshDir() }), readOnly: true },
    ]),
);

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const opened: CacheBackend[] = [];
afterEach(async () => {
  for (const backend of opened.splice(0)) await backend.close().catch(() => {});
});
/** A real backend closed after the test. */
function open<T extends CacheBackend>(backend: T): T {
  opened.push(backend);
  return backend;
}

/** What an entry holds, without the access time and hits a read updates. */
const stored = ({ key, node, bytes, createdAt, computeMs, expiresAt }: EntryRecord) => ({
  key,
  node,
  bytes,
  createdAt,
  computeMs,
  expiresAt,
});

async function collect(iterable: AsyncIterable<EntryRecord>): Promise<EntryRecord[]> {
  const records: EntryRecord[] = [];
  for await (const record of iterable) records.push(record);
  return records;
}

function signature(node: string, key: string): NodeSignature {
  return { node, key, codeHash: key, envHash: key, inputsHash: key, depsHash: key, timestamp: Date.now() };
}

let computed = 0;
async function square(x: number): Promise<number> {
  computed++;
  return x * x;
}

/** A backend whose server is down: every method rejects. */
function downBackend(name = 'redis'): CacheBackend {
  const refuse = async (): Promise<never> => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  };
  return {
    name,
    getMeta: refuse,
    setMeta: refuse,
    getBlob: refuse,
    setBlob: refuse,
    getMany: refuse,
    has: refuse,
    delete: refuse,
    entries: () => ({ [Symbol.asyncIterator]: () => ({ next: refuse }) }),
    info: refuse,
    prune: refuse,
    clear: refuse,
    verify: refuse,
    close: async () => {},
  };
}

/** A MemoryCache that records the keys each `getMany` is asked for. */
class RecordingCache extends MemoryCache {
  readonly asked: string[][] = [];

  override async getMany(keys: readonly string[]) {
    this.asked.push([...keys]);
    return super.getMany(keys);
  }
}

/** A MemoryCache whose stores fail while `failing` is set. */
class FlakyCache extends MemoryCache {
  failing = false;

  override async setBlob(key: string, value: Uint8Array, info: EntryInfo) {
    if (this.failing) throw new Error('disk full');
    return super.setBlob(key, value, info);
  }
}

/** A MemoryCache whose `getBlob` holds what it read until `release()`. */
class HeldReadCache extends MemoryCache {
  #release: (() => void) | undefined;
  #held = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  release(): void {
    this.#release!();
  }

  override async getBlob(key: string) {
    const bytes = await super.getBlob(key);
    await this.#held;
    return bytes;
  }
}

describe('TieredCache reads', () => {
  test('a value only in the slow tier is in the fast tier after one read, with its hash', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    await disk.setBlob(key(1), bytesOf('from disk'), { node: 'load' });
    expect(await memory.has(key(1))).toBe(false);

    expect(textOf(await cache.getBlob(key(1)))).toBe('from disk');
    expect(textOf(await memory.getBlob(key(1)))).toBe('from disk');
    expect(await memory.verify()).toMatchObject({ checked: 1, ok: true });
    await disk.delete(key(1));
    expect(textOf(await cache.getBlob(key(1))), 'the second read, served by the fast tier').toBe('from disk');
  });

  test('a promoted copy is the fast tier’s own: mutating the bytes a read returned does not change it', async () => {
    const [memory, disk] = [new MemoryCache(), new MemoryCache()];
    const cache = open(new TieredCache([memory, disk]));
    await disk.setBlob(key(1), bytesOf('abc'), { node: 'n' });
    (await cache.getBlob(key(1)))!.fill(0);
    expect(textOf(await memory.getBlob(key(1)))).toBe('abc');
  });

  test('a copy promoted after the fast tier evicted it keeps the node, ttl and compute time it was stored with', async () => {
    const memory = new MemoryCache({ maxEntries: 1 });
    const cache = open(new TieredCache([memory, new MemoryCache()]));
    await cache.setBlob(key(1), bytesOf('a'), { node: 'train', computeMs: 42, ttl: 60_000 });
    await cache.setBlob(key(2), bytesOf('b'), { node: 'train' });
    expect(await memory.has(key(1))).toBe(false);
    await cache.getBlob(key(1));
    const [record] = await collect(memory.entries({ node: 'train' }));
    expect(record).toMatchObject({ key: key(1), node: 'train', computeMs: 42 });
    expect(record!.expiresAt).toBeGreaterThan(Date.now() + 50_000);
  });

  test('an entry another process stored is promoted under PROMOTED_NODE, and the combined view names its node', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    await disk.setBlob(key(1), bytesOf('x'), { node: 'train', computeMs: 7 });
    await cache.getBlob(key(1));
    expect((await collect(memory.entries())).map((record) => record.node)).toEqual([PROMOTED_NODE]);
    expect(await collect(cache.entries())).toEqual([expect.objectContaining({ key: key(1), node: 'train' })]);
    expect(await collect(cache.entries({ node: 'train' }))).toHaveLength(1);
    expect((await cache.info()).nodes.train).toMatchObject({ entries: 1, bytes: 1 });
  });

  test('clear({ node }) also removes copies promoted under PROMOTED_NODE', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    await disk.setBlob(key(1), bytesOf('x'), { node: 'train' });
    await disk.setBlob(key(2), bytesOf('y'), { node: 'other' });
    await cache.getMany([key(1), key(2)]);
    await cache.clear({ node: 'train' });
    expect(await memory.has(key(1))).toBe(false);
    expect(await disk.has(key(1))).toBe(false);
    expect(textOf(await memory.getBlob(key(2)))).toBe('y');
  });

  test('getMany asks each slower tier, once, only for the keys still missing, and promotes what it finds', async () => {
    const [fast, slow] = [new RecordingCache(), new RecordingCache()];
    const cache = open(new TieredCache([fast, slow]));
    await fast.setBlob(key(1), bytesOf('fast'), { node: 'n' });
    await slow.setBlob(key(2), bytesOf('slow'), { node: 'n' });
    await fast.setBlob(key(4), bytesOf('both'), { node: 'n' });
    await slow.setBlob(key(4), bytesOf('both'), { node: 'n' });

    const values = await cache.getMany([key(1), key(2), key(3), key(4), key(2)]);
    expect(values.map(textOf)).toEqual(['fast', 'slow', undefined, 'both', 'slow']);
    expect(fast.asked).toEqual([[key(1), key(2), key(3), key(4), key(2)]]);
    expect(slow.asked).toEqual([[key(2), key(3), key(2)]]);
    expect(textOf(await fast.getBlob(key(2)))).toBe('slow');
  });

  test('getMeta reads through and promotes the signature into the faster tiers', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    const stored = signature('train', key(9));
    await disk.setMeta(stored);
    expect(await cache.getMeta('train')).toEqual(stored);
    expect(await memory.getMeta('train')).toEqual(stored);
  });

  test('a delete while a slow read is in flight: the read does not write the deleted value back', async () => {
    const [memory, slow] = [new MemoryCache(), new HeldReadCache()];
    const cache = open(new TieredCache([memory, slow]));
    await slow.setBlob(key(1), bytesOf('old'), { node: 'n' });
    const reading = cache.getBlob(key(1));
    await sleep(5);
    expect(await cache.delete(key(1))).toBe(true);
    slow.release();
    expect(textOf(await reading)).toBe('old');
    expect(await memory.has(key(1))).toBe(false);
    expect(await cache.has(key(1))).toBe(false);
  });
});

describe('TieredCache writes', () => {
  test('setBlob and setMeta write through to every tier', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    await cache.setBlob(key(1), bytesOf('value'), { node: 'train', computeMs: 5 });
    await cache.setMeta(signature('train', key(1)));
    for (const tier of [memory, disk]) {
      expect(textOf(await tier.getBlob(key(1))), tier.name).toBe('value');
      expect(await collect(tier.entries()), tier.name).toEqual([
        expect.objectContaining({ key: key(1), node: 'train', computeMs: 5 }),
      ]);
      expect((await tier.getMeta('train'))?.key, tier.name).toBe(key(1));
    }
  });

  test('a read-only tier is read and promoted from, and nothing the cache does writes to it', async () => {
    const shared = open(new DiskCache({ dir: freshDir() }));
    await shared.setBlob(key(1), bytesOf('shared'), { node: 'train', computeMs: 3 });
    await shared.setBlob(key(2), bytesOf('old'), { node: 'train' });
    await shared.setMeta(signature('train', key(1)));
    const before = await collect(shared.entries());
    const [memory, local] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = new TieredCache([memory, local, { backend: shared, readOnly: true }]);

    expect(textOf(await cache.getBlob(key(1)))).toBe('shared');
    expect(textOf(await local.getBlob(key(1))), 'promoted into the local disk').toBe('shared');
    await cache.setBlob(key(3), bytesOf('new'), { node: 'train' });
    await cache.setBlob(key(2), bytesOf('replaced'), { node: 'train' });
    await cache.setMeta(signature('train', key(3)));
    expect(await cache.delete(key(1))).toBe(true);
    await cache.prune({ maxEntries: 0 });
    await cache.verify();
    await cache.clear({ node: 'train' });
    await cache.clear();

    expect((await collect(shared.entries())).map(stored)).toEqual(before.map(stored));
    expect((await shared.getMeta('train'))?.key).toBe(key(1));
    expect(await shared.has(key(3))).toBe(false);
    expect(textOf(await shared.getBlob(key(2)))).toBe('old');
    expect(textOf(await cache.getBlob(key(1))), 'still read from the read-only tier').toBe('shared');
    expect((await cache.info()).tiers.map((tier) => tier.readOnly)).toEqual([false, false, true]);
  });

  test('a store a tier fails is kept by the others, and its older value there is deleted', async () => {
    const [flaky, disk] = [new FlakyCache(), open(new DiskCache({ dir: freshDir() }))];
    const failures: BackendError[] = [];
    const cache = open(new TieredCache([flaky, disk], { onError: (error) => failures.push(error) }));
    await cache.setBlob(key(1), bytesOf('v1'), { node: 'n' });
    flaky.failing = true;
    await cache.setBlob(key(1), bytesOf('v2'), { node: 'n' });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'BACKEND', backend: 'memory' });
    expect(failures[0]!.message).toContain('Tier 1 (memory)');
    expect(await flaky.has(key(1))).toBe(false);
    expect(textOf(await disk.getBlob(key(1)))).toBe('v2');
    expect(textOf(await cache.getBlob(key(1)))).toBe('v2');
  });

  test('a store every writable tier fails rejects with a BackendError', async () => {
    const cache = open(new TieredCache([downBackend('redis'), downBackend('other')]));
    const stored = cache.setBlob(key(1), bytesOf('x'), { node: 'n' });
    await expect(stored).rejects.toBeInstanceOf(BackendError);
    await expect(stored).rejects.toMatchObject({ code: 'BACKEND', message: /2 tiers .* failed in setBlob/ });
  });
});

describe('TieredCache with a tier that is down', () => {
  test('reads treat it as a miss there and go on to the next tier', async () => {
    const disk = open(new DiskCache({ dir: freshDir() }));
    await disk.setBlob(key(1), bytesOf('on disk'), { node: 'n' });
    await disk.setMeta(signature('n', key(1)));
    const failures: BackendError[] = [];
    const cache = open(new TieredCache([downBackend(), disk], { onError: (error) => failures.push(error) }));
    expect(textOf(await cache.getBlob(key(1)))).toBe('on disk');
    expect((await cache.getMany([key(1), key(2)])).map(textOf)).toEqual(['on disk', undefined]);
    expect(await cache.has(key(1))).toBe(true);
    expect((await cache.getMeta('n'))?.key).toBe(key(1));
    expect(await cache.getBlob(key(2))).toBeUndefined();
    expect(failures.length).toBeGreaterThanOrEqual(5);
    expect(failures[0]).toMatchObject({ code: 'BACKEND', backend: 'redis' });
    expect((failures[0]!.cause as Error).message).toContain('ECONNREFUSED');
  });

  test('a slowest tier that is down makes a read a miss, not a throw; a store is kept by the others', async () => {
    const memory = new MemoryCache();
    const cache = open(new TieredCache([memory, downBackend()], { onError: () => {} }));
    expect(await cache.getBlob(key(1))).toBeUndefined();
    await cache.setBlob(key(1), bytesOf('x'), { node: 'n' });
    expect(textOf(await memory.getBlob(key(1)))).toBe('x');
  });

  test('without onError, the first failure of each tier is a process warning', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const cache = open(new TieredCache([downBackend('redis'), new MemoryCache()]));
      await cache.getBlob(key(1));
      await cache.getBlob(key(2));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0]![0]).toMatch(/Tier 1 \(redis\).*ECONNREFUSED/);
      expect(warn.mock.calls[0]![1]).toMatchObject({ code: 'MEMOFLOW_BACKEND' });
    } finally {
      warn.mockRestore();
    }
  });

  test('management finishes on the other tiers, then rejects naming the tier that failed', async () => {
    const memory = new MemoryCache();
    const cache = open(new TieredCache([memory, downBackend('redis')], { onError: () => {} }));
    await memory.setBlob(key(1), bytesOf('x'), { node: 'n' });
    await expect(cache.clear()).rejects.toMatchObject({ code: 'BACKEND', backend: 'redis' });
    expect(await memory.has(key(1))).toBe(false);
    await expect(cache.info()).rejects.toMatchObject({ message: /Tier 2 \(redis\).*ECONNREFUSED/ });
    await expect(collect(cache.entries())).rejects.toMatchObject({ code: 'BACKEND' });
  });
});

describe('TieredCache management', () => {
  test('info() gives the combined view, each key once, and each tier’s own', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    await cache.setBlob(key(1), new Uint8Array(10), { node: 'a' });
    await cache.setBlob(key(2), new Uint8Array(20), { node: 'b' });
    await disk.setBlob(key(3), new Uint8Array(30), { node: 'b' });
    await cache.getBlob(key(1));
    await cache.getBlob(key(4));
    const info = await cache.info();
    expect(info).toMatchObject({ backend: 'tiered', entries: 3, bytes: 60, hits: 1, misses: 1 });
    expect(info.nodes.b).toMatchObject({ entries: 2, bytes: 50 });
    expect(info.tiers.map((tier) => [tier.backend, tier.entries, tier.readOnly])).toEqual([
      ['memory', 2, false],
      ['disk', 3, false],
    ]);
  });

  test('prune() ranks by the latest access any tier saw, and removes the same keys from every tier', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    const keys = [key(1), key(2), key(3)];
    for (const k of keys) {
      await cache.setBlob(k, bytesOf(k), { node: 'n' });
      await sleep(15);
    }
    // Served by memory: the disk never sees this read.
    await cache.getBlob(keys[0]!);
    const result = await cache.prune({ maxEntries: 2, list: true });
    expect(result.removed?.map((record) => record.key)).toEqual([keys[1]]);
    expect(result).toMatchObject({ entries: 1, nodes: { n: { entries: 1 } } });
    for (const tier of [memory, disk]) {
      expect(await tier.has(keys[0]!), tier.name).toBe(true);
      expect(await tier.has(keys[1]!), tier.name).toBe(false);
    }
  });

  test('verify() combines the writable tiers: a corrupt key is reported once', async () => {
    const [memory, disk] = [new MemoryCache(), open(new DiskCache({ dir: freshDir() }))];
    const cache = open(new TieredCache([memory, disk]));
    const value = bytesOf('kept as given');
    await cache.setBlob(key(1), value, { node: 'n', outputHash: hash(value) });
    // MemoryCache keeps the bytes it is given: changing them afterwards corrupts its copy only.
    value.fill(0);
    expect(await cache.verify()).toMatchObject({ checked: 1, corrupt: [key(1)], ok: false });
    expect(textOf(await cache.getBlob(key(1))), 'read from the disk’s copy').toBe('kept as given');
  });
});

describe('TieredCache peek and func()', () => {
  test('peek() is the first tier’s that has one: the same live entry', async () => {
    const [disk, memory] = [open(new DiskCache({ dir: freshDir() })), new MemoryCache()];
    const cache = open(new TieredCache([disk, memory]));
    const value = { rows: [1, 2] };
    await cache.setBlob(key(1), bytesOf('x'), { node: 'n', value });
    expect(cache.peek!(key(1))?.value).toBe(value);
    expect(cache.peek!(key(1))).toBe(memory.peek(key(1)));
    expect(cache.peek!(key(2))).toBeUndefined();
  });

  test('with no tier that has peek(), the cache has none', () => {
    const cache = open(new TieredCache([new DiskCache({ dir: freshDir() })]));
    expect(cache.peek).toBeUndefined();
  });

  test('func() over a TieredCache: a hit in memory, then in a new process a hit from disk', async () => {
    const dir = freshDir();
    const computedBefore = computed;
    const first = func({ cache: open(new TieredCache([new MemoryCache(), new DiskCache({ dir })])) }, square);
    expect([await first(4), await first(4)]).toEqual([16, 16]);
    expect(computed - computedBefore).toBe(1);
    const memory = new MemoryCache();
    const next = func({ cache: open(new TieredCache([memory, open(new DiskCache({ dir }))])) }, square);
    expect(await next(4)).toBe(16);
    expect(computed - computedBefore).toBe(1);
    expect((await memory.info()).entries).toBe(1);
  });
});

describe('TieredCache options', () => {
  const memory = new MemoryCache();
  test.each([
    ['no tiers', [], /at least one tier, got \[\]/],
    ['not an array', memory, /expected an array of cache backends/],
    [
      'a tier that is not a backend',
      [memory, { get: () => 1, set: () => {} }],
      /Tier 2 of TieredCache is not a cache backend.*`getMeta`/,
    ],
    ['a tier that is null', [null], /Tier 1 of TieredCache is not a cache backend: got null/],
    ['readOnly not a boolean', [{ backend: memory, readOnly: 'yes' }], /Invalid `readOnly` "yes" in tier 1/],
    [
      'a misspelt option',
      [memory, { backend: new MemoryCache(), readonly: true }],
      /Unknown option `readonly` in tier 2/,
    ],
    ['one backend twice', [memory, { backend: memory, readOnly: true }], /tier 1 and tier 2/],
  ])('%s is refused with a CONFIG error', (_, tiers, message) => {
    expect(() => new TieredCache(tiers as never)).toThrow(
      expect.objectContaining({ code: 'CONFIG', message: expect.stringMatching(message) }),
    );
  });

  test('an onError that is not a function is refused with a CONFIG error', () => {
    expect(() => new TieredCache([memory], { onError: 'log' as never })).toThrow(
      expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('`onError` "log"') }),
    );
  });
});
