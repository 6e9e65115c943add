/**
 * The record format of DiskCache's index journal: an append-only file of self-checking records.
 *
 * A record is a 12-byte header and a body:
 *   0..4  magic `MFJ1`     4..8  CRC32 of bytes 8.. to the end of the body     8..12  body length
 *   body: type (u8), time (f64, ms since the epoch: the record's place in last-writer-wins order),
 *   then the fields of its type, below.
 *
 * Every record carries its own checksum, so a reader never acts on damaged bytes: a record that
 * fails its check is skipped and the reader resynchronises on the next magic that starts a valid
 * record. Damage costs the entries whose records it hit (they become misses), never a crash or a
 * wrong value. Records are small (≈200 bytes; a Blob record holds a value of at most a few KiB)
 * and each is written with one `write` to a file opened for appending, so records of concurrent
 * processes do not interleave on a local file system.
 */
import zlib from 'node:zlib';

const MAGIC = 0x314a_464d; // 'MFJ1', little-endian
const MAGIC_BYTES = Buffer.from('MFJ1', 'latin1');
export const RECORD_HEADER_BYTES = 12;
/** Larger lengths are damage: no record comes near (a node signature is the largest). */
const MAX_BODY_BYTES = 1 << 24;

export enum RecordType {
  /** An entry: key → blob, with what management needs. */
  Put = 1,
  /** An entry removed. */
  Delete = 2,
  /** Reads of an entry: last access and hits since the previous touch. */
  Touch = 3,
  /** A node's last signature (JSON). */
  Meta = 4,
  /** Every entry older than the record, or one node's. */
  Clear = 5,
  /** The journal was compacted into generation `next`: read on there. */
  Seal = 6,
  /**
   * Ends the live entries a compaction wrote: entries deleted before its time are simply not
   * there, and a Put older than it (less a margin) for a key not there is a deleted entry's.
   */
  Snapshot = 7,
  /** A small value kept in the journal rather than in a blob file: its sha256, then its bytes. */
  Blob = 8,
}

/** An entry as a Put record holds it. */
export interface PutFields {
  key: string;
  /** The blob: sha256 of the stored bytes, hex. */
  blob: string;
  node: string;
  bytes: number;
  created: number;
  /** 0: never expires. */
  expires: number;
  /** -1: unknown. */
  computeMs: number;
  access: number;
  hits: number;
}

/** Offsets of the fields in a Put body (after type and time). */
const PUT = { keyLength: 9, key: 10 } as const;
const BLOB_BYTES = 32;
/** Bytes a Blob record adds to its value: header, type, time and sha256. */
export const BLOB_RECORD_OVERHEAD = RECORD_HEADER_BYTES + 9 + BLOB_BYTES;

function frame(body: Buffer): Buffer {
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + body.length);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt32LE(body.length, 8);
  body.copy(record, RECORD_HEADER_BYTES);
  record.writeUInt32LE(zlib.crc32(record.subarray(8)), 4);
  return record;
}

function start(type: RecordType, time: number, length: number): Buffer {
  const body = Buffer.allocUnsafe(9 + length);
  body[0] = type;
  body.writeDoubleLE(time, 1);
  return body;
}

export function putRecord(time: number, entry: PutFields): Buffer {
  const node = Buffer.from(entry.node, 'utf8');
  const body = start(RecordType.Put, time, 1 + entry.key.length + BLOB_BYTES + 44 + 2 + node.length);
  let at: number = PUT.keyLength;
  body[at++] = entry.key.length;
  at += body.write(entry.key, at, 'latin1');
  at += body.write(entry.blob, at, 'hex');
  at = body.writeDoubleLE(entry.bytes, at);
  at = body.writeDoubleLE(entry.created, at);
  at = body.writeDoubleLE(entry.expires, at);
  at = body.writeDoubleLE(entry.computeMs, at);
  at = body.writeDoubleLE(entry.access, at);
  at = body.writeUInt32LE(Math.min(entry.hits, 0xffff_ffff), at);
  at = body.writeUInt16LE(node.length, at);
  node.copy(body, at);
  return frame(body);
}

export function blobRecord(time: number, hash: string, payload: Uint8Array): Buffer {
  const body = start(RecordType.Blob, time, BLOB_BYTES + payload.length);
  body.write(hash, 9, 'hex');
  body.set(payload, 9 + BLOB_BYTES);
  return frame(body);
}

