import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { describeCacheBackend } from '../../conformance/src/index.ts';
import type { NodeSignature } from '../src/backends/contract.ts';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { ownerTag } from '../src/backends/disk/temp.ts';
import { hash } from '../src/util/hash.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-disk-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));

describeCacheBackend('DiskCache', () => new DiskCache({ dir: freshDir() }), {
  bounded: ({ maxEntries, maxBytes }) => new DiskCache({ dir: freshDir(), maxEntries, maxBytes }),
});
// Every value in a blob file: the other storage path is held to the same contract.
describeCacheBackend(
  'DiskCache (values in files)',
  () => new DiskCache({ dir: freshDir(), maxInlineBytes: 0 }),
  {
    bounded: ({ maxEntries, maxBytes }) =>
      new DiskCache({ dir: freshDir(), maxEntries, maxBytes, maxInlineBytes: 0 }),
  },
);

/** A signature with placeholder hashes: what these tests need is its node and key. */
const signature = (node: string, key: string): NodeSignature => ({
  node,
  key,
  codeHash: '',
  envHash: '',
  inputsHash: '',
  depsHash: '',
  timestamp: 1,
});
const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (text: string) => new TextEncoder().encode(text);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('DiskCache', () => {
  test('the directory defaults to $MEMOFLOW_CACHE_DIR, else .memoflow, resolved against the working directory', () => {
    const saved = process.env.MEMOFLOW_CACHE_DIR;
    try {
      delete process.env.MEMOFLOW_CACHE_DIR;
      expect(new DiskCache().dir).toBe(join(process.cwd(), '.memoflow'));
      process.env.MEMOFLOW_CACHE_DIR = 'some/where';
      expect(new DiskCache().dir).toBe(join(process.cwd(), 'some', 'where'));
      expect(new DiskCache({ dir: '/abs/dir' }).dir).toBe('/abs/dir');
    } finally {
      if (saved === undefined) delete process.env.MEMOFLOW_CACHE_DIR;
      else process.env.MEMOFLOW_CACHE_DIR = saved;
    }
  });

  test('creating a cache touches no file; the first write creates the directory', async () => {
    const dir = join(freshDir(), 'not-yet');
    const cache = new DiskCache({ dir });
    expect(await cache.getBlob(key(1))).toBeUndefined();
    expect(await cache.info()).toMatchObject({ entries: 0, location: dir });
    expect(fs.existsSync(dir)).toBe(false);
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    expect(fs.existsSync(dir)).toBe(true);
  });

  test('layout (values in files): each value once, as a blob named by its sha256; a journal index; no node name in any path; nothing left in tmp', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 0 });
    const value = bytes('value');
    await cache.setBlob(key(1), value, { node: '../../secret node' });
    await cache.setBlob(key(2), value, { node: 'other' });
    await cache.setMeta(signature('../../secret node', key(1)));
    const files = filesUnder(dir).map((file) => relative(dir, file).split(sep).join('/'));
    const blob = hash(value);
    expect(files.filter((file) => file.startsWith('v4/blobs/'))).toEqual([
      `v4/blobs/${blob.slice(0, 2)}/${blob}`,
    ]);
    expect(files.filter((file) => !file.startsWith('v4/blobs/') && !file.startsWith('v4/index/'))).toEqual(
      [],
    );
    expect(files.some((file) => file.includes('secret'))).toBe(false);
    expect(fs.readdirSync(join(dir, 'v4', 'tmp'))).toEqual([]);
    await cache.close();
  });

  test('a blob shared by two keys stays while one of them does, and goes with the last', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 0 });
    await cache.setBlob(key(1), bytes('shared'), { node: 'a' });
    await cache.setBlob(key(2), bytes('shared'), { node: 'b' });
    const file = join(dir, 'v4', 'blobs', hash(bytes('shared')).slice(0, 2), hash(bytes('shared')));
    expect((await cache.info()).entries).toBe(2);
    await cache.delete(key(1));
    expect(fs.existsSync(file)).toBe(true);
    expect(new TextDecoder().decode(await cache.getBlob(key(2)))).toBe('shared');
    await cache.delete(key(2));
    expect(fs.existsSync(file)).toBe(false);
    await cache.close();
  });

  test('path-like keys never reach the file system, and nothing is written outside the directory', async () => {
    const parent = freshDir();
    const dir = join(parent, 'cache');
    const cache = new DiskCache({ dir });
    for (const bad of [
      '../../etc/passwd',
      '../escape',
      `${'a'.repeat(20)}/../../x`,
      '/etc/passwd',
      'aa\0bb'.repeat(4),
    ]) {
      await expect(cache.setBlob(bad, bytes('x'), { node: 'n' })).rejects.toMatchObject({ code: 'CONFIG' });
      await expect(cache.getBlob(bad)).rejects.toThrow(/Invalid cache key/);
    }
    await cache.setBlob(key(1), bytes('x'), { node: '../../../../escape' });
    await cache.setMeta(signature('../../../escape', key(1)));
    expect(fs.readdirSync(parent)).toEqual(['cache']);
    for (const file of filesUnder(parent)) expect(file.startsWith(dir + sep)).toBe(true);
  });

  test('entries persist: a new instance on the same directory reads them, meta included', async () => {
    const dir = freshDir();
    const signature = {
      node: 'n',
      key: key(1),
      codeHash: 'c',
      envHash: 'e',
      inputsHash: 'i',
      depsHash: 'd',
      timestamp: 5,
    };
    const writer = new DiskCache({ dir });
    await writer.setBlob(key(1), bytes('persisted'), { node: 'n', computeMs: 12 });
    await writer.setMeta(signature);
    await writer.close();
    const reader = new DiskCache({ dir });
    expect(Buffer.from((await reader.getBlob(key(1)))!).toString()).toBe('persisted');
    expect(await reader.getMeta('n')).toEqual(signature);
    const records = [];
    for await (const record of reader.entries()) records.push(record);
    const [record] = records;
    expect(record).toMatchObject({ key: key(1), node: 'n', bytes: 9, computeMs: 12 });
  });

  test('a hit writes nothing to the directory', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    const snapshot = () =>
      filesUnder(dir).map((file) => `${file}:${fs.statSync(file).mtimeMs}:${fs.statSync(file).size}`);
    const before = snapshot();
    for (let i = 0; i < 20; i++) await cache.getBlob(key(1));
    expect(snapshot()).toEqual(before);
  });

  test('a corrupt blob is a miss, is removed, and is counted in info().corrupt', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 0 });
    await cache.setBlob(key(1), bytes('some payload'), { node: 'n' });
    const blob = hash(bytes('some payload'));
    const file = join(dir, 'v4', 'blobs', blob.slice(0, 2), blob);
    const content = fs.readFileSync(file);
    content[content.length - 1]! ^= 0xff;
    fs.writeFileSync(file, content);
    expect(await cache.getBlob(key(1))).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    expect(await cache.has(key(1))).toBe(false);
    expect((await cache.info()).corrupt).toBe(1);
    await cache.close();
  });

  test('a large blob (read in chunks while checked) reads back whole; flipped or cut short, it is a miss and counted', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    const large = Buffer.alloc(9 * 1024 * 1024 + 123);
    for (let i = 0; i < large.length; i += 4096) large.writeUInt32LE(i, i);
    const file = join(dir, 'v4', 'blobs', hash(large).slice(0, 2), hash(large));
    await cache.setBlob(key(1), large, { node: 'n' });
    expect(Buffer.compare((await cache.getBlob(key(1)))!, large)).toBe(0);
    const [many] = await cache.getMany([key(1)]);
    expect(Buffer.compare(many!, large)).toBe(0);
    const content = fs.readFileSync(file);
    content[content.length - 5 * 1024 * 1024]! ^= 0x10;
    fs.writeFileSync(file, content);
    expect(await cache.getBlob(key(1))).toBeUndefined();
    expect((await cache.info()).corrupt).toBe(1);
    await cache.setBlob(key(2), large, { node: 'n' });
    fs.truncateSync(file, content.length - 1);
    expect(await cache.getMany([key(2)])).toEqual([undefined]);
    expect((await cache.info()).corrupt).toBe(2);
    await cache.close();
  });

  test('a truncated blob is a miss, never a partial value', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 0 });
    await cache.setBlob(key(1), bytes('x'.repeat(1000)), { node: 'n' });
    const blob = hash(bytes('x'.repeat(1000)));
    const file = join(dir, 'v4', 'blobs', blob.slice(0, 2), blob);
    fs.truncateSync(file, 500);
    expect(await cache.getBlob(key(1))).toBeUndefined();
    await cache.close();
  });

  test('reads in any process count for the LRU order; scans do not', async () => {
    const dir = freshDir();
    const writer = new DiskCache({ dir });
    for (let i = 1; i <= 3; i++) {
      await writer.setBlob(key(i), bytes(`v${i}`), { node: 'n' });
      await sleep(20);
    }
    await writer.close();
    // Another instance (as another process would) reads key(1); its accesses are written on close.
    const reader = new DiskCache({ dir });
    await reader.getBlob(key(1));
    await reader.close();
    const pruner = new DiskCache({ dir });
    await pruner.info();
    await pruner.has(key(2));
    const { removed } = await pruner.prune({ maxEntries: 2, dryRun: true, list: true });
    expect(removed?.map((record) => record.key)).toEqual([key(2)]);
    expect((await pruner.info()).entries).toBe(3);
    await pruner.close();
  });

  test('the ttl option applies to entries stored without their own', async () => {
    const cache = new DiskCache({ dir: freshDir(), ttl: 30 });
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    await cache.setBlob(key(2), bytes('y'), { node: 'n', ttl: 60_000 });
    await sleep(60);
    expect((await cache.getMany([key(1), key(2)])).map((value) => value?.length)).toEqual([undefined, 1]);
  });

  test('prune() and clear() sweep the temp files of writers that are gone, not of those alive', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    const temp = join(dir, 'v4', 'tmp');
    fs.mkdirSync(temp, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    const writers = { gone, alive: process.pid };
    for (const [name, pid] of Object.entries(writers))
      fs.writeFileSync(join(temp, `${pid}.${ownerTag()}-0-ab-1`), name);
    expect((await cache.info()).entries).toBe(1);
    await cache.prune({});
    expect(fs.readdirSync(temp)).toEqual([`${process.pid}.${ownerTag()}-0-ab-1`]);
    fs.writeFileSync(join(temp, `${gone}.${ownerTag()}-0-ab-2`), 'gone');
    await cache.clear();
    expect(fs.readdirSync(temp)).toEqual([`${process.pid}.${ownerTag()}-0-ab-1`]);
  });

  test('clear() while another instance writes: the writer recreates the directories', async () => {
    const dir = freshDir();
    const [a, b] = [new DiskCache({ dir }), new DiskCache({ dir })];
    await a.setBlob(key(1), bytes('x'), { node: 'n' });
    await b.clear();
    await a.setBlob(key(2), bytes('y'), { node: 'n' });
    await a.setMeta(signature('n', key(2)));
    expect(await b.getMany([key(1), key(2)])).toEqual([undefined, expect.any(Uint8Array)]);
  });

  test('invalid options are refused with a CONFIG error', () => {
    expect(() => new DiskCache({ dir: '' })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
    expect(() => new DiskCache({ ttl: -5 })).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  test('a write that cannot happen is a BACKEND error naming the path', async () => {
    const parent = freshDir();
    const blocker = join(parent, 'file');
    fs.writeFileSync(blocker, 'not a directory');
    const cache = new DiskCache({ dir: blocker });
    await expect(cache.setBlob(key(1), bytes('x'), { node: 'n' })).rejects.toMatchObject({ code: 'BACKEND' });
    expect(await cache.getBlob(key(1))).toBeUndefined();
  });
});

describe('DiskCache small values, kept in the journal', () => {
  test('a value of at most maxInlineBytes gets no file; a larger one does; both read back whole', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 100 });
    const [small, large] = [Buffer.alloc(100, 7), Buffer.alloc(101, 9)];
    await cache.setBlob(key(1), small, { node: 'n' });
    await cache.setBlob(key(2), large, { node: 'n' });
    await cache.setBlob(key(3), small, { node: 'other' });
    const blobFiles = filesUnder(dir).filter((file) => file.includes(`${sep}blobs${sep}`));
    expect(blobFiles.map((file) => file.split(sep).at(-1))).toEqual([hash(large)]);
    const reader = new DiskCache({ dir });
    expect(await reader.getMany([key(1), key(2), key(3)])).toEqual([small, large, small]);
    expect(await reader.has(key(1))).toBe(true);
    expect((await reader.info()).bytes).toBe(301);
    await Promise.all([cache.close(), reader.close()]);
  });

  test('the same small value under many keys is written to the journal once', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    const value = bytes('x'.repeat(1000));
    for (let i = 0; i < 20; i++) await cache.setBlob(key(i), value, { node: 'n' });
    const journal = filesUnder(join(dir, 'v4', 'index')).find((file) => file.includes('journal-'))!;
    const content = fs.readFileSync(journal);
    expect(content.indexOf(value)).toBeGreaterThan(0);
    expect(content.indexOf(value, content.indexOf(value) + 1)).toBe(-1);
    await cache.close();
  });

  test('removing small values deletes no file; export() and import() carry small and large values alike', async () => {
    const dir = freshDir();
    const source = new DiskCache({ dir, maxInlineBytes: 64 });
    const values = ['tiny', 'y'.repeat(500), 'tiny too'].map((text) => Buffer.from(text));
    for (const [i, value] of values.entries()) {
      await source.setBlob(key(i), value, { node: 'n' });
      await sleep(5);
    }
    const archive = join(freshDir(), 'mixed.tar.gz');
    expect(await source.export(archive)).toMatchObject({ entries: 3, blobs: 3, bytes: 512 });
    const blobFiles = () => filesUnder(join(dir, 'v4', 'blobs')).length;
    expect(blobFiles()).toBe(1);
    await source.delete(key(0));
    await source.prune({ maxEntries: 2 });
    expect(blobFiles()).toBe(1);
    // The least recently used entry left is the large value: pruning it removes its file.
    expect((await source.prune({ maxEntries: 1, list: true })).removed?.map((entry) => entry.key)).toEqual([
      key(1),
    ]);
    expect(blobFiles()).toBe(0);
    const target = new DiskCache({ dir: freshDir() });
    await target.import(archive);
    expect(await target.getMany([key(0), key(1), key(2)])).toEqual(values);
    expect((await target.verify()).ok).toBe(true);
    await Promise.all([source.close(), target.close()]);
  });

  test('a small value damaged in the journal after it was read in is a miss, counted, and the entry goes', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    const [damaged, intact] = [Buffer.from('a value to damage'), Buffer.from('a value left alone')];
    await cache.setBlob(key(1), damaged, { node: 'n' });
    await cache.setBlob(key(2), intact, { node: 'n' });
    const journal = filesUnder(join(dir, 'v4', 'index')).find((file) => file.includes('journal-'))!;
    const content = fs.readFileSync(journal);
    content[content.indexOf(damaged) + 3]! ^= 0x01;
    fs.writeFileSync(journal, content);
    expect(await cache.getMany([key(1), key(2)])).toEqual([undefined, intact]);
    expect(await cache.has(key(1))).toBe(false);
    expect((await cache.info()).corrupt).toBe(1);
    await cache.close();
  });

  test('maxInlineBytes must be an integer from 0 to 1 MiB', () => {
    for (const bad of [-1, 1.5, 2 ** 21, Number.NaN, '10' as unknown as number])
      expect(() => new DiskCache({ maxInlineBytes: bad })).toThrow(
        expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('maxInlineBytes') }),
      );
  });
});

