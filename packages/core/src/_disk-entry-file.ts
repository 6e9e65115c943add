/**
 * The DiskCache entry file: a fixed header, the node name, then the stored bytes.
 *
 * ```
 * offset  size  field
 *      0     4  magic "MFDB"
 *      4     2  format version (1), little-endian like every number here
 *      6     2  flags (0; reserved)
 *      8    32  sha256 of every byte from offset 40 to the end: the rest of the header and the payload
 *     40     4  header length: offset of the payload (80 + node length)
 *     44     4  node name length in bytes
 *     48     8  payload length (float64: exact up to 2^53)
 *     56     8  createdAt, ms since the epoch (float64)
 *     64     8  expiresAt, ms since the epoch; 0 when the entry does not expire
 *     72     8  computeMs; -1 when unknown
 *     80     n  node name, UTF-8
 *   80+n        payload
 * ```
 *
 * The checksum covers the header fields after it as well as the payload, so a flipped expiry or
 * node name is caught like a flipped payload byte; the magic, version and lengths before and in
 * it are checked against the file size.
 */
import { createHash, hash } from 'node:crypto';

export const FIXED_HEADER_BYTES = 80;
const MAGIC = 0x4244464d; // "MFDB" read as a little-endian uint32
const FORMAT_VERSION = 1;
const CHECKSUMMED_FROM = 40;

/** What the header of an entry file says. */
export interface EntryHeader {
  node: string;
  headerBytes: number;
  payloadBytes: number;
  createdAt: number;
  /** 0 when the entry does not expire. */
  expiresAt: number;
  computeMs: number | undefined;
}

/** The header of a new entry file, checksum included; the payload is written right after it. */
export function encodeHeader(
  payload: Uint8Array,
  node: string,
  createdAt: number,
  expiresAt: number,
  computeMs: number | undefined,
): Buffer {
  const nodeBytes = Buffer.byteLength(node, 'utf8');
  const header = Buffer.allocUnsafe(FIXED_HEADER_BYTES + nodeBytes);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt16LE(FORMAT_VERSION, 4);
  header.writeUInt16LE(0, 6);
  header.writeUInt32LE(header.length, 40);
  header.writeUInt32LE(nodeBytes, 44);
  header.writeDoubleLE(payload.length, 48);
  header.writeDoubleLE(createdAt, 56);
  header.writeDoubleLE(expiresAt, 64);
  header.writeDoubleLE(computeMs ?? -1, 72);
  header.write(node, FIXED_HEADER_BYTES, 'utf8');
  createHash('sha256').update(header.subarray(CHECKSUMMED_FROM)).update(payload).digest().copy(header, 8);
  return header;
}

/**
 * The header, if `head` (the start of a file of `fileBytes` bytes) is one of ours and its
 * lengths agree with the file's size. Does not verify the checksum: `verifyEntry` does.
 */
export function parseHeader(head: Buffer, fileBytes: number): EntryHeader | undefined {
  if (head.length < FIXED_HEADER_BYTES) return undefined;
  if (head.readUInt32LE(0) !== MAGIC || head.readUInt16LE(4) !== FORMAT_VERSION) return undefined;
  const headerBytes = head.readUInt32LE(40);
  const nodeBytes = head.readUInt32LE(44);
  const payloadBytes = head.readDoubleLE(48);
  if (headerBytes !== FIXED_HEADER_BYTES + nodeBytes || headerBytes + payloadBytes !== fileBytes)
    return undefined;
  if (head.length < headerBytes) return undefined;
  const computeMs = head.readDoubleLE(72);
  return {
    node: head.toString('utf8', FIXED_HEADER_BYTES, headerBytes),
    headerBytes,
    payloadBytes,
    createdAt: head.readDoubleLE(56),
    expiresAt: head.readDoubleLE(64),
    computeMs: computeMs < 0 ? undefined : computeMs,
  };
}

/** Bytes of the header, node name included, that `parseHeader` needs, if `head` holds the fixed part. */
export function headerBytesOf(head: Buffer): number {
  return head.length < FIXED_HEADER_BYTES ? FIXED_HEADER_BYTES : FIXED_HEADER_BYTES + head.readUInt32LE(44);
}

/** Whether the entry has expired at `now` (ms since the epoch). */
export function isExpired(header: EntryHeader, now: number): boolean {
  return header.expiresAt !== 0 && header.expiresAt <= now;
}

/** The header of a whole entry file, if it parses and its checksum matches. */
export function verifyEntry(file: Buffer): EntryHeader | undefined {
  const header = parseHeader(file, file.length);
  if (header === undefined) return undefined;
  const checksum = hash('sha256', file.subarray(CHECKSUMMED_FROM), 'buffer');
  return checksum.equals(file.subarray(8, CHECKSUMMED_FROM)) ? header : undefined;
}
