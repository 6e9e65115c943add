/**
 * The 64-bit fingerprints that find rows in the index's tables, as two 32-bit words: a key's is
 * a hash of its text, a blob's the first 16 hex digits of its sha256.
 */

/**
 * A 64-bit fingerprint of a key, as two 32-bit words: two multiplicative hashes of every
 * character, each finished with murmur3's mixer. Keys need not be uniform digests (any hex
 * string of 16 to 128 digits is one), so every digit counts.
 */
export function keyPrint(key: string): [number, number] {
  return printCodes(key.length, (i) => key.charCodeAt(i));
}

/** `keyPrint` of the `length` character codes that `code` gives (a key's text, or its bytes in a record). */
export function printCodes(length: number, code: (i: number) => number): [number, number] {
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

/** A blob's fingerprint: the first 16 hex digits of its sha256 (a digest we computed: uniform). */
export const blobPrint = (hex: string): [number, number] => [
  Number.parseInt(hex.slice(0, 8), 16),
  Number.parseInt(hex.slice(8, 16), 16),
];
