/** A cache as one `.tar.gz` file, for moving it between machines: `manifest.json` first, then each blob once. */
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { Header, Pack, ReadEntry } from 'tar';
import { BackendError, ConfigError, MemoflowError, quote } from '../../../errors.ts';
import { backendFailure } from '../../kit/index.ts';

/** One cache entry as an archive lists it. */
export interface ArchiveEntry {
  key: string;
  node: string;
  /** sha256 hex of the blob's payload; the archive holds it as `blobs/<blob>`. */
  blob: string;
  /** Payload bytes of the blob. */
  bytes: number;
  createdAt: number;
  /** 0 = never. */
  expiresAt: number;
  /** -1 = unknown. */
  computeMs: number;
}

/** The archive's `manifest.json`. */
export interface ArchiveManifest {
  format: 'memoflow-cache';
  version: 1;
  createdAt: number;
  entries: ArchiveEntry[];
  /** NodeSignature objects, passed through as they are. */
  meta: unknown[];
}

export const FORMAT = 'memoflow-cache';
export const VERSION = 1;
export const MANIFEST_PATH = 'manifest.json';
export const BLOB_PATH = /^blobs\/([0-9a-f]{64})$/;
export const HASH = /^[0-9a-f]{64}$/;

/**
 * Writes `file` (a .tar.gz): `manifest.json`, then each blob the entries name, once however many
 * entries share it, as `blobs/<hash>` holding the payload bytes only. `blobSource(hash)` gives a
 * blob's bytes, or the path of a file to stream them from (never held in memory whole); either is
 * re-hashed on the way: a blob whose payload does not match its name aborts the export. `file`
 * appears only when complete (a temp file in its directory, then a rename), and only a regular
 * file is replaced.
 *
 * @param headerBytes How many bytes at the start of each blob file precede the payload (DiskCache's
 *   blob files carry a 56-byte header); they are skipped, not archived. @default 0
 * @param onProgress Called after each blob is written, with how many of how many. @default none
 * @returns entries listed, blobs written, and the payload bytes of those blobs.
 * @throws ConfigError when `file` is a symbolic link, a directory, a device, a FIFO or a socket.
 */
export async function writeArchive(
  file: string,
  manifest: ArchiveManifest,
  blobSource: (hash: string) => string | Uint8Array,
  headerBytes = 0,
  onProgress?: (done: number, total: number) => void,
): Promise<{ entries: number; blobs: number; bytes: number }> {
  if (!Number.isSafeInteger(headerBytes) || headerBytes < 0) {
    throw new TypeError(`\`headerBytes\` must be a non-negative integer, got ${quote(headerBytes)}`);
  }
  const hashes = new Set<string>();
  for (const entry of manifest.entries) {
    if (!HASH.test(entry.blob)) {
      throw new TypeError(
        `Entry ${quote(entry.key)} has \`blob\` ${quote(entry.blob)}, not a sha256 hex digest`,
      );
    }
    hashes.add(entry.blob);
  }
  const { format, version, createdAt, entries, meta } = manifest;
  const manifestBytes = Buffer.from(JSON.stringify({ format, version, createdAt, entries, meta }));
  const mtime = new Date(createdAt);
  await assertReplaceable(file);

  // A temp file beside `file` and a rename, so an export that fails midway never leaves a truncated archive under the real name.
  const temp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
  const abort = new AbortController();
  const pack = new Pack({ gzip: true, portable: true });
  const out = fs.createWriteStream(temp, { flags: 'wx' });
  const failed = new Promise<never>((_, reject) => {
    pack.on('error', reject);
    out.on('error', reject);
  });
  failed.catch(() => {});
  let bytes = 0;
  try {
    pack.pipe(out);
    const manifestEntry = fileEntry(MANIFEST_PATH, manifestBytes.length, mtime);
    pack.add(manifestEntry);
    manifestEntry.end(manifestBytes);
    let done = 0;
    for (const hash of hashes) {
      const source = blobSource(hash);
      bytes += await Promise.race([
        typeof source === 'string'
          ? packBlob(pack, hash, source, headerBytes, mtime, abort.signal)
          : packBytes(pack, hash, source, mtime),
        failed,
      ]);
      onProgress?.(++done, hashes.size);
    }
    pack.end();
    await Promise.race([finished(out), failed]);
    // Checked again: whatever took the name while the archive was written is refused too.
    await assertReplaceable(file);
    await fsp.rename(temp, file);
  } catch (error) {
    abort.abort(error);
    out.destroy();
    await fsp.rm(temp, { force: true });
    if (error instanceof MemoflowError) throw error;
    throw backendFailure('disk', `Cannot write archive ${quote(file)}`, error);
  }
  return { entries: manifest.entries.length, blobs: hashes.size, bytes };
}

