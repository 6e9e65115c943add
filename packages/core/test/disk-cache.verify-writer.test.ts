/**
 * verify() beside a writer: another process stores into the same cache directory the whole time
 * (keys stored again with another value, blobs released and shared, the journal compacted), and
 * verify() runs again and again. An undamaged cache must never be reported damaged, and no entry
 * the writer committed may be removed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { ownerTag } from '../src/backends/disk/temp.ts';
import { hash } from '../src/util/hash.ts';
import { describeExit, exitOf, lastLine, lineFrom, startFixture } from './fixtures/_disk-children.ts';
import { judge, keyOf, type Profile, valueOfKey } from './fixtures/_disk-values.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-verify-writer-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const log = (line: string) => console.log(`[disk-cache.verify-writer] ${line}`);

interface Alarm {
  run: number;
  corrupt: number;
  missing: number;
  orphans: number;
  damagedRecords: number;
}

/** Runs verify() `runs` times while a writer process stores `count` keys of `profile`; returns what verify() reported and what was lost. */
async function verifyBesideWriter(profile: Profile, count: number, runs: number) {
  const dir = fs.mkdtempSync(join(root, `${profile}-`));
  // A small compaction threshold: the writer also compacts the journal under the verifier, many times.
  const writer = startFixture('disk-verify-writer.ts', [dir, count, profile], {
    env: { MEMOFLOW_DISK_COMPACT_BYTES: String(64 * 1024) },
  });
  const exited = exitOf(writer);
  await lineFrom(writer, 'writing', exited);
  const cache = new DiskCache({ dir });
  const alarms: Alarm[] = [];
  let checked = 0;
  try {
    for (let run = 0; run < runs; run++) {
      const report = await cache.verify();
      checked += report.checked;
      if (!report.ok)
        alarms.push({
          run,
          corrupt: report.corrupt.length,
          missing: report.missing.length,
          orphans: report.orphans,
          damagedRecords: report.damagedRecords,
        });
    }
  } finally {
    writer.stdin!.end();
  }
  const exit = await exited;
  expect(exit.code, describeExit('disk-verify-writer.ts', exit)).toBe(0);
  const { writes, last } = lastLine<{ writes: number; last: number[] }>(exit);
  await cache.close();

  // Every key holds the value the writer stored last: verify() removed none of its entries.
  const reader = new DiskCache({ dir });
  const lost: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < count; i++) {
    const value = await reader.getBlob(keyOf(i));
    if (value === undefined) lost.push(i);
    else if (!Buffer.from(value).equals(valueOfKey(i, last[i]!, count, profile))) {
      if (judge(i, value, count, profile) === 'wrong') wrong.push(i);
      else lost.push(i); // the key's other value: its last store was undone
    }
  }
  const final = await reader.verify();
  await reader.close();
  return { alarms, checked, writes, lost, wrong, final, compactions: newestGeneration(dir) - 1 };
}

function newestGeneration(dir: string): number {
  const journals = fs.readdirSync(join(dir, 'v4', 'index')).filter((name) => /^journal-\d+$/.test(name));
  return Math.max(...journals.map((name) => Number(name.slice('journal-'.length))));
}

describe('verify() while another process writes the cache', () => {
  const runs = 150;
  for (const [profile, count] of [
    ['small', 64],
    ['files', 48],
  ] as const) {
    test(`${profile} values (${profile === 'small' ? 'in the journal and in files' : 'all in files'}): ${runs} runs, no false alarm, no entry lost`, async () => {
      const result = await verifyBesideWriter(profile, count, runs);
      log(
        `${profile}: ${runs} verify() runs (${result.checked} entries checked) beside ${result.writes} writes ` +
          `and ${result.compactions} compactions; ` +
          `${result.alarms.length} false alarms; ${result.lost.length} entries lost, ${result.wrong.length} wrong`,
      );
      expect(result.alarms, JSON.stringify(result.alarms.slice(0, 5))).toEqual([]);
      expect(result.lost).toEqual([]);
      expect(result.wrong).toEqual([]);
      expect(result.final).toMatchObject({ ok: true, checked: count });
      // The writer kept writing through the runs (each of its writes replaces a key's value), and compacting.
      expect(result.writes).toBeGreaterThan(runs);
      expect(result.compactions).toBeGreaterThan(0);
    }, 180_000);
  }
});

test('a blob file a release parked in v4/tmp and never put back (its process died) is put back by verify(): the entry is kept', async () => {
  const dir = fs.mkdtempSync(join(root, 'parked-'));
  const cache = new DiskCache({ dir });
  const value = Buffer.alloc(20_000, 7);
  await cache.setBlob(keyOf(1), value, { node: 'n' });
  await cache.setBlob(keyOf(2), Buffer.alloc(20_000, 8), { node: 'n' });
  const blob = hash(value);
  const file = join(dir, 'v4', 'blobs', blob.slice(0, 2), blob);
  // What a release does first: the file renamed into v4/tmp under its process's name (here, one that is gone).
  const gone = spawnSync(process.execPath, ['-e', '0']).pid;
  const parked = join(dir, 'v4', 'tmp', `${gone}.${ownerTag()}-0-ab-1`);
  fs.mkdirSync(join(dir, 'v4', 'tmp'), { recursive: true });
  fs.renameSync(file, parked);
  const report = await new DiskCache({ dir }).verify();
  expect(report).toMatchObject({ ok: true, checked: 2, missing: [], corrupt: [] });
  expect(Buffer.from((await new DiskCache({ dir }).getBlob(keyOf(1)))!).equals(value)).toBe(true);
  // The parked name went with the temp files of dead writers; the file is in its place.
  expect(fs.existsSync(parked)).toBe(false);
  expect(fs.existsSync(file)).toBe(true);
  await cache.close();
});
