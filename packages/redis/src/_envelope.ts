/**
 * How RedisCache stores an entry's value: a header, then the node name, then the bytes.
 *
 *   0..4   magic `MFR1`        4  flags (bit 0: signed)        5  reserved (0)
 *   6..8   node name length (u16)          8..16  created (f64, ms since the epoch)
 *   16..24 compute time (f64, ms; -1: unknown)                 24..28 CRC32 of the bytes
 *   28..60 HMAC-SHA256 tag, when signed
 *   then the node name (UTF-8), then the bytes.
 *
 * The CRC32 catches a value damaged or cut short anywhere between two processes. The tag, with
 * a `signingKey`, covers the entry's key and everything after the tag, so an entry written or
 * altered by anyone without the key (through redis-cli, say) is refused. Decoding reads fixed
 * fields and slices; nothing in a stored value is ever executed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import zlib from 'node:zlib';

const MAGIC = 0x3152_464d; // 'MFR1', little-endian
const SIGNED = 1;
const HEAD_BYTES = 28;
const TAG_BYTES = 32;
/** A header is at most this long (a node name of at most 1 KiB): what management reads of an entry. */
export const MAX_HEADER_BYTES = HEAD_BYTES + TAG_BYTES + 1024;

/** What an entry says about itself. */
export interface EntryHeader {
  node: string;
  createdAt: number;
  /** -1: unknown. */
  computeMs: number;
  /** Bytes of the value. */
  bytes: number;
}

export type Decoded =
  | { kind: 'value'; header: EntryHeader; payload: Uint8Array }
  | { kind: 'corrupt' }
  /** Not signed, or signed with another key, while this cache requires a signature. */
  | { kind: 'rejected' };

function tagOf(signingKey: Uint8Array, key: string, head: Uint8Array, rest: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', signingKey).update(key, 'latin1').update(head);
  for (const part of rest) hmac.update(part);
  return hmac.digest();
}

/** The stored form of a value: header, node name, bytes (one copy of the bytes). */
export function encodeEntry(
  key: string,
  payload: Uint8Array,
  header: Omit<EntryHeader, 'bytes'>,
  signingKey: Uint8Array | undefined,
): Buffer {
  const node = Buffer.from(header.node, 'utf8');
  if (node.length > MAX_HEADER_BYTES - HEAD_BYTES - TAG_BYTES) {
    throw new RangeError(`node name of ${node.length} bytes: at most 1024 are stored`);
  }
  const tagBytes = signingKey ? TAG_BYTES : 0;
  const out = Buffer.allocUnsafe(HEAD_BYTES + tagBytes + node.length + payload.length);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = signingKey ? SIGNED : 0;
  out[5] = 0;
  out.writeUInt16LE(node.length, 6);
  out.writeDoubleLE(header.createdAt, 8);
  out.writeDoubleLE(header.computeMs, 16);
  out.writeUInt32LE(zlib.crc32(payload), 24);
  node.copy(out, HEAD_BYTES + tagBytes);
  out.set(payload, HEAD_BYTES + tagBytes + node.length);
  if (signingKey) {
    const tag = tagOf(signingKey, key, out.subarray(0, HEAD_BYTES), [out.subarray(HEAD_BYTES + TAG_BYTES)]);
    tag.copy(out, HEAD_BYTES);
  }
  return out;
}

/** The header of a stored value, from its first bytes (at least the whole header); undefined if they are not one. */
export function decodeHeader(bytes: Uint8Array, totalBytes: number): EntryHeader | undefined {
  const view = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.length < HEAD_BYTES || view.readUInt32LE(0) !== MAGIC) return undefined;
  const tagBytes = (view[4]! & SIGNED) !== 0 ? TAG_BYTES : 0;
  const nodeStart = HEAD_BYTES + tagBytes;
  const nodeEnd = nodeStart + view.readUInt16LE(6);
  if (nodeEnd > view.length || nodeEnd > totalBytes) return undefined;
  return {
    node: view.toString('utf8', nodeStart, nodeEnd),
    createdAt: view.readDoubleLE(8),
    computeMs: view.readDoubleLE(16),
    bytes: totalBytes - nodeEnd,
  };
}

/**
 * The value stored under `key`, checked: its CRC32 always, its tag when `signingKey` is given
 * (then an entry without a valid tag is rejected, whatever else holds).
 */
export function decodeEntry(key: string, stored: Buffer, signingKey: Uint8Array | undefined): Decoded {
  const header = decodeHeader(stored, stored.length);
  if (!header) return { kind: 'corrupt' };
  const signed = (stored[4]! & SIGNED) !== 0;
  const payload = stored.subarray(stored.length - header.bytes);
  if (signingKey) {
    if (!signed) return { kind: 'rejected' };
    const expected = tagOf(signingKey, key, stored.subarray(0, HEAD_BYTES), [
      stored.subarray(HEAD_BYTES + TAG_BYTES),
    ]);
    if (!timingSafeEqual(expected, stored.subarray(HEAD_BYTES, HEAD_BYTES + TAG_BYTES)))
      return { kind: 'rejected' };
  }
  if (zlib.crc32(payload) !== stored.readUInt32LE(24)) return { kind: 'corrupt' };
  return { kind: 'value', header, payload };
}
