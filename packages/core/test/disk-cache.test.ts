import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { describeCacheBackend } from '../../conformance/src/index.ts';
import { hash } from '../src/_hash.ts';
import { DiskCache } from '../src/disk-cache.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-disk-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));

describeCacheBackend('DiskCache', () => new DiskCache({ dir: freshDir() }));

/** Whether this file system records reads in the access time (relatime or strictatime; not noatime). */
const recordsReads = (() => {
  const file = join(root, 'atime-probe');
  fs.writeFileSync(file, 'x');
  const past = new Date(Date.now() - 3_600_000);
  fs.utimesSync(file, past, new Date());
  fs.readFileSync(file);
  return fs.statSync(file).atimeMs > past.getTime() + 1_000;
})();

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

  test('layout: blobs sharded by the first two hex chars, meta named by the hash of the node, nothing left in tmp', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    const k = `ab${'c'.repeat(62)}`;
    await cache.setBlob(k, bytes('value'), { node: '../../secret node' });
    await cache.setMeta({
      node: '../../secret node',
      key: k,
      codeHash: k,
      envHash: k,
      inputsHash: k,
      depsHash: k,
      timestamp: 1,
    });
    const files = filesUnder(dir).map((file) => relative(dir, file).split(sep).join('/'));
    expect(files.sort()).toEqual([`v1/blobs/ab/${k}`, `v1/meta/${hash('../../secret node')}.json`]);
    expect(fs.readdirSync(join(dir, 'v1', 'tmp'))).toEqual([]);
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
    await cache.setMeta({
      node: '../../../escape',
      key: key(1),
      codeHash: '',
      envHash: '',
      inputsHash: '',
      depsHash: '',
      timestamp: 1,
    });
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

  test('a corrupt entry is a miss, is removed, and is counted in info().corrupt', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    await cache.setBlob(key(1), bytes('some payload'), { node: 'n' });
    const file = join(dir, 'v1', 'blobs', '00', key(1));
    const content = fs.readFileSync(file);
    content[content.length - 1]! ^= 0xff;
    fs.writeFileSync(file, content);
    expect(await cache.getBlob(key(1))).toBeUndefined();
    expect(fs.existsSync(file)).toBe(false);
    expect((await cache.info()).corrupt).toBe(1);
  });

  test('a corrupt meta file reads as no meta', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    const node = 'n';
    await cache.setMeta({
      node,
      key: key(1),
      codeHash: '',
      envHash: '',
      inputsHash: '',
      depsHash: '',
      timestamp: 1,
    });
    fs.writeFileSync(join(dir, 'v1', 'meta', `${hash(node)}.json`), '{"node": "n", "ke');
    expect(await cache.getMeta(node)).toBeUndefined();
  });

  test.skipIf(!recordsReads)(
    'scans do not count as reads: info() and has() leave the access time for prune() to judge',
    async () => {
      const dir = freshDir();
      const writer = new DiskCache({ dir });
      for (let i = 1; i <= 3; i++) {
        await writer.setBlob(key(i), bytes(`v${i}`), { node: 'n' });
        await sleep(20);
      }
      // Another process read key(1): only the file system's access time records it.
      await new DiskCache({ dir }).getBlob(key(1));
      const pruner = new DiskCache({ dir });
      await pruner.info();
      await pruner.has(key(2));
      const { removed } = await pruner.prune({ maxEntries: 2, dryRun: true });
      expect(removed.map((record) => record.key)).toEqual([key(2)]);
    },
  );

  test('the ttl option applies to entries stored without their own', async () => {
    const cache = new DiskCache({ dir: freshDir(), ttl: 30 });
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    await cache.setBlob(key(2), bytes('y'), { node: 'n', ttl: 60_000 });
    await sleep(60);
    expect((await cache.getMany([key(1), key(2)])).map((value) => value?.length)).toEqual([undefined, 1]);
  });

  test('prune() and clear() sweep temp files left by killed writers, once they are old', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    await cache.setBlob(key(1), bytes('x'), { node: 'n' });
    const temp = join(dir, 'v1', 'tmp');
    fs.writeFileSync(join(temp, 'old-garbage'), 'partial');
    fs.writeFileSync(join(temp, 'young-garbage'), 'partial');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(join(temp, 'old-garbage'), twoHoursAgo, twoHoursAgo);
    expect((await cache.info()).entries).toBe(1);
    await cache.prune({});
    expect(fs.readdirSync(temp)).toEqual(['young-garbage']);
  });

  test('clear() while another instance writes: the writer recreates the directories', async () => {
    const dir = freshDir();
    const [a, b] = [new DiskCache({ dir }), new DiskCache({ dir })];
    await a.setBlob(key(1), bytes('x'), { node: 'n' });
    await b.clear();
    await a.setBlob(key(2), bytes('y'), { node: 'n' });
    await a.setMeta({
      node: 'n',
      key: key(2),
      codeHash: '',
      envHash: '',
      inputsHash: '',
      depsHash: '',
      timestamp: 1,
    });
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
