/** The file operations DiskCache is built from: each tolerates the races of several processes sharing a directory. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { threadId } from 'node:worker_threads';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function readAll(fd: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  let offset = 0;
  while (offset < length) {
    const read = fs.readSync(fd, bytes, offset, length - offset, offset);
    if (read === 0) return bytes.subarray(0, offset);
    offset += read;
  }
  return bytes;
}

/** A new path in `dir` for a file being written. */
export function tempPathIn(dir: string): string {
  return `${dir}/${TEMP_PREFIX}${++tempCounter}`;
}

export function writeNewFile(path: string, chunks: readonly Uint8Array[]): void {
  const fd = fs.openSync(path, 'wx');
  try {
    for (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; ) offset += fs.writeSync(fd, chunk, offset);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Runs `operation`; if a directory on its path is missing (never created, or removed by clear() in some process), creates it and retries. */
export function withDirectory(dir: string, operation: () => void): void {
  for (let attempt = 1; ; attempt++) {
    try {
      operation();
      return;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' || attempt === 3) throw error;
      fs.mkdirSync(dir, { recursive: true });
    }
  }
}

/**
 * Renames `dir` to `trash` (inside `tempDir`, same file system) and then deletes it: other
 * processes see the whole directory or none, never one half deleted, and their next write
 * recreates it. A missing `dir` is not an error.
 */
export function removeDirectory(dir: string, tempDir: string, trash: string): void {
  try {
    fs.mkdirSync(tempDir, { recursive: true });
    fs.renameSync(dir, trash);
  } catch (error) {
    if (isAbsent(error)) return;
    throw error;
  }
  try {
    fs.rmSync(trash, { recursive: true, force: true });
  } catch {
    // A writer that resolved its target just before the rename can add a file meanwhile; removeOlderThan gets it later.
  }
}

/** Removes the entries of `dir` last modified before `cutoff` (ms since the epoch). */
export function removeOlderThan(dir: string, cutoff: number): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const path = `${dir}/${name}`;
    try {
      if (fs.lstatSync(path).mtimeMs < cutoff) fs.rmSync(path, { recursive: true, force: true });
    } catch {}
  }
}

/** Unique per process and thread, so that writers never share a temp file ('wx' would refuse it anyway). */
const TEMP_PREFIX = `${process.pid}-${threadId}-${randomBytes(4).toString('hex')}-`;
let tempCounter = 0;
