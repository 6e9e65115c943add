/**
 * The record frame of DiskCache's index journal: an append-only file of self-checking records.
 *
 * A record is a 12-byte header and a body:
 *   0..4  magic `MFJ1`     4..8  CRC32 of bytes 8.. to the end of the body     8..12  body length
 *   body: type (u8), time (f64, ms since the epoch: the record's place in last-writer-wins order),
 *   then the fields of its type (record-fields.ts).
 *
 * Every record carries its own checksum, so a reader never acts on damaged bytes: a record that
 * fails its check is skipped and the reader resynchronises on the next magic that starts a valid
 * record. Damage costs the entries whose records it hit (they become misses), never a crash or a
 * wrong value. Records are small (≈200 bytes; a Blob record holds a value of at most a few KiB)
 * and each is written with one `write` to a file opened for appending, so records of concurrent
 * processes do not interleave on a local file system.
 */
import zlib from 'node:zlib';
import { BLOB_BYTES, wellFormed } from './record-fields.ts';

const MAGIC = 0x314a_464d; // 'MFJ1', little-endian
const MAGIC_BYTES = Buffer.from('MFJ1', 'latin1');
export const RECORD_HEADER_BYTES = 12;
/** Larger lengths are damage: no record comes near (a node signature is the largest). */
const MAX_BODY_BYTES = 1 << 24;

/** Bytes a Blob record adds to its value: header, type, time and sha256. */
export const BLOB_RECORD_OVERHEAD = RECORD_HEADER_BYTES + 9 + BLOB_BYTES;

/** The record of a body: the header (magic, checksum, length) before it. */
export function frame(body: Buffer): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt32LE(body.length, 8);
  body.copy(record, RECORD_HEADER_BYTES);
  record.writeUInt32LE(zlib.crc32(record.subarray(8)), 4);
  return record;
}

/** What a scan found at an offset: a record (its body's bounds), the need for more bytes, or damage. */
type Scanned = { kind: 'record'; body: number; end: number } | { kind: 'partial' } | { kind: 'damaged' };

/** Checks the record that starts at `at` in `bytes` (of which `length` are valid). */
export function scanRecord(bytes: Buffer, at: number, length: number): Scanned {
  if (length - at < RECORD_HEADER_BYTES) return { kind: 'partial' };
  if (bytes.readUInt32LE(at) !== MAGIC) return { kind: 'damaged' };
  const bodyLength = bytes.readUInt32LE(at + 8);
  if (bodyLength < 9 || bodyLength > MAX_BODY_BYTES) return { kind: 'damaged' };
  const end = at + RECORD_HEADER_BYTES + bodyLength;
  if (end > length) return { kind: 'partial' };
  const crc = zlib.crc32(bytes.subarray(at + 8, end));
  if (crc !== bytes.readUInt32LE(at + 4)) return { kind: 'damaged' };
  if (!wellFormed(bytes, at + RECORD_HEADER_BYTES, end)) return { kind: 'damaged' };
  return { kind: 'record', body: at + RECORD_HEADER_BYTES, end };
}

/** Where the next record may start after damage at `at`: the next magic, or the end of the bytes. */
export function resync(bytes: Buffer, at: number, length: number): number {
  const next = bytes.subarray(0, length).indexOf(MAGIC_BYTES, at + 1);
  return next < 0 ? Math.max(at + 1, length - 3) : next;
}

/** Records joined into buffers of about `bytes` each, every buffer of whole records. */
export function* inChunks(records: readonly Buffer[], bytes: number): Generator<Buffer> {
  let start = 0;
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    size += records[i]!.length;
    if (size >= bytes || i === records.length - 1) {
      yield i === start ? records[i]! : Buffer.concat(records.slice(start, i + 1), size);
      start = i + 1;
      size = 0;
    }
  }
}
