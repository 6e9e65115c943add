/**
 * Where a KeyvCache's batched reads go: an access record per entry (`memoflow:access:<key>`),
 * so that `prune()` can go least recently used first while a hit costs no write of its own. The
 * batching itself is the kit's `AccessBatch` (every second, every thousand keys, before any
 * listing, on close); this is its write.
 */
import type { NotedAccess, RemovedSince, WriteAccesses } from '@memoflow/core/backend-kit';
import type { Keyv, KeyvEntry } from 'keyv';
import { deleteRecords, readRecords } from './_keyv-io.ts';
import { type AccessRecord, accessKey, decodeAccess, encodeAccess } from './_records.ts';

/**
 * Adds a batch of reads to the stored access records: one read and one write of the store. An
 * entry stored again since its record was written starts its count afresh.
 */
export function accessWriter(keyv: Keyv): WriteAccesses {
  return async (batch: ReadonlyMap<string, NotedAccess>, removed: RemovedSince) => {
    const keys = [...batch.keys()];
    const stored = await readRecords(keyv, keys.map(accessKey));
    const now = Date.now();
    const writes: KeyvEntry[] = [];
    keys.forEach((key, i) => {
      const access = batch.get(key)!;
      // Keyv takes a ttl of 0 as "no expiry"; an access record lasts as long as its entry.
      const ttl = access.expiresAt === undefined ? 0 : Math.ceil(access.expiresAt - now);
      if (removed.has(key) || (access.expiresAt !== undefined && ttl <= 0)) return;
      const read = stored[i];
      const previous = read?.state === 'value' ? decodeAccess(read.value) : undefined;
      const createdAt = access.createdAt ?? 0;
      const same = previous !== undefined && previous.createdAt === createdAt;
      const record: AccessRecord = {
        createdAt,
        lastAccess: Math.max(access.time, same ? previous.lastAccess : 0),
        hits: access.hits + (same ? previous.hits : 0),
      };
      writes.push({ key: accessKey(key), value: encodeAccess(record), ttl });
    });
    if (writes.length > 0) await keyv.setMany(writes);
    // An entry removed while the write was on its way must not keep the access record it made.
    const late = keys.filter((key) => removed.has(key));
    if (late.length > 0) await deleteRecords(keyv, late.map(accessKey));
  };
}
