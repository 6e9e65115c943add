/**
 * Blob files of DiskCache: one per distinct stored value, named by the sha256 of its bytes, so
 * a value produced under many signatures is stored once.
 *
 * A blob file is a 56-byte header and the payload:
 *   0..4   magic `MFB2`            4..6   format version (1)      6..8  flags (0)
 *   8..12  CRC32 of the payload    12..16 reserved (0)            16..24 payload length (f64)
 *   24..56 the payload's sha256 (the file's name, as bytes)
 *
 * Every read checks the magic, that the sha256 in the header is the one asked for (a file
 * swapped for another intact blob is not its value), the length and the CRC32. CRC32 runs at
 * memory speed (≈10 ms for 64 MiB, against ≈34 ms for sha256), so checking never dominates a
 * hit; `verify()` does the full audit, re-hashing each payload against its sha256.
 */
import fs from 'node:fs';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';
import { openRegular, readAll, removeAny, tempPathIn, withDirectory, writeNewFile } from './fs.ts';

export const BLOB_HEADER_BYTES = 56;
const MAGIC = 0x3242_464d; // 'MFB2', little-endian
const FORMAT_VERSION = 1;

/** Where a blob lives: `<blobs>/<first two hex chars>/<sha256>`. */
export function blobPath(blobs: string, hash: string): string {
  return join(blobs, hash.slice(0, 2), hash);
}

/** The header of a blob file whose payload has `length` bytes and CRC32 `crc` (an import writes the payload first, streamed). */
export function blobHeader(hash: string, length: number, crc: number): Buffer {
  const head = Buffer.alloc(BLOB_HEADER_BYTES);
  head.writeUInt32LE(MAGIC, 0);
  head.writeUInt16LE(FORMAT_VERSION, 4);
  head.writeUInt32LE(crc, 8);
  head.writeDoubleLE(length, 16);
  head.write(hash, 24, 'hex');
  return head;
}

/**
 * Writes a blob unless it is already there. The file is written under `temp` and renamed into
 * place: rename within one filesystem is atomic, so a reader (in any process) sees no file or
 * the whole file, never a part, and a process killed mid-write leaves only a temp file.
 */
export function writeBlob(blobs: string, temp: string, hash: string, payload: Uint8Array): void {
  const path = blobPath(blobs, hash);
  if (fs.existsSync(path)) return;
  const tempPath = tempPathIn(temp);
  const head = blobHeader(hash, payload.length, zlib.crc32(payload));
  withDirectory(temp, () => writeNewFile(tempPath, [head, payload]));
  try {
    withDirectory(join(blobs, hash.slice(0, 2)), () => fs.renameSync(tempPath, path));
  } catch (error) {
    fs.rmSync(tempPath, { force: true });
    throw error;
  }
}

/** What reading a blob found: its payload, a file that fails its checks, or no file (undefined). */
export type BlobRead = { payload: Uint8Array } | { corrupt: true } | undefined;

/** From this size a blob is read in chunks by the thread pool while the main thread checks the previous one. */
const OVERLAPPED_READ_BYTES = 8 << 20;
const READ_CHUNK_BYTES = 4 << 20;

/**
 * The payload of a blob, or undefined when the file is absent or fails its checks. Synchronous
 * for small blobs: one read costs ≈4 µs where `fs.promises.readFile` takes ≈190 µs in
 * thread-pool round trips. A large blob (8 MiB and more) comes back as a promise: its chunks are
 * read by the thread pool while the main thread computes the CRC32 of the chunk before, so
 * checking costs little more than reading (a 64 MiB CRC32 alone is 10–28 ms on this machine).
 * Anything at the blob's path that is not a regular file (a directory, a FIFO, a link) fails
 * the checks: it is damage, never followed, never waited on.
 */
export function readBlob(blobs: string, hash: string): BlobRead | Promise<BlobRead> {
  return readBlobFile(blobPath(blobs, hash), hash);
}

/** `readBlob` of the file at `path`, which should hold blob `hash`. */
export function readBlobFile(path: string, hash: string): BlobRead | Promise<BlobRead> {
  const opened = openRegular(path);
  if (opened === 'absent') return undefined;
  if (opened === 'not a file') return { corrupt: true };
  const { fd, size } = opened;
  if (size >= OVERLAPPED_READ_BYTES) return readOverlapped(fd, size, hash).finally(() => fs.closeSync(fd));
  try {
    const payload = checkedPayload(readAll(fd, size), hash);
    return payload ? { payload } : { corrupt: true };
  } finally {
    fs.closeSync(fd);
  }
}

async function readOverlapped(fd: number, size: number, hash: string): Promise<BlobRead> {
  const file = Buffer.allocUnsafe(size);
  const readAt = (offset: number) =>
    new Promise<number>((resolve, reject) =>
      fs.read(fd, file, offset, Math.min(READ_CHUNK_BYTES, size - offset), offset, (error, read) =>
        error ? reject(error) : resolve(read),
      ),
    );
  // The header is read first; each chunk's CRC32 is computed while the next one is being read.
  let offset = BLOB_HEADER_BYTES;
  if (fs.readSync(fd, file, 0, BLOB_HEADER_BYTES, 0) !== BLOB_HEADER_BYTES) return { corrupt: true };
  let crc = 0;
  let pending = readAt(offset);
  while (offset < size) {
    const read = await pending;
    if (read === 0) return { corrupt: true };
    const chunk = file.subarray(offset, offset + read);
    offset += read;
    if (offset < size) pending = readAt(offset);
    crc = zlib.crc32(chunk, crc);
  }
  const payload = checkedPayload(file, hash, crc);
  return payload ? { payload } : { corrupt: true };
}