export function deleteRecord(time: number, key: string): Buffer {
  const body = start(RecordType.Delete, time, 1 + key.length);
  body[9] = key.length;
  body.write(key, 10, 'latin1');
  return frame(body);
}

export function touchRecord(time: number, key: string, access: number, hits: number): Buffer {
  const body = start(RecordType.Touch, time, 1 + key.length + 12);
  body[9] = key.length;
  const at = 10 + body.write(key, 10, 'latin1');
  body.writeUInt32LE(Math.min(hits, 0xffff_ffff), body.writeDoubleLE(access, at));
  return frame(body);
}

export function metaRecord(time: number, json: string): Buffer {
  const text = Buffer.from(json, 'utf8');
  const body = start(RecordType.Meta, time, text.length);
  text.copy(body, 9);
  return frame(body);
}

export function clearRecord(time: number, node: string | undefined): Buffer {
  const name = Buffer.from(node ?? '', 'utf8');
  const body = start(RecordType.Clear, time, 1 + name.length);
  body[9] = node === undefined ? 0 : 1;
  name.copy(body, 10);
  return frame(body);
}

export function snapshotRecord(time: number): Buffer {
  return frame(start(RecordType.Snapshot, time, 0));
}

export function sealRecord(time: number, next: number): Buffer {
  const body = start(RecordType.Seal, time, 4);
  body.writeUInt32LE(next, 9);
  return frame(body);
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

/** The fields of a body fit inside it: a record from an older or foreign writer cannot read past its end. */
function wellFormed(bytes: Buffer, body: number, end: number): boolean {
  const type = bytes[body]!;
  const keyEnd = body + PUT.key + (bytes[body + PUT.keyLength] ?? 0);
  switch (type) {
    case RecordType.Put:
      return keyEnd + BLOB_BYTES + 46 <= end && keyEnd + BLOB_BYTES + 46 + putNodeLength(bytes, body) === end;
    case RecordType.Delete:
      return keyEnd === end;
    case RecordType.Touch:
      return keyEnd + 12 === end;
    case RecordType.Seal:
      return body + 13 === end;
    case RecordType.Meta:
      return true;
    case RecordType.Snapshot:
      return body + 9 === end;
    case RecordType.Clear:
      return body + 10 <= end;
    case RecordType.Blob:
      return body + 9 + BLOB_BYTES <= end;
    default:
      return false;
  }
}

/** Where the next record may start after damage at `at`: the next magic, or the end of the bytes. */
export function resync(bytes: Buffer, at: number, length: number): number {
  const next = bytes.subarray(0, length).indexOf(MAGIC_BYTES, at + 1);
  return next < 0 ? Math.max(at + 1, length - 3) : next;
}

export const recordType = (bytes: Buffer, body: number): RecordType => bytes[body] as RecordType;
export const recordTime = (bytes: Buffer, body: number): number => bytes.readDoubleLE(body + 1);

/** The key of a Put, Delete or Touch record. */
export function recordKey(bytes: Buffer, body: number): string {
  const start = body + PUT.key;
  return bytes.toString('latin1', start, start + bytes[body + PUT.keyLength]!);
}

/** The fingerprint of the key of a Put, Delete or Touch record: `keyPrint` of its text. */
export function recordKeyPrint(bytes: Buffer, body: number): [number, number] {
  const start = body + PUT.key;
  return printCodes(bytes[body + PUT.keyLength]!, (i) => bytes[start + i]!);
}

/**
 * A 64-bit fingerprint of a key, as two 32-bit words: two multiplicative hashes of every
 * character, each finished with murmur3's mixer. Keys need not be uniform digests (any hex
 * string of 16 to 128 digits is one), so every digit counts.
 */
export function keyPrint(key: string): [number, number] {
  return printCodes(key.length, (i) => key.charCodeAt(i));
}

function printCodes(length: number, code: (i: number) => number): [number, number] {
  let h1 = 0x811c_9dc5 ^ length;
  let h2 = 0x9747_b28c ^ length;
  for (let i = 0; i < length; i++) {
    const c = code(i);
    h1 = Math.imul(h1 ^ c, 0x0100_0193);
    h2 = Math.imul(h2 ^ c, 0x5bd1_e995);
    h2 ^= h2 >>> 15;
  }
  return [mix(h1), mix(h2)];
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The fields of a Put body after its key. */
export function putOffsets(bytes: Buffer, body: number) {
  const blob = body + PUT.key + bytes[body + PUT.keyLength]!;
  const numbers = blob + BLOB_BYTES;
  return {
    blob,
    bytes: numbers,
    created: numbers + 8,
    expires: numbers + 16,
    computeMs: numbers + 24,
    access: numbers + 32,
    hits: numbers + 40,
    node: numbers + 46,
  };
}

function putNodeLength(bytes: Buffer, body: number): number {
  const at = body + PUT.key + bytes[body + PUT.keyLength]! + BLOB_BYTES + 44;
  return at + 2 <= bytes.length ? bytes.readUInt16LE(at) : Number.NaN;
}

/** The fields of a Put record; `node`, when the caller has the name already, saves decoding it again. */
export function decodePut(bytes: Buffer, body: number, end: number, node?: string): PutFields {
  const at = putOffsets(bytes, body);
  return {
    key: recordKey(bytes, body),
    blob: bytes.toString('hex', at.blob, at.blob + BLOB_BYTES),
    node: node ?? bytes.toString('utf8', at.node, end),
    bytes: bytes.readDoubleLE(at.bytes),
    created: bytes.readDoubleLE(at.created),
    expires: bytes.readDoubleLE(at.expires),
    computeMs: bytes.readDoubleLE(at.computeMs),
    access: bytes.readDoubleLE(at.access),
    hits: bytes.readUInt32LE(at.hits),
  };
}

/** The fingerprint of a Put record's blob, as `blobPrint` gives it. */
export function putBlobPrint(bytes: Buffer, body: number): [number, number] {
  const at = body + PUT.key + bytes[body + PUT.keyLength]!;
  return [bytes.readUInt32BE(at), bytes.readUInt32BE(at + 4)];
}

/** Blob: the fingerprint of its sha256 (its first 8 bytes, as `blobPrint` reads its hex). */
export const blobRecordPrint = (bytes: Buffer, body: number): [number, number] => [
  bytes.readUInt32BE(body + 9),
  bytes.readUInt32BE(body + 13),
];

/** Blob: its sha256, hex. */
export const blobRecordHash = (bytes: Buffer, body: number): string =>
  bytes.toString('hex', body + 9, body + 9 + BLOB_BYTES);

/** Blob: its value's bytes (a view). */
export const blobRecordPayload = (bytes: Buffer, body: number, end: number): Buffer =>
  bytes.subarray(body + 9 + BLOB_BYTES, end);

/** A blob's fingerprint: the first 16 hex digits of its sha256 (a digest we computed: uniform). */
export const blobPrint = (hex: string): [number, number] => [
  Number.parseInt(hex.slice(0, 8), 16),
  Number.parseInt(hex.slice(8, 16), 16),
];

/** Touch: access and hits after the key. */
export function touchFields(bytes: Buffer, body: number): { access: number; hits: number } {
  const at = body + PUT.key + bytes[body + PUT.keyLength]!;
  return { access: bytes.readDoubleLE(at), hits: bytes.readUInt32LE(at + 8) };
}

/** Clear: the node it is limited to, if any. */
export function clearNode(bytes: Buffer, body: number, end: number): string | undefined {
  return bytes[body + 9] === 1 ? bytes.toString('utf8', body + 10, end) : undefined;
}

export const metaJson = (bytes: Buffer, body: number, end: number): string =>
  bytes.toString('utf8', body + 9, end);
export const sealNext = (bytes: Buffer, body: number): number => bytes.readUInt32LE(body + 9);

/** A copy of the Put record at `start`, with its access and hits set (a compaction writes entries as they are now). */
export function retouchedPut(
  bytes: Buffer,
  start: number,
  end: number,
  access: number,
  hits: number,
): Buffer {
  const record = Buffer.from(bytes.subarray(start, end));
  const at = putOffsets(record, RECORD_HEADER_BYTES);
  record.writeDoubleLE(access, at.access);
  record.writeUInt32LE(Math.min(hits, 0xffff_ffff), at.hits);
  record.writeUInt32LE(zlib.crc32(record.subarray(8)), 4);
  return record;
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
