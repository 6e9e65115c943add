/**
 * DiskCache when the file system fails it: a full disk (a real small tmpfs, and a real file
 * size limit), writers killed in the middle of a compaction or a blob write, and caches that
 * cannot be written (a real read-only mount, a directory this user may not write).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { ownerTag, STALE_TEMP_MS, sweepStaleTemps } from '../src/backends/disk/temp.ts';
import {
  describeExit,
  exitOf,
  fixtureCommand,
  lastLine,
  lineFrom,
  runFixture,
  startFixture,
} from './fixtures/_disk-children.ts';
import { keyOf, namedValue } from './fixtures/_disk-values.ts';
import type { Fill, Reread } from './fixtures/disk-full.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-disk-failures-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));
const log = (line: string) => console.log(`[disk-cache.failures] ${line}`);
const isRoot = process.getuid?.() === 0;
const SMALL_COMPACTIONS = { MEMOFLOW_DISK_COMPACT_BYTES: '16384' };

/** Mounts a tmpfs of `size` at a fresh directory, runs `body`, and unmounts it whatever happens. */
async function onTmpfs<T>(size: string, body: (mount: string) => Promise<T>): Promise<T> {
  const mount = freshDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mount]);
  try {
    return await body(mount);
  } finally {
    execFileSync('umount', ['-l', mount]);
  }
}

describe('DiskCache on a full disk', () => {
  test.runIf(isRoot)(
    'a real ENOSPC (a 4 MiB tmpfs): a failed compaction and failed blob writes leave no temp file, the write that set off the compaction stands, and once there is room nothing stored is lost',
    async () => {
      await onTmpfs('4m', async (mount) => {
        const dir = join(mount, 'cache');
        const filler = join(mount, 'filler');
        const fill = await runFixture<Fill>('disk-full.ts', [dir, 'enospc', filler], {
          env: SMALL_COMPACTIONS,
        });
        // A compaction began (its file appeared) and could not finish: the journal is still generation 1.
        expect(fill.compactionFiles).toBeGreaterThan(0);
        expect(fill.generation).toBe(1);
        expect(fill.failures.ENOSPC).toBeGreaterThanOrEqual(10);
        expect(Object.keys(fill.failures)).toEqual(['ENOSPC']);
        // After every failed store: no partial blob in v4/tmp, no compaction file in v4/index.
        expect(fill.left).toEqual([]);
        fs.rmSync(filler);
        const reread = await runFixture<Reread>('disk-full.ts', [dir, 'reread', JSON.stringify(fill)], {
          env: SMALL_COMPACTIONS,
        });
        log(
          `ENOSPC: ${fill.stored} stores, ${fill.failures.ENOSPC} refused; compaction file events: ` +
            `${fill.compactionFiles}, generation still ${fill.generation}; ${fill.left.length} temp files left; ` +
            `after: ${reread.checked} values checked, ${reread.lost} lost`,
        );
        expect(reread.lost).toBe(0);
        expect(reread.second.ok).toBe(true);
        expect(reread.storedAfter).toBe(400);
        // With room again, the journal is compacted.
        expect(reread.generation).toBeGreaterThan(1);
        expect(reread.left).toEqual([]);
      });
    },
  );

  test('a real EFBIG (ulimit -f 512 KiB): blob files and journal appends cut off by the limit leave no temp file, and nothing stored is lost', async () => {
    const dir = freshDir();
    const [node, args] = fixtureCommand('disk-full.ts', [dir, 'efbig']);
    // The limit applies to the child only; a larger compaction threshold lets its journal reach it.
    const child = spawn('sh', ['-c', 'ulimit -f 512 && exec "$0" "$@"', node, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MEMOFLOW_DISK_COMPACT_BYTES: String(64 << 20) },
    });
    const exit = await exitOf(child);
    expect(exit.code, describeExit('disk-full.ts', exit)).toBe(0);
    const fill = lastLine<Fill>(exit);
    expect(fill.failures.EFBIG).toBeGreaterThanOrEqual(10);
    expect(fill.left).toEqual([]);
    const reread = await runFixture<Reread>('disk-full.ts', [dir, 'reread', JSON.stringify(fill)], {
      env: SMALL_COMPACTIONS,
    });
    log(
      `EFBIG: ${fill.stored} stores, ${fill.failures.EFBIG} refused; ${reread.lost} of ${reread.checked} lost`,
    );
    expect(reread).toMatchObject({ lost: 0, storedAfter: 400, left: [] });
    expect(reread.second.ok).toBe(true);
  });
});

