/**
 * Temp files of DiskCache and when they are stale. A writer names each temp file after itself:
 * its process id and an owner tag (a hash of the machine's boot and the process's pid
 * namespace), so another process can tell whether the writer is gone.
 *
 * A temp file is stale, and removed, when
 * - its writer ran under this same boot and pid namespace and that process is gone (signal 0
 *   finds no such process), or
 * - it was last changed (written, or renamed there) more than an hour ago, whoever wrote it: a
 *   writer in another container or on another machine, whose pid means nothing here, or a
 *   file older versions named without a tag.
 * A pid reused by a new process looks alive: that file waits for the hour. A live writer's file
 * is never taken for a dead one's, which is what comparing pids across namespaces could do.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** Temp files unchanged for this long are stale, whoever wrote them. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/** `<pid>.<tag>-…`: a file in `tmp/`. */
const TEMP_NAME = /^(\d+)\.([0-9a-f]{8})-/;
/** `journal-<n>.tmp-<pid>.<tag>` (`.tmp-<pid>` from older versions): a compaction's next generation being written. */
const JOURNAL_TEMP_NAME = /^journal-\d{10}\.tmp-(\d+)(?:\.([0-9a-f]{8}))?$/;

let tag: string | undefined;

/** This process's owner tag: the same for every process of one boot and pid namespace. */
export function ownerTag(): string {
  tag ??= createHash('sha256')
    .update(readOr('/proc/sys/kernel/random/boot_id', hostname()))
    .update(linkOr('/proc/self/ns/pid', ''))
    .digest('hex')
    .slice(0, 8);
  return tag;
}

/** `<pid>.<tag>`: how a temp file names its writer. */
export const owner = (): string => `${process.pid}.${ownerTag()}`;

/** Whether the process `pid` of owner tag `tag` is known to be gone (an unknown tag: not known). */
export function ownerGone(pid: number, ownerTagOf: string | undefined): boolean {
  if (ownerTagOf !== ownerTag() || !Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: alive, another user's.
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Removes the stale temp files of `temp` (blob writes, blobs being released, directories a
 * clear() is deleting) and the stale compaction files of `index`; returns how many it removed.
 * `before(file)` is called with each stale file of `temp` first (a blob still in use is put back).
 * Never fails: a file it cannot remove is left for the next sweep.
 */
export function sweepStaleTemps(
  temp: string,
  index: string,
  now: number,
  before: (file: string) => void = () => {},
): number {
  return (
    sweep(temp, TEMP_NAME, now, before) +
    sweep(
      index,
      JOURNAL_TEMP_NAME,
      now,
      () => {},
      (name) => name.startsWith('journal-') && name.includes('.tmp-'),
    )
  );
}

function sweep(
  dir: string,
  pattern: RegExp,
  now: number,
  before: (file: string) => void,
  candidate: (name: string) => boolean = () => true,
): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!candidate(name)) continue;
    const path = join(dir, name);
    try {
      // lstat: a link planted here is removed itself, never followed.
      const stats = fs.lstatSync(path);
      const match = pattern.exec(name);
      const gone = match !== null && ownerGone(Number(match[1]), match[2]);
      // ctime too: a file renamed here (a blob being released) keeps its old mtime.
      if (!gone && now - Math.max(stats.mtimeMs, stats.ctimeMs) < STALE_TEMP_MS) continue;
      if (stats.isFile()) before(path);
      fs.rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {}
  }
  return removed;
}

function readOr(path: string, fallback: string): string {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function linkOr(path: string, fallback: string): string {
  try {
    return fs.readlinkSync(path);
  } catch {
    return fallback;
  }
}
