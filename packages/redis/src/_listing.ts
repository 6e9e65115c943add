/**
 * Listing a RedisCache's entries for management (entries, info, prune, clear by node). Each
 * entry has two keys: `<prefix>v:<key>` holds the value and `<prefix>i:<key>` a small JSON record
 * of its node, size and times, so a listing never reads a value. Last access times are in the
 * sorted set `<prefix>a` (member: key, score: ms), which hits update in batches.
 */
import type { EntryRecord } from '@memoflow/core/backend-kit';

/**
 * What management needs of the client: node-redis v5 commands (auto-pipelined within one tick),
 * each answered within a deadline or rejected with a BackendError (see _management.ts).
 */
export interface ListingClient {
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string; keys: string[] }>;
  zScan(
    key: string,
    cursor: string,
    options: { COUNT: number },
  ): Promise<{ cursor: string; members: { value: string }[] }>;
  mGet(keys: string[]): Promise<(string | null)[]>;
  zmScore(key: string, members: string[]): Promise<(number | null)[]>;
  zRem(key: string, members: string[]): Promise<number>;
  pTTL(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  unlink(keys: string | string[]): Promise<number>;
}

/** The JSON record beside each value. */
export interface InfoRecord {
  node: string;
  bytes: number;
  createdAt: number;
  computeMs?: number;
}

/** Keys scanned per batch. */
const BATCH = 500;

/** A glob that matches `prefix` literally, then `rest`. */
export const matchOf = (prefix: string, rest: string): string =>
  `${prefix.replace(/[*?[\]\\]/g, '\\$&')}${rest}`;

/** Every key matching `match`, a batch at a time (SCAN: keys added or removed meanwhile may or may not be seen). */
export async function* scanKeys(
  client: Pick<ListingClient, 'scan'>,
  match: string,
  count: number,
): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const reply = await client.scan(cursor, { MATCH: match, COUNT: count });
    cursor = String(reply.cursor);
    if (reply.keys.length > 0) yield reply.keys.map(String);
  } while (cursor !== '0');
}

/** A stored info record, if it is one (anything else in the key space is skipped, never trusted). */
export function parseInfo(text: string | null): InfoRecord | undefined {
  if (text === null) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const record = parsed as Partial<InfoRecord> | null;
  if (
    typeof record?.node !== 'string' ||
    !Number.isFinite(record.bytes) ||
    !Number.isFinite(record.createdAt) ||
    (record.computeMs !== undefined && !Number.isFinite(record.computeMs))
  ) {
    return undefined;
  }
  return record as InfoRecord;
}

/**
 * Every entry under `prefix`, a batch at a time. A record whose value is gone (expired, or
 * evicted by the server's own memory policy) is skipped, and removed unless `readOnly`.
 */
export async function* listEntries(
  client: ListingClient,
  prefix: string,
  readOnly: boolean,
): AsyncGenerator<EntryRecord[]> {
  const infoPrefix = `${prefix}i:`;
  const accessKey = `${prefix}a`;
  for await (const infoKeys of scanKeys(client, matchOf(prefix, 'i:*'), BATCH)) {
    const keys = infoKeys.map((infoKey) => infoKey.slice(infoPrefix.length));
    // One round trip: the client pipelines commands issued in the same tick.
    const [texts, accesses, ttls] = await Promise.all([
      client.mGet(infoKeys),
      client.zmScore(accessKey, keys),
      Promise.all(keys.map((key) => client.pTTL(`${prefix}v:${key}`))),
    ]);
    const now = Date.now();
    const records: EntryRecord[] = [];
    const stale: string[] = [];
    keys.forEach((key, i) => {
      const info = parseInfo(texts[i] ?? null);
      const ttl = ttls[i]!;
      if (ttl === -2 || !info) {
        stale.push(key);
        return;
      }
      const record: EntryRecord = {
        key,
        node: info.node,
        bytes: info.bytes,
        createdAt: info.createdAt,
        lastAccess: Math.max(info.createdAt, Number(accesses[i] ?? 0)),
        hits: 0,
      };
      if (ttl > 0) record.expiresAt = now + ttl;
      if (info.computeMs !== undefined && info.computeMs >= 0) record.computeMs = info.computeMs;
      records.push(record);
    });
    if (stale.length > 0 && !readOnly) {
      await Promise.all([
        client.unlink(stale.map((key) => `${infoPrefix}${key}`)),
        client.zRem(accessKey, stale),
      ]);
    }
    if (records.length > 0) yield records;
  }
}

/**
 * Removes the access times of entries whose record is gone: removed by another process, expired,
 * or hit by a process whose times were written after the entry was removed. Without this the
 * set would keep every key ever read. Returns how many it removed.
 */
export async function sweepAccesses(client: ListingClient, prefix: string): Promise<number> {
  const accessKey = `${prefix}a`;
  let removed = 0;
  let cursor = '0';
  do {
    const reply = await client.zScan(accessKey, cursor, { COUNT: BATCH });
    cursor = String(reply.cursor);
    const keys = reply.members.map((member) => String(member.value));
    const exists = await Promise.all(keys.map((key) => client.exists(`${prefix}i:${key}`)));
    const gone = keys.filter((_, i) => exists[i] === 0);
    if (gone.length > 0) removed += await client.zRem(accessKey, gone);
  } while (cursor !== '0');
  return removed;
}
