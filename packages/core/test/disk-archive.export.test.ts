/**
 * DiskCache.export() replaces only a regular file: given a symbolic link, a directory, a FIFO or a
 * device it refuses, naming the path, and leaves both it and its directory as they were.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { ConfigError } from '../src/errors.ts';
import { sha256 } from './fixtures/disk-archive-craft.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-archive-export-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'case-'));

async function filledCache(): Promise<DiskCache> {
  const cache = new DiskCache({ dir: join(freshDir(), 'cache') });
  await cache.setBlob(sha256('k1'), Buffer.from('a value to export'), { node: 'train' });
  return cache;
}

/** What a path is, without following it. */
function kind(path: string): string {
  const stats = fs.lstatSync(path);
  if (stats.isSymbolicLink()) return `link to ${fs.readlinkSync(path)}`;
  if (stats.isDirectory()) return `directory of ${fs.readdirSync(path).join(',')}`;
  if (stats.isFIFO()) return 'fifo';
  if (stats.isCharacterDevice()) return `char device ${stats.rdev}`;
  return `file of ${stats.size} bytes`;
}

type Destination = [what: string, make: (path: string) => void];
const isRoot = process.getuid?.() === 0;
const destinations: Destination[] = [
  [
    'a symbolic link to a regular file',
    (path) => {
      fs.writeFileSync(`${path}.target`, 'the link target');
      fs.symlinkSync(`${path}.target`, path);
    },
  ],
  ['a dangling symbolic link', (path) => fs.symlinkSync(join(root, 'nowhere'), path)],
  [
    'a directory',
    (path) => {
      fs.mkdirSync(path);
      fs.writeFileSync(join(path, 'inside'), 'kept');
    },
  ],
  ['a FIFO', (path) => execFileSync('mkfifo', [path])],
  // A device node of the null device's numbers (1, 3), made where only this test looks: as root, export() once replaced /dev/full.
  ...(isRoot
    ? [['a character device', (path) => execFileSync('mknod', [path, 'c', '1', '3'])] as Destination]
    : []),
];

describe('DiskCache.export() destinations', () => {
  test.each(destinations)('refuses %s, naming it, and changes nothing', async (what, make) => {
    const cache = await filledCache();
    const dir = freshDir();
    const path = join(dir, 'cache.tar.gz');
    make(path);
    const before = { kind: kind(path), listing: fs.readdirSync(dir).sort() };

    const error = await cache.export(path).catch((caught: unknown) => caught as Error);
    await cache.close();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe('CONFIG');
    expect((error as Error).message).toContain(JSON.stringify(path));
    expect((error as Error).message).toContain(`it is ${what.replace(/ to a regular file|dangling /g, '')}`);
    expect((error as Error).message).toContain('replaces only a regular file');
    expect({ kind: kind(path), listing: fs.readdirSync(dir).sort() }).toEqual(before);
  });

  test('replaces a regular file with the archive, through a temp file in its directory', async () => {
    const cache = await filledCache();
    const dir = freshDir();
    const path = join(dir, 'cache.tar.gz');
    fs.writeFileSync(path, 'an older archive');
    expect(await cache.export(path)).toMatchObject({ entries: 1, blobs: 1 });
    await cache.close();
    expect(fs.readdirSync(dir)).toEqual(['cache.tar.gz']);

    const target = new DiskCache({ dir: join(freshDir(), 'cache') });
    expect(await target.import(path)).toMatchObject({ entries: 1 });
    expect(Buffer.from((await target.getBlob(sha256('k1')))!).toString()).toBe('a value to export');
    await target.close();
  });
});
