/**
 * A DiskCache that cannot or must not be written: restored on a read-only mount, or shared and
 * kept by another user. Reads hit; writes change nothing and throw nothing (one warning when the
 * file system refused them); nothing in the directory changes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runFixture } from './fixtures/_disk-children.ts';
import { listing } from './fixtures/_disk-listing.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-disk-read-only-'));
afterAll(() => {
  execFileSync('chmod', ['-R', 'u+w', root]);
  fs.rmSync(root, { recursive: true, force: true });
});
const log = (line: string) => console.log(`[disk-cache.read-only] ${line}`);
const isRoot = process.getuid?.() === 0;

interface ReadOnlyRun {
  hits: number;
  getMany: number;
  has: number;
  meta: boolean;
  delete: boolean;
  prune: number;
  verify: boolean;
  info: number;
  hitsAfter: number;
  stored: boolean;
  imported: string;
  errors: string[];
  warnings: string[];
}

/** What every run must show: all 40 entries hit before and after, every write a no-op, import() refused. */
function expectReadOnly(run: ReadOnlyRun, warnings: number): void {
  expect(run.errors).toEqual([]);
  expect(run).toMatchObject({
    hits: 40,
    getMany: 40,
    has: 40,
    meta: true,
    delete: false,
    prune: 0,
    verify: true,
    info: 40,
    hitsAfter: 40,
    stored: false,
    imported: 'BACKEND',
  });
  expect(run.warnings).toHaveLength(warnings);
  for (const warning of run.warnings) expect(warning).toMatch(/^MEMOFLOW_DISK_READ_ONLY: .*readOnly: true/);
}

async function populated(dir: string): Promise<string> {
  await runFixture('disk-read-only.ts', [dir, 'populate']);
  return dir;
}

describe('DiskCache that cannot be written', () => {
  test('readOnly: true on a writable directory: every read hits, nothing in the directory changes, no warning', async () => {
    const dir = await populated(join(root, 'explicit'));
    const before = listing(dir);
    const run = await runFixture<ReadOnlyRun>('disk-read-only.ts', [dir, 'read', 'explicit']);
    expectReadOnly(run, 0);
    expect(listing(dir)).toEqual(before);
  });

  test.runIf(isRoot)(
    'a real read-only mount (tmpfs remounted ro): EROFS is detected, every read hits, writes are skipped with one warning',
    async () => {
      const mount = fs.mkdtempSync(join(root, 'mount-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
      try {
        const dir = await populated(join(mount, 'cache'));
        execFileSync('mount', ['-o', 'remount,ro', mount]);
        const run = await runFixture<ReadOnlyRun>('disk-read-only.ts', [dir, 'read', 'auto']);
        log(`EROFS: ${run.hits} of 40 hits, ${run.warnings.length} warning, ${run.errors.length} errors`);
        expectReadOnly(run, 1);
        expect(run.warnings[0]).toContain('EROFS');
        // And with readOnly: true, not even the warning.
        expectReadOnly(await runFixture<ReadOnlyRun>('disk-read-only.ts', [dir, 'read', 'explicit']), 0);
      } finally {
        execFileSync('umount', ['-l', mount]);
      }
    },
  );

  test('a directory this user may not write (EACCES): every read hits, writes are skipped with one warning, nothing changes', async () => {
    const dir = await populated(join(root, 'not-mine'));
    const before = listing(dir);
    // root writes anywhere: the reader runs as nobody, who may read the cache but not write it.
    // Anyone else is refused by the permissions themselves.
    const options = isRoot ? { uid: 65534, gid: 65534 } : {};
    if (isRoot)
      for (const path of [root, ...fs.readdirSync(root).map((name) => join(root, name))])
        fs.chmodSync(path, 0o755);
    else execFileSync('chmod', ['-R', 'a-w', dir]);
    // tsx keeps its cache under the temp directory: nobody gets one of its own.
    const nobodyTemp = fs.mkdtempSync(join(root, 'nobody-tmp-'));
    fs.chmodSync(nobodyTemp, 0o777);
    const run = await runFixture<ReadOnlyRun>('disk-read-only.ts', [dir, 'read', 'auto'], {
      ...options,
      env: isRoot ? { TMPDIR: nobodyTemp } : {},
    });
    log(
      `EACCES (${isRoot ? 'as nobody' : 'chmod a-w'}): ${run.hits} of 40 hits, ${run.warnings.length} warning`,
    );
    expectReadOnly(run, 1);
    expect(run.warnings[0]).toMatch(/EACCES|EPERM/);
    expect(listing(dir)).toEqual(before);
  });
});
