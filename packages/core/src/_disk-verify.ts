/** The full audit of a DiskCache: every blob re-hashed against its name, every entry checked. */
import fs from 'node:fs';
import { join } from 'node:path';
import { readBlob, removeBlob } from './_disk-blob.ts';
import type { DiskIndex } from './_disk-index.ts';
import { hash } from './_hash.ts';
import type { VerifyReport } from './backend.ts';

export type { VerifyReport } from './backend.ts';

const HASH_NAME = /^[0-9a-f]{64}$/;

export async function verifyIndex(
  index: DiskIndex | undefined,
  blobs: string,
  release: (blob: string) => void,
): Promise<VerifyReport> {
  const report: VerifyReport = { checked: 0, blobs: 0, corrupt: [], missing: [], orphans: 0, ok: true };
  if (index) {
    const verdicts = new Map<string, 'ok' | 'corrupt' | 'missing'>();
    for (const [key, row] of index.rows()) {
      report.checked++;
      let verdict = verdicts.get(row.o);
      if (!verdict) {
        verdict = checkBlob(blobs, row.o);
        verdicts.set(row.o, verdict);
        report.blobs++;
        if (verdict === 'corrupt') removeBlob(blobs, row.o);
      }
      if (verdict !== 'ok') report[verdict].push(key);
    }
    await index.remove([...report.corrupt, ...report.missing], release);
    await index.recount();
    // References were just recounted from the rows (damaged counts are rebuilt, not trusted), and are
    // read again per file, so a blob another process committed meanwhile is not taken for an orphan.
    report.orphans = removeOrphans(index, blobs);
  }
  report.ok = report.corrupt.length === 0 && report.missing.length === 0 && report.orphans === 0;
  return report;
}

function checkBlob(blobs: string, blob: string): 'ok' | 'corrupt' | 'missing' {
  const read = readBlob(blobs, blob);
  if (read === undefined) return 'missing';
  return 'corrupt' in read || hash(read.payload) !== blob ? 'corrupt' : 'ok';
}

/**
 * Blob files no entry references: left by a process killed between writing a blob and
 * recording it. One that a writer is about to record is rewritten by that writer's transaction.
 */
function removeOrphans(index: DiskIndex, blobs: string): number {
  let orphans = 0;
  for (const shard of safeList(blobs)) {
    for (const name of safeList(join(blobs, shard))) {
      if (!HASH_NAME.test(name) || index.references(name) > 0) continue;
      removeBlob(blobs, name);
      orphans++;
    }
  }
  return orphans;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