describe('DiskCache bounds, enforced on every write', () => {
  test('maxEntries keeps the most recently used entries', async () => {
    const cache = new DiskCache({ dir: freshDir(), maxEntries: 3 });
    for (let i = 1; i <= 3; i++) {
      await cache.setBlob(key(i), bytes(`v${i}`), { node: 'n' });
      await sleep(5);
    }
    await cache.getBlob(key(1));
    await cache.close();
    const again = new DiskCache({ dir: cache.dir, maxEntries: 3 });
    for (let i = 4; i <= 5; i++) {
      await again.setBlob(key(i), bytes(`v${i}`), { node: 'n' });
      await sleep(5);
    }
    const kept = [];
    for await (const entry of again.entries()) kept.push(entry.key);
    expect(kept.sort()).toEqual([key(1), key(4), key(5)]);
    await again.close();
  });

  test('maxBytes holds while ten times that volume passes through, least recently used first', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxBytes: 10_000, maxInlineBytes: 0 });
    for (let i = 0; i < 100; i++)
      await cache.setBlob(key(i), bytes(`${i}`.padEnd(1_000, '.')), { node: 'n' });
    const info = await cache.info();
    expect(info.bytes).toBeLessThanOrEqual(10_000);
    expect(info.entries).toBe(10);
    expect(await cache.has(key(99))).toBe(true);
    expect(await cache.has(key(0))).toBe(false);
    const blobBytes = filesUnder(join(dir, 'v4', 'blobs')).reduce(
      (sum, file) => sum + fs.statSync(file).size,
      0,
    );
    expect(blobBytes).toBeLessThan(11_000);
    await cache.close();
  });

  test('maxAge removes entries unused for longer, on the next write', async () => {
    const cache = new DiskCache({ dir: freshDir(), maxAge: 40 });
    await cache.setBlob(key(1), bytes('old'), { node: 'n' });
    await sleep(80);
    await cache.setBlob(key(2), bytes('new'), { node: 'n' });
    expect(await cache.has(key(1))).toBe(false);
    expect(await cache.has(key(2))).toBe(true);
    await cache.close();
  });
});

