/**
 * What a read of entries found: each key's bytes (a hit) or none, and which records were damaged
 * or expired; or only the compute times their headers keep.
 */
import type { RawRead } from './_keyv-io.ts';
import { decodePayload, type EntryHeader, entryKey, readEntry } from './_records.ts';
import type { KeyvRecords } from './_store.ts';

/** Keys per store call when reading many. */
export const READ_BATCH = 1_000;

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

/**
 * The compute time each entry's header keeps, in order: undefined where none was stored or the
 * record is absent, expired or not one of ours. One store call per `READ_BATCH` keys (Redis: one
 * MGET); the records are read whole (a Keyv store has no partial reads) but only their headers
 * decoded. A store failure rejects with a BackendError.
 */
export async function storedComputeTimes(
  records: KeyvRecords,
  keys: readonly string[],
): Promise<(number | undefined)[]> {
  const times: (number | undefined)[] = [];
  for (let i = 0; i < keys.length; i += READ_BATCH) {
    const batch = keys.slice(i, i + READ_BATCH);
    const reads = await records.read(
      batch.map(entryKey),
      `read the compute times of ${batch.length} entries`,
    );
    const now = Date.now();
    batch.forEach((key, j) => {
      const read = reads[j];
      const header = read?.state === 'value' ? readEntry(key, read.value)?.header : undefined;
      const live = header !== undefined && (header.expiresAt === undefined || header.expiresAt > now);
      times.push(live ? header.computeMs : undefined);
    });
  }
  return times;
}
