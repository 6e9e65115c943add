/**
 * The body of a journal record, by type: where each type's fields lie, the check that they fit
 * inside the body, and reading them. A body starts with its type (u8) and time (f64); every
 * reader takes the body's offset, as `scanRecord` found it.
 */
import { printCodes } from './fingerprints.ts';
import type { PutFields } from './types.ts';

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

/** Offsets of the fields in a Put body (after type and time). */
export const PUT = { keyLength: 9, key: 10 } as const;
export const BLOB_BYTES = 32;

/** The fields of a body fit inside it: a record from an older or foreign writer cannot read past its end. */
export function wellFormed(bytes: Buffer, body: number, end: number): boolean {
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
