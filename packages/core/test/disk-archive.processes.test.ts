/**
 * DiskCache.import() of crafted archives in fresh processes, whose peak RSS and bytes written
 * (Linux's /proc/self/io) show what an import holds in memory and writes before it decides.
 * Each archive holds 512 MiB of zeros: gzip makes that about 0.5 MB.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import {
  archiveEntry,
  archiveManifest,
  craftArchive,
  sha256,
  sha256OfFill,
} from './fixtures/disk-archive-craft.ts';
import { tsxLoader } from './support/processes.ts';

const run = promisify(execFile);
const fixture = fileURLToPath(new URL('./fixtures/disk-archive-import.ts', import.meta.url));
const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-archive-processes-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const log = (line: string) => console.log(`[disk-archive.processes] ${line}`);
const MiB = 1024 * 1024;
const BIG = 512 * MiB;

interface ImportReport {
  result?: { entries: number; blobs: number; bytes: number };
  error?: { name: string; code: string; message: string };
  peakRssBytes: number;
  writtenBytes: number;
  entries: { key: string; node: string; bytes: number; sha256: string | undefined }[];
}

async function importInChild(archive: string, dir: string, options?: object): Promise<ImportReport> {
  const args = ['--conditions=memoflow-source', '--import', tsxLoader, fixture, archive, dir];
  if (options) args.push(JSON.stringify(options));
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * MiB });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as ImportReport;
}

/** Every file under `dir` (the cache's blobs, its temp and staging files), journals aside. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory() && !entry.name.startsWith('journal-'))
    .map((entry) => join(entry.parentPath, entry.name));
}

const zeros = sha256OfFill(BIG);

describe.skipIf(process.platform !== 'linux')('DiskCache.import() in a fresh process', () => {
  test('a 512 MiB value is streamed to its blob file: peak RSS stays far below its size', async () => {
    const archive = join(root, 'zeros.tar.gz');
    const entry = archiveEntry({ blob: zeros, bytes: BIG, node: 'zeros' });
    await craftArchive(archive, archiveManifest([entry]), [{ size: BIG }]);
    const small = join(root, 'small.tar.gz');
    const smallValue = 'a value of a few bytes';
    await craftArchive(
      small,
      archiveManifest([archiveEntry({ blob: sha256(smallValue), bytes: smallValue.length })]),
      [{ body: smallValue }],
    );

    const baseline = await importInChild(small, join(root, 'baseline'));
    const report = await importInChild(archive, join(root, 'cache'));
    log(
      `archive ${fs.statSync(archive).size} bytes holding ${BIG} bytes: peak RSS ${(report.peakRssBytes / MiB).toFixed(0)} MiB (importing ${smallValue.length} bytes: ${(baseline.peakRssBytes / MiB).toFixed(0)} MiB)`,
    );
    expect(report.error).toBeUndefined();
    expect(report.result).toEqual({ entries: 1, blobs: 1, bytes: BIG });
    expect(report.entries).toEqual([{ key: entry.key, node: 'zeros', bytes: BIG, sha256: zeros }]);
    expect(report.peakRssBytes).toBeLessThan(BIG / 2);
    // Written once: staged in place and linked into the blob directory, not written again.
    expect(report.writtenBytes).toBeLessThan(BIG + 16 * MiB);
  }, 120_000);

  test('a blob longer than its manifest declares is refused before a byte of it is written', async () => {
    const archive = join(root, 'longer.tar.gz');
    const claimed = Buffer.from('sixteen bytes!!!');
    const good = 'a value the archive also holds';
    await craftArchive(
      archive,
      archiveManifest([
        archiveEntry({ blob: sha256(good), bytes: good.length }),
        archiveEntry({ blob: sha256(claimed), bytes: claimed.length }),
      ]),
      [{ body: good }, { path: `blobs/${sha256(claimed)}`, size: BIG }],
    );
    const dir = join(root, 'longer');
    const report = await importInChild(archive, dir);
    log(
      `blob of ${BIG} bytes declared as ${claimed.length}: refused after writing ${report.writtenBytes} bytes`,
    );
    expect(report.error).toMatchObject({ name: 'ConfigError', code: 'CONFIG' });
    expect(report.error!.message).toContain(`blob ${sha256(claimed)} is ${BIG} bytes in the archive`);
    expect(report.error!.message).toContain('its manifest says 16');
    expect(report.writtenBytes).toBeLessThan(4 * MiB);
    expect(report.entries).toEqual([]);
    expect(filesUnder(dir)).toEqual([]);
  }, 60_000);

  test('maxBytes refuses an archive whose values expand past it, writing nothing', async () => {
    const archive = join(root, 'over.tar.gz');
    const good = 'a small value first';
    await craftArchive(
      archive,
      archiveManifest([
        archiveEntry({ blob: sha256(good), bytes: good.length }),
        archiveEntry({ blob: zeros, bytes: BIG, node: 'zeros' }),
      ]),
      [{ body: good }, { size: BIG }],
    );
    const dir = join(root, 'over');
    const report = await importInChild(archive, dir, { maxBytes: 64 * MiB });
    log(
      `archive expanding to ${BIG + good.length} bytes, maxBytes 64 MiB: refused after writing ${report.writtenBytes} bytes`,
    );
    expect(report.error).toMatchObject({ name: 'ConfigError', code: 'CONFIG' });
    expect(report.error!.message).toContain(`its values expand to ${BIG + good.length} bytes`);
    expect(report.error!.message).toContain('`maxBytes` (67108864)');
    expect(report.writtenBytes).toBeLessThan(4 * MiB);
    expect(report.entries).toEqual([]);
    expect(filesUnder(dir)).toEqual([]);
  }, 60_000);
});
