/**
 * How RedisCache stores an entry's value: a header, then the node name, then the bytes.
 *
 *   0..4   magic `MFR1`        4  flags (bit 0: signed)        5  reserved (0)
 *   6..8   node name length (u16)          8..16  created (f64, ms since the epoch)
 *   16..24 compute time (f64, ms; -1: unknown)                 24..28 CRC32 of the bytes
 *   28..60 HMAC-SHA256 tag, when signed
 *   then the node name (UTF-8), then the bytes.
 *
 * The tag, with a `signingKey`, covers the entry's key and everything after the tag, so an entry
 * written or altered by anyone without the key (through redis-cli, say) is refused on every read.
 * The CRC32 is checked by `verify()`, which finds a value damaged in any other way. Decoding reads fixed
 * fields and slices; nothing in a stored value is ever executed.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import zlib from 'node:zlib';
import { ConfigError } from '@memoflow/core/backend-kit';

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

/** How many bytes `encodeEntry` stores for a value of `payloadBytes` bytes. */
export function storedLength(node: string, payloadBytes: number, signed: boolean): number {
  return HEAD_BYTES + (signed ? TAG_BYTES : 0) + Buffer.byteLength(node, 'utf8') + payloadBytes;
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
 * The bytes of a value stored under `key` (a view), as a read serves them: the header must be
 * ours and, when `signingKey` is given, the tag valid (a value without one is REJECTED, whatever
 * else holds). The CRC32 is left to `checkedPayload`: Redis stores and sends a value whole, so
 * only a writer can change one, and that is what the tag is for.
 */
export function servedPayload(
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
  return stored.subarray(start);
}

/** `servedPayload`, and the CRC32 of the bytes too: what `verify()` checks. */
export function checkedPayload(
  key: string,
  stored: Buffer,
  signingKey: Uint8Array | undefined,
): Buffer | typeof CORRUPT | typeof REJECTED {
  const payload = servedPayload(key, stored, signingKey);
  if (typeof payload === 'number') return payload;
  return zlib.crc32(payload) === stored.readUInt32LE(24) ? payload : CORRUPT;
}

/**
 * The node names in stored values' headers (of values `servedPayload` accepted), each decoded
 * once: a frontier's values name a few nodes, and comparing a name's bytes with the last one
 * read costs less than decoding them into a new string for every value.
 */
export class NodeNames {
  #bytes = Buffer.alloc(0);
  #name = '';

  of(stored: Buffer): string {
    const start = HEAD_BYTES + ((stored[4]! & SIGNED) !== 0 ? TAG_BYTES : 0);
    const length = stored.readUInt16LE(6);
    const last = this.#bytes;
    let same = length === last.length;
    for (let i = 0; same && i < length; i++) same = stored[start + i] === last[i];
    if (!same) {
      this.#bytes = Buffer.from(stored.subarray(start, start + length));
      this.#name = this.#bytes.toString('utf8');
    }
    return this.#name;
  }
}
