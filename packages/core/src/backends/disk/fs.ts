/** The file operations DiskCache is built from: each tolerates the races of several processes sharing a directory. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { threadId } from 'node:worker_threads';
import { owner } from './temp.ts';

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

export function isAbsent(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** A write refused because the file system is mounted read-only or this process may not write there. */
export function isReadOnly(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'EROFS' || code === 'EACCES' || code === 'EPERM';
}

/** What opening a file that should be a regular one found. */
export type Opened = { fd: number; size: number } | 'absent' | 'not a file';

/**
 * Opens a file for reading if it is a regular file. Links are not followed (a link is 'not a
 * file'), and a FIFO does not block the open: O_NONBLOCK, then fstat says what it is.
 */
export function openRegular(path: string): Opened {
  let fd: number;
  try {
    fd = fs.openSync(path, READ_REGULAR);
  } catch (error) {
    if (isAbsent(error)) return 'absent';
    if (errorCode(error) === 'ELOOP') return 'not a file';
    throw error;
  }
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isFile()) return { fd, size: stats.size };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  fs.closeSync(fd);
  return 'not a file';
}

const READ_REGULAR = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

/** Removes a file, or whatever is there instead (a directory, a FIFO, a link: never followed). */
export function removeAny(path: string): void {
  try {
    fs.unlinkSync(path);
  } catch (error) {
    if (isAbsent(error)) return;
    fs.rmSync(path, { recursive: true, force: true });
  }
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

/** A new path in `dir` for a file being written, named after its writer (see `temp.ts`). */
export function tempPathIn(dir: string): string {
  tempPrefix ??= `${owner()}-${threadId}-${randomBytes(4).toString('hex')}-`;
  return `${dir}/${tempPrefix}${++tempCounter}`;
}

/** Writes a new file whole; if writing fails (a full disk), what was written is removed. */
export function writeNewFile(path: string, chunks: readonly Uint8Array[]): void {
  const fd = fs.openSync(path, 'wx');
  try {
    for (const chunk of chunks) {
      for (let offset = 0; offset < chunk.length; ) offset += fs.writeSync(fd, chunk, offset);
    }
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw error;
  }
  fs.closeSync(fd);
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
    // A writer that resolved its target just before the rename can add a file meanwhile: the sweep of stale temp files gets it later.
  }
}

/** Unique per process and thread, so that writers never share a temp file ('wx' would refuse it anyway). */
let tempPrefix: string | undefined;
let tempCounter = 0;
