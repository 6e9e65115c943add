/**
 * DiskCache and what the file system holds in its place: descriptors a read must close, things
 * that are not files where a blob should be, links planted inside the directory, and node names
 * that are also Object.prototype's.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { hash } from '../src/util/hash.ts';
import { describeExit, exitOf, lastLine, runFixture, startFixture } from './fixtures/_disk-children.ts';
import { listing } from './fixtures/_disk-listing.ts';
import { contentValue } from './fixtures/_disk-values.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-disk-files-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));
const key = (n: number) => n.toString(16).padStart(64, '0');
const log = (line: string) => console.log(`[disk-cache.files] ${line}`);
const blobFile = (dir: string, value: Uint8Array) => {
  const name = hash(value);
  return join(dir, 'v4', 'blobs', name.slice(0, 2), name);
};

describe.runIf(fs.existsSync('/proc/self/fd'))('DiskCache file descriptors', () => {
  test('10,000 hits on a value in a blob file, hits on large and small values, verify() and damaged reads leave no descriptor open', async () => {
    const hits = 10_000;
    const counts = await runFixture<Record<string, number | boolean>>('disk-descriptors.ts', [
      freshDir(),
      hits,
    ]);
    log(`descriptors: ${JSON.stringify(counts)}`);
    expect(counts).toMatchObject({ served: hits, servedOther: 1020, verifiedOk: true, damagedReads: 0 });
    const { before } = counts;
    expect(counts).toMatchObject({
      afterHits: before,
      afterOtherHits: before,
      afterVerify: before,
      afterDamaged: before,
    });
  });
});

describe('DiskCache: what is not a regular file where a blob should be is damage', () => {
  /** A populated cache whose keys 1, 2 and 3 have a FIFO, a directory and a link to a valid copy outside in place of their blob files. */
  async function planted(count: number) {
    const dir = freshDir();
    await runFixture('disk-check.ts', [dir, count, 'files', 'populate']);
    // Keys 1, 2 and 3 hold contents 1, 2 and 3 (see fixtures/disk-check.ts `populate`).
    const [fifo, directory, link] = [1, 2, 3].map((content) => blobFile(dir, contentValue(content, 'files')));
    const outside = join(freshDir(), 'blob-copy');
    fs.copyFileSync(link!, outside);
    fs.rmSync(fifo!);
    execFileSync('mkfifo', [fifo!]);
    fs.rmSync(directory!);
    fs.mkdirSync(directory!);
    fs.writeFileSync(join(directory!, 'inside'), 'x');
    fs.rmSync(link!);
    fs.symlinkSync(outside, link!);
    return { dir, paths: [fifo!, directory!, link!], outside };
  }

  /** Runs disk-check.ts steps; a read that waited on the FIFO would never end: the child is killed after 60 s and the test fails. */
  async function steps(dir: string, count: number, names: string[]): Promise<Record<string, unknown>[]> {
    const exit = await exitOf(startFixture('disk-check.ts', [dir, count, 'files', names.join(',')]), 60_000);
    expect(exit.code, describeExit('disk-check.ts', exit)).toBe(0);
    const results = lastLine<Record<string, unknown>[]>(exit);
    for (const step of results) expect(step.error, JSON.stringify(step)).toBeUndefined();
    return results;
  }

  const count = 8;
  const expected = Array.from({ length: count }, (_, i) => ([1, 2, 3].includes(i) ? 'miss' : 'hit'));

  test('a FIFO, a directory and a link to a valid blob outside: reads miss, without waiting or throwing, and remove them (never the link target)', async () => {
    const { dir, paths, outside } = await planted(count);
    const [read, info, again] = await steps(dir, count, ['read', 'info', 'read']);
    expect(read!.outcomes).toEqual(expected);
    expect(info).toMatchObject({ corrupt: 3, entries: count - 3 });
    expect(again!.outcomes).toEqual(expected);
    for (const path of paths) expect(fs.existsSync(path) || isLink(path), path).toBe(false);
    expect(fs.readFileSync(outside).length).toBeGreaterThan(0);
  });

  test('the same found by verify(): reported corrupt and removed, a second verify() is clean', async () => {
    const { dir, paths, outside } = await planted(count);
    const [first, second, read] = await steps(dir, count, ['verify', 'verify', 'read']);
    expect(first).toMatchObject({ ok: false, missing: [], orphans: 0 });
    expect([...(first!.corrupt as number[])].sort()).toEqual([1, 2, 3]);
    expect(second).toMatchObject({ ok: true, checked: count - 3, corrupt: [], missing: [] });
    expect(read!.outcomes).toEqual(expected);
    for (const path of paths) expect(fs.existsSync(path) || isLink(path), path).toBe(false);
    expect(fs.readFileSync(outside).length).toBeGreaterThan(0);
    log(
      'not files: a FIFO, a directory and a link where blobs should be: misses, removed by reads and by verify()',
    );
  });
});