describe('DiskCache verify()', () => {
  test('finds and removes damaged and missing blobs and orphan files; a second pass finds nothing', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir, maxInlineBytes: 0 });
    for (let i = 1; i <= 4; i++) await cache.setBlob(key(i), bytes(`value ${i}`), { node: 'n' });
    const fileOf = (text: string) =>
      join(dir, 'v4', 'blobs', hash(bytes(text)).slice(0, 2), hash(bytes(text)));
    const damaged = fs.readFileSync(fileOf('value 1'));
    damaged[damaged.length - 1]! ^= 0x01;
    fs.writeFileSync(fileOf('value 1'), damaged);
    fs.rmSync(fileOf('value 2'));
    const orphan = hash(bytes('orphan'));
    fs.mkdirSync(join(dir, 'v4', 'blobs', orphan.slice(0, 2)), { recursive: true });
    fs.writeFileSync(join(dir, 'v4', 'blobs', orphan.slice(0, 2), orphan), 'left by a killed writer');
    const report = await cache.verify();
    expect(report).toMatchObject({ checked: 4, corrupt: [key(1)], missing: [key(2)], orphans: 1, ok: false });
    expect((await cache.verify()).ok).toBe(true);
    expect((await cache.info()).entries).toBe(2);
    await cache.close();
  });
});