function fileEntry(path: string, size: number, mtime: Date): ReadEntry {
  return new ReadEntry(new Header({ path, type: 'File', size, mode: 0o644, mtime }));
}

/** Streams one blob file's payload into `pack`, hashing it on the way; returns its payload bytes. */
/** Adds a blob held in memory (a small value from the journal), checked against its hash first. */
async function packBytes(pack: Pack, hash: string, payload: Uint8Array, mtime: Date): Promise<number> {
  const actual = createHash('sha256').update(payload).digest('hex');
  if (actual !== hash) {
    throw new BackendError(
      'disk',
      `Cannot export blob ${hash}: its payload hashes to ${actual}, so it is corrupt. Run verify() to remove the corrupt entry, then export again.`,
    );
  }
  const entry = fileEntry(`blobs/${hash}`, payload.length, mtime);
  pack.add(entry);
  if (!entry.write(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)))
    await once(entry, 'drain');
  entry.end();
  return payload.length;
}

async function packBlob(
  pack: Pack,
  hash: string,
  path: string,
  headerBytes: number,
  mtime: Date,
  signal: AbortSignal,
): Promise<number> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (error) {
    throw backendFailure('disk', `Cannot export blob ${hash}`, error);
  }
  try {
    // Size and bytes come from the one open descriptor: a blob replaced or removed meanwhile is still read whole.
    const { size } = await handle.stat();
    const payloadBytes = size - headerBytes;
    if (payloadBytes < 0) {
      throw new BackendError(
        'disk',
        `Cannot export blob ${hash}: ${quote(path)} is ${size} bytes, shorter than its ${headerBytes}-byte header. Run verify() to remove the corrupt entry, then export again.`,
      );
    }
    const entry = fileEntry(`blobs/${hash}`, payloadBytes, mtime);
    pack.add(entry);
    const hasher = createHash('sha256');
    if (payloadBytes > 0) {
      const input = handle.createReadStream({ start: headerBytes, end: size - 1, autoClose: false, signal });
      for await (const chunk of input as AsyncIterable<Buffer>) {
        hasher.update(chunk);
        if (!entry.write(chunk)) await once(entry, 'drain', { signal });
      }
    }
    const actual = hasher.digest('hex');
    if (actual !== hash) {
      throw new BackendError(
        'disk',
        `Cannot export blob ${hash}: its payload in ${quote(path)} hashes to ${actual}, so it is corrupt. Run verify() to remove the corrupt entry, then export again.`,
      );
    }
    entry.end();
    return payloadBytes;
  } finally {
    await handle.close();
  }
}

/** Refuses to replace anything but a regular file: a rename onto a device, a FIFO or a link would replace it, not write to it. */
async function assertReplaceable(file: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fsp.lstat(file);
  } catch {
    // Absent (the usual case), or unreachable: opening the temp file beside it reports that.
    return;
  }
  if (stats.isFile()) return;
  throw new ConfigError(
    `Cannot export to ${quote(file)}: it is ${kindOf(stats)}, and export() replaces only a regular file. Give the path of a new file, or of an archive to replace.`,
  );
}

function kindOf(stats: fs.Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}
