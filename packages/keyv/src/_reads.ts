/** What a read of entries found: each key's bytes (a hit) or none, and which records were damaged or expired. */
import type { RawRead } from './_keyv-io.ts';
import { decodePayload, type EntryHeader, readEntry } from './_records.ts';

export interface ServedReads {
  /** Per key, in order: the bytes of a hit, or undefined for a miss. */
  values: (Uint8Array | undefined)[];
  /** Per key, the header of each hit. */
  headers: (EntryHeader | undefined)[];
  /** Keys whose record did not decode, or whose bytes did not match their hash. */
  damaged: string[];
  /** Keys whose record is past its expiry (by Keyv's clock or the header's). */
  expired: string[];
}

/** Judges the records read for `keys` at `now`: hits, and the damaged and expired records to remove. */
export function servedReads(keys: readonly string[], reads: readonly RawRead[], now: number): ServedReads {
  const served: ServedReads = { values: [], headers: [], damaged: [], expired: [] };
  keys.forEach((key, i) => {
    const read = reads[i] ?? { state: 'absent' };
    const entry = read.state === 'value' ? readEntry(key, read.value) : undefined;
    const expiresAt = entry?.header.expiresAt;
    let bytes: Uint8Array | undefined;
    if (read.state === 'expired' || (expiresAt !== undefined && expiresAt <= now)) served.expired.push(key);
    else if (read.state !== 'absent') {
      bytes = entry === undefined ? undefined : decodePayload(entry);
      if (bytes === undefined) served.damaged.push(key);
    }
    served.values.push(bytes);
    served.headers.push(bytes === undefined ? undefined : entry!.header);
  });
  return served;
}
