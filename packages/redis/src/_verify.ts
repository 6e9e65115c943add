/** RedisCache's `verify()`: every entry read and checked, and values without their record found. */
import type { EntryRecord, VerifyReport } from '@memoflow/core/backend-kit';
import { emptyVerifyReport, isClean } from '@memoflow/core/backend-kit';
import { checkedPayload } from './_envelope.ts';
import { listEntries, matchOf, scanKeys } from './_listing.ts';
import type { ManagementClient } from './_management.ts';

/** Keys scanned per batch for values without a record. */
const BATCH = 1_000;
/** Values read per MGET at most, by their recorded size: a listing batch of large values is read in parts. */
const READ_BYTES = 64 * 1024 * 1024;

export interface VerifiedStore {
  client: ManagementClient;
  prefix: string;
  signingKey: Uint8Array | undefined;
  /** Report only: remove nothing. */
  readOnly: boolean;
  /** Removes entries: values, records and access times. */
  remove(keys: readonly string[]): Promise<void>;
  /** Removes raw keys. */
  unlink(keys: readonly string[]): Promise<void>;
}

/**
 * Reads every entry and checks its CRC32 (and signature, with a signing key): damaged or
 * missing ones are removed and reported, and so are values without their record (`orphans`,
 * left by a writer that died between its two keys).
 */
export async function verifyEntries(store: VerifiedStore): Promise<VerifyReport> {
  const { client, prefix, signingKey } = store;
  const report = emptyVerifyReport();
  for await (const batch of listEntries(client, prefix, store.readOnly)) {
    for (const part of bySize(batch)) {
      const bytes = part.reduce((sum, record) => sum + record.bytes, 0);
      const stored = await client.mGetBytes(
        part.map((record) => `${prefix}v:${record.key}`),
        bytes,
      );
      part.forEach((record, i) => {
        report.checked++;
        report.blobs++;
        const value = stored[i];
        if (!value) report.missing.push(record.key);
        else if (typeof checkedPayload(record.key, value, signingKey) === 'number')
          report.corrupt.push(record.key);
      });
    }
  }
  const orphans: string[] = [];
  const valuePrefix = `${prefix}v:`;
  for await (const keys of scanKeys(client, matchOf(prefix, 'v:*'), BATCH)) {
    const exists = await Promise.all(
      keys.map((key) => client.exists(`${prefix}i:${key.slice(valuePrefix.length)}`)),
    );
    orphans.push(...keys.filter((_, i) => exists[i] === 0));
  }
  report.orphans = orphans.length;
  if (!store.readOnly)
    await Promise.all([store.remove([...report.corrupt, ...report.missing]), store.unlink(orphans)]);
  report.ok = isClean(report);
  return report;
}

/** `records` in runs of at most READ_BYTES (a larger record alone). */
function* bySize(records: readonly EntryRecord[]): Generator<EntryRecord[]> {
  let part: EntryRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    if (part.length > 0 && bytes + record.bytes > READ_BYTES) {
      yield part;
      part = [];
      bytes = 0;
    }
    part.push(record);
    bytes += record.bytes;
  }
  if (part.length > 0) yield part;
}
