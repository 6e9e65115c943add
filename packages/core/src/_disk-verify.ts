/** The full audit of a DiskCache: every value re-hashed against its name (in a file or the journal), every entry checked. */
import fs from 'node:fs';
import { join } from 'node:path';
import { readBlob, removeBlob } from './_disk-blob.ts';
import type { DiskIndex } from './_disk-index.ts';
import { emptyVerifyReport, isClean } from './_disk-memory-shared.ts';
import { hash } from './_hash.ts';
import type { OnProgress, VerifyReport } from './backend.ts';

/** Progress is reported every this many entries. */
const PROGRESS_EVERY = 100;

export type { VerifyReport } from './backend.ts';

const HASH_NAME = /^[0-9a-f]{64}$/;

/**
 * Checks every entry's blob; removes the entries of damaged or missing blobs, then compacts the
 * index (damaged journal records go with it) and removes blob files no entry references.
 */
export async function verifyIndex(
  index: DiskIndex | undefined,
  blobs: string,
  release: (blobs: string[]) => Promise<number>,
  onProgress?: OnProgress,
): Promise<VerifyReport> {
  const report = emptyVerifyReport();
  if (index) {
    index.sync();
    const verdicts = new Map<string, 'ok' | 'corrupt' | 'missing'>();
    const { entries: total } = index.totals();
    for (const entry of index.rows()) {
      report.checked++;
      if (onProgress && (report.checked % PROGRESS_EVERY === 0 || report.checked === total))
        onProgress(report.checked, total);
      let verdict = verdicts.get(entry.blob);
      if (!verdict) {
        verdict = await checkBlob(index, blobs, entry.blob);
        verdicts.set(entry.blob, verdict);
        report.blobs++;
        if (verdict === 'corrupt') removeBlob(blobs, entry.blob);
      }
      if (verdict !== 'ok') report[verdict].push(entry.key);
    }
    await release(index.remove([...report.corrupt, ...report.missing]));
    report.damagedRecords = index.takeDamage();
    // A damaged stretch of the journal is skipped on every replay until a compaction leaves it out.
    if (report.damagedRecords > 0) index.compact();
    report.orphans = await release(unreferenced(index, blobs));
  }
  report.ok = isClean(report);
  return report;
}

async function checkBlob(
  index: DiskIndex,
  blobs: string,
  blob: string,
): Promise<'ok' | 'corrupt' | 'missing'> {
  const read = index.inlineBlob(blob) ?? (await readBlob(blobs, blob));
  if (read === undefined) return 'missing';
  return 'corrupt' in read || hash(read.payload) !== blob ? 'corrupt' : 'ok';
}

/**
 * Blob files no entry references: left by a process killed between writing a blob and
 * recording it. (Releasing them checks again: a writer may be recording one right now.)
 */
function unreferenced(index: DiskIndex, blobs: string): string[] {
  index.sync();
  return safeList(blobs).flatMap((shard) =>
    safeList(join(blobs, shard)).filter((name) => HASH_NAME.test(name) && index.references(name) === 0),
  );
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