const isLink = (path: string) => {
  try {
    return fs.lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
};

describe('DiskCache refuses symbolic links inside its directory', () => {
  /** A cache with one small and one file value, and a directory outside it holding a file two hours old. */
  async function populated(): Promise<{ dir: string; outside: string; precious: string }> {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    await cache.setBlob(key(1), Buffer.alloc(10, 1), { node: 'n' });
    await cache.setBlob(key(2), Buffer.alloc(8000, 2), { node: 'n' });
    await cache.close();
    const outside = freshDir();
    const precious = join(outside, 'precious');
    fs.writeFileSync(precious, 'not the cache’s');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(precious, twoHoursAgo, twoHoursAgo);
    return { dir, outside, precious };
  }

  /** Moves `path` (inside the cache) to `outside` and leaves a link to it in its place. */
  function plant(path: string, outside: string): void {
    const target = join(outside, 'moved');
    fs.renameSync(path, target);
    fs.symlinkSync(target, path);
  }

  const places: [string, (dir: string) => string][] = [
    ['v4/tmp', (dir) => join(dir, 'v4', 'tmp')],
    ['v4/blobs/<xx>', (dir) => join(dir, 'v4', 'blobs', hash(Buffer.alloc(8000, 2)).slice(0, 2))],
    ['v4/index', (dir) => join(dir, 'v4', 'index')],
    ['v4/index/journal-0000000001', (dir) => join(dir, 'v4', 'index', 'journal-0000000001')],
    ['v4/blobs', (dir) => join(dir, 'v4', 'blobs')],
  ];
  for (const [name, pathIn] of places) {
    test(`${name} linked outside: every operation is a BACKEND error naming the link and the fix; nothing outside is read, written or deleted`, async () => {
      const { dir, outside, precious } = await populated();
      const path = pathIn(dir);
      if (!fs.existsSync(path)) fs.mkdirSync(path, { recursive: true });
      plant(path, outside);
      const before = listing(outside);
      const refused = expect.objectContaining({
        name: 'BackendError',
        code: 'BACKEND',
        message: expect.stringMatching(/symbolic link/),
      });
      const operations: [string, (cache: DiskCache) => Promise<unknown>][] = [
        ['getBlob', (cache) => cache.getBlob(key(2))],
        ['setBlob', (cache) => cache.setBlob(key(3), Buffer.alloc(9000, 3), { node: 'n' })],
        ['prune', (cache) => cache.prune({})],
        ['clear', (cache) => cache.clear()],
        ['verify', (cache) => cache.verify()],
        ['info', (cache) => cache.info()],
      ];
      for (const [operation, run] of operations) {
        const cache = new DiskCache({ dir });
        const error = await run(cache).then(
          () => new Error(`${operation} was not refused`),
          (thrown: Error) => thrown,
        );
        expect(error, operation).toEqual(refused);
        expect(error.message).toContain(path);
        expect(error.message).toContain(`rm ${path}`);
        await cache.close();
      }
      expect(fs.existsSync(precious)).toBe(true);
      expect(listing(outside)).toEqual(before);
      // The fix the message names works: without the link, the cache opens (and misses what went with it).
      fs.rmSync(path);
      const cache = new DiskCache({ dir });
      await cache.setBlob(key(4), Buffer.alloc(9000, 4), { node: 'n' });
      expect((await cache.getBlob(key(4)))?.length).toBe(9000);
      await cache.close();
    });
  }

  test('the cache directory itself may be a link: that is where the user put it', async () => {
    const real = freshDir();
    const link = join(freshDir(), 'cache-link');
    fs.symlinkSync(real, link);
    const cache = new DiskCache({ dir: link });
    await cache.setBlob(key(1), Buffer.alloc(9000, 1), { node: 'n' });
    expect((await cache.getBlob(key(1)))?.length).toBe(9000);
    expect((await cache.verify()).ok).toBe(true);
    expect(fs.existsSync(join(real, 'v4', 'index'))).toBe(true);
    await cache.close();
  });
});

describe('DiskCache node names that are Object.prototype properties', () => {
  const NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  const TOTALS = ['entries', 'bytes', 'hits', 'misses'];
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
  afterEach(() => {
    // A failure must not leak into the next test.
    for (const name of [...TOTALS, 'polluted']) delete (Object.prototype as Record<string, unknown>)[name];
  });

  test('info() and prune() count their entries (fresh process state and live), and Object.prototype stays untouched', async () => {
    const dir = freshDir();
    const cache = new DiskCache({ dir });
    let n = 0;
    for (const [i, node] of [...NAMES, 'plain'].entries())
      for (let j = 0; j <= i; j++) await cache.setBlob(key(++n), Buffer.alloc(10), { node });
    const expected = Object.fromEntries(
      [...NAMES, 'plain'].map((node, i) => [node, { entries: i + 1, bytes: 10 * (i + 1) }]),
    );
    const expectCounts = (nodes: Record<string, { entries: number; bytes: number }>) => {
      expect(Object.keys(nodes).sort()).toEqual([...NAMES, 'plain'].sort());
      for (const node of Object.keys(expected)) {
        expect(Object.hasOwn(nodes, node), node).toBe(true);
        expect(nodes[node], node).toMatchObject(expected[node]!);
      }
    };
    const reader = new DiskCache({ dir });
    for (const instance of [cache, reader]) {
      const info = await instance.info();
      expect(info.entries).toBe(n);
      expectCounts(info.nodes);
    }
    expectCounts((await reader.prune({ maxEntries: 0, dryRun: true })).nodes);
    const pruned = await cache.prune({ maxEntries: 0 });
    expect(pruned.entries).toBe(n);
    expectCounts(pruned.nodes);
    expect((await reader.info()).entries).toBe(0);
    const plain: Record<string, unknown> = {};
    for (const name of [...TOTALS, 'polluted']) expect(plain[name], name).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
    await Promise.all([cache.close(), reader.close()]);
  });
});
