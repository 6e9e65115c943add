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
import { ConfigError } from '@memoflow/core';

const MAGIC = 0x3152_464d; // 'MFR1', little-endian
const SIGNED = 1;
const HEAD_BYTES = 28;
const TAG_BYTES = 32;
/** Node names are stored up to this many bytes. */
const MAX_NODE_BYTES = 1024;

/** What an entry's header says about it. */
export interface EntryHeader {
  node: string;
  createdAt: number;
  /** -1: unknown. */
  computeMs: number;
}

function tagOf(signingKey: Uint8Array, key: string, head: Uint8Array, rest: readonly Uint8Array[]): Buffer {
  const hmac = createHmac('sha256', signingKey).update(key, 'latin1').update(head);
  for (const part of rest) hmac.update(part);
  return hmac.digest();
}

/** The stored form of a value: header, node name, bytes (one copy of the bytes). */
export function encodeEntry(
  key: string,
  payload: Uint8Array,
  header: EntryHeader,
  signingKey: Uint8Array | undefined,
): Buffer {
  const node = Buffer.from(header.node, 'utf8');
  if (node.length > MAX_NODE_BYTES) {
    throw new ConfigError(
      `Node name ${JSON.stringify(header.node.slice(0, 40))}… is ${node.length} bytes; RedisCache stores names of at most ${MAX_NODE_BYTES} bytes: give the node a shorter name.`,
    );
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

/** `checkedPayload` of a value whose bytes fail their checks, or whose header is not ours. */
export const CORRUPT = -1;
/** `checkedPayload` of a value without a valid tag, while this cache requires a signature. */
export const REJECTED = -2;

/**
 * The bytes of a value stored under `key` (a view), once checked: its CRC32 always, its tag
 * when `signingKey` is given (then a value without a valid tag is REJECTED, whatever else holds).
 */
export function checkedPayload(
  key: string,
  stored: Buffer,
  signingKey: Uint8Array | undefined,
): Buffer | typeof CORRUPT | typeof REJECTED {
  if (stored.length < HEAD_BYTES || stored.readUInt32LE(0) !== MAGIC) return CORRUPT;
  const signed = (stored[4]! & SIGNED) !== 0;
  const start = HEAD_BYTES + (signed ? TAG_BYTES : 0) + stored.readUInt16LE(6);
  if (start > stored.length) return CORRUPT;
  if (signingKey) {
    if (!signed) return REJECTED;
    const tagged = [stored.subarray(HEAD_BYTES + TAG_BYTES)];
    const expected = tagOf(signingKey, key, stored.subarray(0, HEAD_BYTES), tagged);
    if (!timingSafeEqual(expected, stored.subarray(HEAD_BYTES, HEAD_BYTES + TAG_BYTES))) return REJECTED;
  }
  const payload = stored.subarray(start);
  return zlib.crc32(payload) === stored.readUInt32LE(24) ? payload : CORRUPT;
}

/** The node name in a stored value's header (of a value `checkedPayload` accepted). */
export function nodeOf(stored: Buffer): string {
  const start = HEAD_BYTES + ((stored[4]! & SIGNED) !== 0 ? TAG_BYTES : 0);
  return stored.toString('utf8', start, start + stored.readUInt16LE(6));
}