/**
 * The payload of a blob file's bytes, if its header is ours, names `hash`, and its length and
 * CRC32 hold. `crc`: the payload's CRC32, when the caller computed it while reading.
 */
function checkedPayload(file: Buffer, hash: string, crc?: number): Uint8Array | undefined {
  if (
    file.length < BLOB_HEADER_BYTES ||
    file.readUInt32LE(0) !== MAGIC ||
    file.readUInt16LE(4) !== FORMAT_VERSION
  ) {
    return undefined;
  }
  // A file swapped for another intact blob passes its own CRC; the name in the header gives it away.
  if (file.toString('hex', 24, 56) !== hash) return undefined;
  const payload = file.subarray(BLOB_HEADER_BYTES);
  if (payload.length !== file.readDoubleLE(16)) return undefined;
  return (crc ?? zlib.crc32(payload)) === file.readUInt32LE(8) ? payload : undefined;
}

/** Removes a blob's file, or whatever damage is at its path (a directory, a FIFO, a link: never followed). */
export function removeBlob(blobs: string, hash: string): void {
  try {
    removeAny(blobPath(blobs, hash));
  } catch {
    // Cannot be removed (a read-only file system): it stays a miss.
  }
}

/**
 * The blob a file holds whole, if it is a regular file whose header is a blob's and whose size
 * is the header's length (its CRC32 is checked when it is read, like any blob's).
 */
export function blobIn(path: string): string | undefined {
  const opened = openRegular(path);
  if (typeof opened === 'string') return undefined;
  try {
    const head = readAll(opened.fd, BLOB_HEADER_BYTES);
    if (head.length < BLOB_HEADER_BYTES || head.readUInt32LE(0) !== MAGIC) return undefined;
    if (opened.size !== BLOB_HEADER_BYTES + head.readDoubleLE(16)) return undefined;
    return head.toString('hex', 24, 56);
  } finally {
    fs.closeSync(opened.fd);
  }
}

/**
 * Links a file in `temp` back into its place if it holds a blob some entry still references: a
 * blob a release parked and did not put back (its process died, or is stalled). Returns whether
 * it did; the temp file's name can go then.
 */
export function putBackParked(blobs: string, file: string, references: (blob: string) => number): boolean {
  const blob = blobIn(file);
  if (blob === undefined || references(blob) === 0) return false;
  const path = blobPath(blobs, blob);
  try {
    withDirectory(dirname(path), () => fs.linkSync(file, path));
  } catch {
    // There already (put back by its release, or written again), or no hard links here.
    return fs.existsSync(path);
  }
  return true;
}

/** What releasing needs of the index: to read what other processes appended, and count references. */
interface References {
  sync(): void;
  references(blob: string): number;
}

/** Above this many blobs, files are renamed and removed 32 at a time through the thread pool. */
const PARALLEL_RELEASE = 64;

/**
 * Removes the files of blobs whose last entry went; resolves to how many it removed. Each file
 * is first renamed away, then the index is read again: a blob another process recorded
 * meanwhile is put back. A writer that records a blob after that finds the file gone and writes
 * it again. Many blobs (a prune) go in parallel: on a cold cache each removal waits on the disk.
 */
export async function releaseBlobs(
  blobs: string,
  temp: string,
  index: References,
  hashes: readonly string[],
): Promise<number> {
  if (hashes.length === 0) return 0;
  fs.mkdirSync(temp, { recursive: true });
  const parallel = hashes.length > PARALLEL_RELEASE;
  const move = (from: string, to: string) =>
    parallel ? fs.promises.rename(from, to) : fs.renameSync(from, to);
  const parked: [hash: string, trash: string][] = [];
  await forEach(hashes, parallel, async (hash) => {
    const trash = tempPathIn(temp);
    try {
      await move(blobPath(blobs, hash), trash);
      parked.push([hash, trash]);
    } catch {
      // Gone already: another process released it, or a clear() took the directory.
    }
  });
  index.sync();
  let removed = 0;
  await forEach(parked, parallel, async ([hash, trash]) => {
    if (index.references(hash) > 0) {
      // Taken up meanwhile: put it back (if a writer has written it again already, the parked copy goes).
      try {
        withDirectory(dirname(blobPath(blobs, hash)), () => fs.renameSync(trash, blobPath(blobs, hash)));
        return;
      } catch {}
    } else removed++;
    try {
      await (parallel ? fs.promises.unlink(trash) : fs.unlinkSync(trash));
    } catch {
      // Not a file (a directory where a blob was expected): removed whole, or left to the sweep of stale temp files.
      try {
        removeAny(trash);
      } catch {}
    }
  });
  return removed;
}

/** Runs `each` over `items`: one after another, or 32 at a time. */
async function forEach<T>(
  items: readonly T[],
  parallel: boolean,
  each: (item: T) => Promise<void>,
): Promise<void> {
  if (!parallel) {
    for (const item of items) await each(item);
    return;
  }
  let next = 0;
  const worker = async () => {
    while (next < items.length) await each(items[next++]!);
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}