describe('DiskCache temp files of writers killed mid-way', () => {
  /** Starts disk-killed.ts, tells it to go, and SIGKILLs it as soon as a file appears in `watched`. */
  async function killWhenWriting(
    dir: string,
    mode: string,
    size: number,
    watched: string,
  ): Promise<string[]> {
    const child = startFixture('disk-killed.ts', [dir, mode, size]);
    const exited = exitOf(child);
    await lineFrom(child, 'ready', exited);
    const seen: string[] = [];
    const watcher = fs.watch(watched, (_, name) => {
      if (name && (mode === 'blob' || name.includes('.tmp-')) && fs.existsSync(join(watched, name))) {
        seen.push(name);
        child.kill('SIGKILL');
      }
    });
    try {
      child.stdin!.write('go\n');
      const exit = await exited;
      expect(exit.signal, describeExit('disk-killed.ts', exit)).toBe('SIGKILL');
    } finally {
      watcher.close();
    }
    return seen;
  }

  test('a process SIGKILLed mid-compaction leaves journal-<n>.tmp-<owner>: opening the cache removes it, and no value is lost', async () => {
    const dir = freshDir();
    const count = 20_000;
    const index = join(dir, 'v4', 'index');
    // Opened before the kill: its verify() below meets the file only after it opened.
    const opened = new DiskCache({ dir: freshDir() });
    await opened.setBlob(keyOf(0), Buffer.alloc(10), { node: 'n' });
    const seen = await killWhenWriting(dir, 'compact', count, index);
    const left = fs.readdirSync(index).filter((name) => name.includes('.tmp-'));
    expect(left.length, `seen: ${seen}`).toBe(1);
    expect(left[0]).toMatch(/^journal-\d{10}\.tmp-/);
    // A verify() of an instance opened earlier removes it too: planted in that instance's directory.
    fs.copyFileSync(join(index, left[0]!), join(opened.dir, 'v4', 'index', left[0]!));
    expect((await opened.verify()).ok).toBe(true);
    expect(fs.readdirSync(join(opened.dir, 'v4', 'index')).filter((name) => name.includes('.tmp-'))).toEqual(
      [],
    );
    await opened.close();

    const cache = new DiskCache({ dir });
    let lost = 0;
    // Node `old` (three quarters) was cleared before the compaction began; node `new` must all be there.
    for (let i = (3 * count) / 4; i < count; i++) {
      const value = await cache.getBlob(keyOf(i));
      if (!value || !Buffer.from(value).equals(namedValue(i, 0, 1000))) lost++;
    }
    expect(fs.readdirSync(index).filter((name) => name.includes('.tmp-'))).toEqual([]);
    const report = await cache.verify();
    await cache.close();
    log(`killed mid-compaction: ${left[0]} left, removed on open; ${lost} of ${count / 4} values lost`);
    expect(lost).toBe(0);
    expect(report).toMatchObject({ ok: true, checked: count / 4 });
  }, 120_000);

  test('a process SIGKILLed mid-blob-write leaves its temp file in v4/tmp: opening the cache removes it', async () => {
    const dir = freshDir();
    const temp = join(dir, 'v4', 'tmp');
    const seen = await killWhenWriting(dir, 'blob', 256, temp);
    const left = fs.readdirSync(temp);
    expect(left.length, `seen: ${seen}`).toBe(1);
    const cache = new DiskCache({ dir });
    expect((await cache.getBlob(keyOf(0)))?.length).toBe(64 * 1024);
    expect(fs.readdirSync(temp)).toEqual([]);
    await cache.close();
  }, 120_000);

  test('the rule: a temp file goes when its writer (same boot and pid namespace) is gone, or when it is an hour old; never while its writer lives', () => {
    const temp = join(freshDir(), 'tmp');
    const index = join(temp, '..', 'index');
    fs.mkdirSync(temp);
    fs.mkdirSync(index);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const files = {
      deadWriter: join(temp, `${dead}.${ownerTag()}-0-abcd-1`),
      liveWriter: join(temp, `${process.pid}.${ownerTag()}-0-abcd-1`),
      otherNamespace: join(temp, `${dead}.00000000-0-abcd-1`),
      olderVersion: join(temp, `${dead}-0-abcd-1`),
      deadCompactor: join(index, `journal-0000000002.tmp-${dead}.${ownerTag()}`),
      liveCompactor: join(index, `journal-0000000002.tmp-${process.pid}.${ownerTag()}`),
      olderCompactor: join(index, `journal-0000000003.tmp-${dead}`),
      journal: join(index, 'journal-0000000001'),
    };
    for (const file of Object.values(files)) fs.writeFileSync(file, 'partial');
    const present = () =>
      Object.entries(files)
        .filter(([, file]) => fs.existsSync(file))
        .map(([name]) => name);
    expect(sweepStaleTemps(temp, index, Date.now())).toBe(2);
    expect(present()).toEqual([
      'liveWriter',
      'otherNamespace',
      'olderVersion',
      'liveCompactor',
      'olderCompactor',
      'journal',
    ]);
    // An hour on, whoever wrote them: all temp files, never a journal.
    expect(sweepStaleTemps(temp, index, Date.now() + STALE_TEMP_MS + 1000)).toBe(5);
    expect(present()).toEqual(['journal']);
  });
});
