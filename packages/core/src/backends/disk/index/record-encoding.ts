/**
 * Building the records of DiskCache's index journal, one function per type: each lays out its
 * body (record-fields.ts has the layout) and frames it (journal.ts).
 */
import zlib from 'node:zlib';
import { frame, RECORD_HEADER_BYTES } from './journal.ts';
import { BLOB_BYTES, PUT, putOffsets, RecordType } from './record-fields.ts';
import type { Access, PutFields } from './types.ts';

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

/** The Touch records of reads gathered in memory, all at `time`. */
export function touchRecords(time: number, accesses: ReadonlyMap<string, Access>): Buffer[] {
  return [...accesses].map(([key, { time: access, hits }]) => touchRecord(time, key, access, hits));
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
