/**
 * The full audit of a DiskCache: every value re-hashed against its name (in a file or the
 * journal), every entry checked, blob files no entry references removed.
 *
 * Other processes may be writing the cache meanwhile: a key stored again, a blob released and
 * put back, a small value's record written again after a compaction. Each leaves an entry
 * looking damaged for an instant, so nothing is judged on the first look. What the first pass
 * finds is looked at again against the index as it is then, a few times over a few hundred
 * milliseconds; only an entry that still refers to the same value, and whose value is still
 * damaged or gone every time, is damage. An entry is removed only if its key still refers to
 * that value (`DiskIndex.removeIfStill`).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { hash } from '../../util/hash.ts';
import type { OnProgress, VerifyReport } from '../contract.ts';
import { emptyVerifyReport, isClean } from '../kit/index.ts';
import { putBackParked, readBlob, removeBlob } from './blob.ts';
import type { DiskIndex } from './index/index.ts';
import { sweepStaleTemps } from './temp.ts';

/** Progress is reported every this many entries. */
const PROGRESS_EVERY = 100;
/**
 * Waits before each look again at what seemed damaged: far longer than a writer takes between
 * its steps (a release parks a blob for microseconds), short enough for a real loss to cost a
 * verify() a third of a second, however much is lost.
 */
const CONFIRM_AFTER_MS = [0, 10, 50, 250];
/** How long a blob file no entry references is left to a writer about to record it, or to a release under way. */
const ORPHAN_SETTLE_MS = 250;

export type { VerifyReport } from '../contract.ts';

/** Where a DiskCache keeps what verify() looks at. */
export interface VerifyPaths {
  blobs: string;
  temp: string;
  index: string;
}

type Verdict = 'ok' | 'corrupt' | 'missing';
interface Finding {
  key: string;
  blob: string;
  verdict: Verdict;
}

const HASH_NAME = /^[0-9a-f]{64}$/;

/**
 * Checks every entry's value; removes the entries whose value is damaged or gone, then compacts
 * the index (damaged journal records go with it), removes blob files no entry references and
 * the temp files of dead writers. `readOnly`: reports, and changes nothing.
 */
export async function verifyIndex(
  index: DiskIndex | undefined,
  paths: VerifyPaths,
  release: (blobs: string[]) => Promise<number>,
  options: { onProgress?: OnProgress; readOnly: boolean },
): Promise<VerifyReport> {
  const started = Date.now();
  const report = emptyVerifyReport();
  if (index) {
    index.sync();
    const verdicts = new Map<string, Verdict>();
    const suspects: Finding[] = [];
    const { entries: total } = index.totals();
    for (const entry of index.rows()) {
      report.checked++;
      if (options.onProgress && (report.checked % PROGRESS_EVERY === 0 || report.checked === total))
        options.onProgress(report.checked, total);
      let verdict = verdicts.get(entry.blob);
      if (!verdict) {
        verdict = await checkBlob(index, paths.blobs, entry.blob);
        verdicts.set(entry.blob, verdict);
        report.blobs++;
      }
      if (verdict !== 'ok') suspects.push({ key: entry.key, blob: entry.blob, verdict });
    }
    const damaged = await confirmed(index, paths, suspects, options.readOnly);
    for (const { key, verdict } of damaged) report[verdict as 'corrupt' | 'missing'].push(key);
    if (!options.readOnly) {
      for (const { blob, verdict } of damaged) if (verdict === 'corrupt') removeBlob(paths.blobs, blob);
      await release(index.removeIfStill(damaged));
    }
    report.damagedRecords = index.takeDamage();
    // A damaged stretch of the journal is skipped on every replay until a compaction leaves it out.
    if (report.damagedRecords > 0) index.compact();
    const orphans = await settledOrphans(index, paths.blobs, started);
    report.orphans = options.readOnly ? orphans.length : await release(orphans);
    if (!options.readOnly)
      sweepStaleTemps(paths.temp, paths.index, Date.now(), (file) =>
        putBackParked(paths.blobs, file, (blob) => index.references(blob)),
      );
  }
  report.ok = isClean(report);
  return report;
}

async function checkBlob(index: DiskIndex, blobs: string, blob: string): Promise<Verdict> {
  const read = index.inlineBlob(blob) ?? (await readBlob(blobs, blob));
  if (read === undefined) return 'missing';
  return 'corrupt' in read || hash(read.payload) !== blob ? 'corrupt' : 'ok';
}

/** The suspects that are still damage after every look again. */
async function confirmed(
  index: DiskIndex,
  paths: VerifyPaths,
  suspects: Finding[],
  readOnly: boolean,
): Promise<Finding[]> {
  let left = suspects;
  for (const [round, wait] of CONFIRM_AFTER_MS.entries()) {
    if (left.length === 0) break;
    await sleep(wait);
    const last = round === CONFIRM_AFTER_MS.length - 1;
    let parkedPutBack = false;
    const verdicts = new Map<string, Verdict>();
    const still: Finding[] = [];
    for (const suspect of left) {
      // Stored again or removed meanwhile: whatever the key holds now was not what looked damaged.
      if (index.get(suspect.key)?.blob !== suspect.blob) continue;
      let verdict = verdicts.get(suspect.blob);
      if (verdict === undefined) {
        verdict = await checkBlob(index, paths.blobs, suspect.blob);
        // The last look first puts back what releases parked in `temp` and still have (once).
        if (verdict === 'missing' && last && !readOnly && !parkedPutBack) {
          parkedPutBack = true;
          for (const file of safeList(paths.temp))
            putBackParked(paths.blobs, join(paths.temp, file), (blob) => index.references(blob));
          verdict = await checkBlob(index, paths.blobs, suspect.blob);
        }
        verdicts.set(suspect.blob, verdict);
      }
      if (verdict !== 'ok') still.push({ ...suspect, verdict });
    }
    left = still;
  }
  return left;
}

/**
 * Blob files no entry references: left by a process killed between writing a blob and
 * recording it. A file placed since verify() began, or referenced again after a pause for the
 * writers at work, is not one. (Releasing them checks again.)
 */
async function settledOrphans(index: DiskIndex, blobs: string, started: number): Promise<string[]> {
  const unreferenced = () => {
    index.sync();
    return safeList(blobs).flatMap((shard) =>
      safeList(join(blobs, shard)).filter(
        (name) =>
          HASH_NAME.test(name) &&
          index.references(name) === 0 &&
          placedBefore(join(blobs, shard, name), started),
      ),
    );
  };
  const first = unreferenced();
  if (first.length === 0) return first;
  await sleep(ORPHAN_SETTLE_MS);
  const again = new Set(unreferenced());
  return first.filter((name) => again.has(name));
}

/** Whether a file was written and renamed into place before `time` (a rename sets the ctime). */
function placedBefore(path: string, time: number): boolean {
  try {
    const stats = fs.lstatSync(path);
    return Math.max(stats.mtimeMs, stats.ctimeMs) < time;
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