describe('DiskCache progress of long work', () => {
  test('verify(), export() and import() report how many of how many they have done, ending at the total', async () => {
    const source = new DiskCache({ dir: freshDir() });
    for (let i = 0; i < 250; i++) await source.setBlob(key(i), bytes(`value ${i}`), { node: 'n' });
    const seen = { verify: [] as number[][], export: [] as number[][], import: [] as number[][] };
    await source.verify({ onProgress: (done, total) => seen.verify.push([done, total]) });
    const archive = join(freshDir(), 'progress.tar.gz');
    await source.export(archive, { onProgress: (done, total) => seen.export.push([done, total]) });
    const target = new DiskCache({ dir: freshDir() });
    await target.import(archive, { onProgress: (done, total) => seen.import.push([done, total]) });
    expect(seen.verify).toEqual([
      [100, 250],
      [200, 250],
      [250, 250],
    ]);
    expect(seen.export).toHaveLength(250);
    expect(seen.export.at(-1)).toEqual([250, 250]);
    expect(seen.import.map(([done]) => done)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    await Promise.all([source.close(), target.close()]);
  });
});

describe('DiskCache export() and import()', () => {
  test('a cache moves to another directory as one archive: every entry, value and signature', async () => {
    const source = new DiskCache({ dir: freshDir() });
    for (let i = 1; i <= 5; i++)
      await source.setBlob(key(i), bytes(`value ${i}`), { node: i % 2 ? 'odd' : 'even', computeMs: i });
    await source.setBlob(key(6), bytes('value 1'), { node: 'odd' });
    await source.setMeta(signature('odd', key(5)));
    const archive = join(freshDir(), 'cache.tar.gz');
    expect(await source.export(archive)).toMatchObject({ entries: 6, blobs: 5 });
    await source.close();

    const target = new DiskCache({ dir: freshDir() });
    expect(await target.import(archive)).toMatchObject({ entries: 6, blobs: 5 });
    for (let i = 1; i <= 5; i++)
      expect(new TextDecoder().decode(await target.getBlob(key(i)))).toBe(`value ${i}`);
    expect(new TextDecoder().decode(await target.getBlob(key(6)))).toBe('value 1');
    expect((await target.getMeta('odd'))?.key).toBe(key(5));
    const records = [];
    for await (const record of target.entries({ node: 'even' })) records.push(record);
    expect(records.map((r) => [r.key, r.computeMs]).sort()).toEqual([
      [key(2), 2],
      [key(4), 4],
    ]);
    expect((await target.verify()).ok).toBe(true);
    await target.close();
  });

  test('export({ node }) moves one node only', async () => {
    const source = new DiskCache({ dir: freshDir() });
    await source.setBlob(key(1), bytes('a'), { node: 'keep' });
    await source.setBlob(key(2), bytes('b'), { node: 'skip' });
    const archive = join(freshDir(), 'one-node.tar.gz');
    expect(await source.export(archive, { node: 'keep' })).toMatchObject({ entries: 1 });
    const target = new DiskCache({ dir: freshDir() });
    await target.import(archive);
    expect(await target.has(key(1))).toBe(true);
    expect(await target.has(key(2))).toBe(false);
    await Promise.all([source.close(), target.close()]);
  });

  test('a file that is not a memoflow archive is refused, and nothing is imported', async () => {
    const file = join(freshDir(), 'not-an-archive.tar.gz');
    fs.writeFileSync(file, 'definitely not gzip');
    const target = new DiskCache({ dir: freshDir() });
    await expect(target.import(file)).rejects.toMatchObject({ code: 'CONFIG' });
    expect((await target.info()).entries).toBe(0);
    await target.close();
  });
});
