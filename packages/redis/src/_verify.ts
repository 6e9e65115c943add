/** RedisCache's `verify()`: every entry read and checked, and values without their record found. */
import { emptyVerifyReport, isClean, type VerifyReport } from '@memoflow/core';
import { checkedPayload } from './_envelope.ts';
import { type ListingClient, listEntries, matchOf } from './_listing.ts';

/** Keys scanned per batch for values without a record. */
const BATCH = 1_000;

export interface VerifiedStore {
  client: ListingClient & { exists(key: string): Promise<number> };
  /** The same client, returning values as bytes. */
  binary: { mGet(keys: string[]): Promise<unknown> };
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
    const stored = (await store.binary.mGet(
      batch.map((record) => `${prefix}v:${record.key}`),
    )) as (Buffer | null)[];
    batch.forEach((record, i) => {
      report.checked++;
      report.blobs++;
      const value = stored[i];
      if (!value) report.missing.push(record.key);
      else if (typeof checkedPayload(record.key, value, signingKey) === 'number')
        report.corrupt.push(record.key);
    });
  }
  const orphans: string[] = [];
  const valuePrefix = `${prefix}v:`;
  for await (const keys of client.scanIterator({ MATCH: matchOf(prefix, 'v:*'), COUNT: BATCH })) {
    if (keys.length === 0) continue;
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
