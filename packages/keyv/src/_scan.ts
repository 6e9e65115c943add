/** One walk over the cache's records in a Keyv namespace: what `entries()`, `info()`, `prune()`, `clear()` and `verify()` read. */
import type { EntryRecord } from '@memoflow/core/backend-kit';
import type { Keyv } from 'keyv';
import { listStore, storedKey, unwrap } from './_keyv-io.ts';
import {
  type AccessRecord,
  accessKey,
  decodeAccess,
  decodePayload,
  type EntryHeader,
  isMetaRecord,
  parseRecordKey,
  readEntry,
} from './_records.ts';

/** How much of each record a walk decodes: nothing (`keys`), what listing needs, or the bytes too (`payloads`). */
export type ScanDepth = 'keys' | 'headers' | 'payloads';

export interface Scan {
  /** Whole, live entries by key. */
  entries: Map<string, EntryHeader>;
  /** Keys of entries that did not decode (with `payloads`: or whose bytes did not match their hash). */
  damaged: Set<string>;
  /** Keys of entries past their expiry that the store still listed. */
  expired: Set<string>;
  /** Access records by entry key. */
  access: Map<string, AccessRecord>;
  /** Record keys of access and meta records that did not decode. */
  damagedRecords: Set<string>;
  /** Every record key of this cache the store listed, whole or not. */
  all: Set<string>;
}

/**
 * Walks every record the store lists under the Keyv's namespace. A key is ours only if it is
 * exactly what Keyv stores for one of our record keys: anything else in the namespace is never
 * decoded, counted or removed. A store may list a key twice (Redis SCAN does); the last wins.
 */
export async function scanCache(keyv: Keyv, depth: ScanDepth): Promise<Scan> {
  const scan: Scan = {
    entries: new Map(),
    damaged: new Set(),
    expired: new Set(),
    access: new Map(),
    damagedRecords: new Set(),
    all: new Set(),
  };
  const now = Date.now();
  for await (const [listed, raw] of listStore(keyv)) {
    const record = parseRecordKey(listed);
    if (record === undefined || storedKey(keyv, record.key) !== listed) continue;
    scan.all.add(record.key);
    if (depth === 'keys') continue;
    const read = await unwrap(keyv, raw, now);
    if (read.state === 'absent') continue;
    if (record.kind === 'entry') {
      scan.entries.delete(record.id);
      scan.damaged.delete(record.id);
      scan.expired.delete(record.id);
      const entry = read.state === 'value' ? readEntry(record.id, read.value) : undefined;
      const expiresAt = entry?.header.expiresAt;
      if (read.state === 'expired' || (expiresAt !== undefined && expiresAt <= now))
        scan.expired.add(record.id);
      else if (entry === undefined || (depth === 'payloads' && decodePayload(entry) === undefined))
        scan.damaged.add(record.id);
      else scan.entries.set(record.id, entry.header);
      continue;
    }
    // An access or meta record past Keyv's expiry is gone as far as Keyv is concerned.
    if (read.state === 'expired') continue;
    if (record.kind === 'access') {
      const access = read.state === 'value' ? decodeAccess(read.value) : undefined;
      if (access === undefined) scan.damagedRecords.add(record.key);
      else scan.access.set(record.id, access);
    } else if (read.state !== 'value' || !isMetaRecord(read.value)) {
      scan.damagedRecords.add(record.key);
    }
  }
  return scan;
}

/**
 * The listing of every whole entry, oldest first. An entry's last access is its access record's,
 * when that record was made on this very entry (not on an earlier value under the same key).
 */
export function recordsOf(scan: Scan): EntryRecord[] {
  const records: EntryRecord[] = [];
  for (const [key, header] of scan.entries) {
    const access = scan.access.get(key);
    const reads = access?.createdAt === header.createdAt ? access : undefined;
    records.push({
      key,
      node: header.node,
      bytes: header.bytes,
      createdAt: header.createdAt,
      lastAccess: Math.max(header.createdAt, reads?.lastAccess ?? 0),
      ...(header.expiresAt === undefined ? {} : { expiresAt: header.expiresAt }),
      ...(header.computeMs === undefined ? {} : { computeMs: header.computeMs }),
      hits: reads?.hits ?? 0,
    });
  }
  return records.sort((a, b) => a.createdAt - b.createdAt);
}

/**
 * Record keys of access records with nothing to describe: their entry is gone, or was stored
 * again since (a hit recorded while another client removed or replaced the entry).
 */
export function staleAccess(scan: Scan): string[] {
  const stale: string[] = [];
  for (const [key, access] of scan.access) {
    if (scan.entries.get(key)?.createdAt !== access.createdAt) stale.push(accessKey(key));
  }
  return stale;
}
