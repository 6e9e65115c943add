/**
 * Reading from a Keyv without trusting what it holds. Reads go to the Keyv's store and through the
 * Keyv's own deserializer (and compression), one value at a time, rather than through `keyv.get`
 * and `keyv.iterator`: those throw on the first value their deserializer rejects (the iterator
 * then ends for every value after it), and they swallow or rethrow a store's failure depending on
 * `throwOnErrors`, so damage and an unreachable store could not be told apart.
 */
import { withoutCredentials } from '@memoflow/core/backend-kit';
import type { Keyv } from 'keyv';

/** One stored record as read: absent, expired by Keyv's own clock, undecodable, or the value we stored. */
export type RawRead =
  | { state: 'absent' }
  | { state: 'expired' }
  | { state: 'damaged' }
  | { state: 'value'; value: unknown };

const ABSENT: RawRead = { state: 'absent' };
const EXPIRED: RawRead = { state: 'expired' };
const DAMAGED: RawRead = { state: 'damaged' };

/** Whether `value` can be used as a Keyv 5 instance: what KeyvCache calls on it. */
export function isKeyv(value: unknown): value is Keyv {
  const keyv = value as Keyv | null | undefined;
  return (
    typeof keyv === 'object' &&
    keyv !== null &&
    typeof keyv.set === 'function' &&
    typeof keyv.setMany === 'function' &&
    typeof keyv.delete === 'function' &&
    typeof keyv.deleteMany === 'function' &&
    typeof keyv.deserializeData === 'function' &&
    typeof keyv._getKeyPrefix === 'function' &&
    typeof keyv.store?.get === 'function'
  );
}

/** The key the store holds for one of our record keys (Keyv's namespace prefix, when it adds one). */
export const storedKey = (keyv: Keyv, key: string): string => keyv._getKeyPrefix(key);

/**
 * Reads records by their keys in one store call when the store has `getMany` (Redis: one MGET).
 * A store failure rejects; a value that does not decode is `damaged`.
 */
export async function readRecords(keyv: Keyv, keys: readonly string[]): Promise<RawRead[]> {
  const store = keyv.store;
  const stored = keys.map((key) => storedKey(keyv, key));
  const raws: unknown[] =
    typeof store.getMany === 'function' && !(store instanceof Map)
      ? await store.getMany(stored)
      : await Promise.all(stored.map((key) => store.get(key)));
  const now = Date.now();
  return Promise.all(keys.map((_, i) => unwrap(keyv, raws[i], now)));
}

/** Keys per store call when removing many. */
const DELETE_BATCH = 1_000;

/** Removes records by key, a batch per store call (Redis: one MULTI of UNLINKs). A store failure rejects. */
export async function deleteRecords(keyv: Keyv, keys: readonly string[]): Promise<void> {
  const store = keyv.store;
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    // Keyv's own deleteMany prefixes keys unlike set() does for a key that starts with the namespace.
    const batch = keys.slice(i, i + DELETE_BATCH).map((key) => storedKey(keyv, key));
    if (typeof store.deleteMany === 'function' && !(store instanceof Map)) await store.deleteMany(batch);
    else await Promise.all(batch.map((key) => store.delete(key)));
  }
}

/** Decodes one raw stored value as `keyv.get` would, but answers `damaged` instead of throwing. */
export async function unwrap(keyv: Keyv, raw: unknown, now: number): Promise<RawRead> {
  if (raw === undefined || raw === null) return ABSENT;
  let data: unknown;
  try {
    data = typeof raw === 'string' || keyv.compression ? await keyv.deserializeData(raw as string) : raw;
  } catch {
    return DAMAGED;
  }
  if (typeof data !== 'object' || data === null) return DAMAGED;
  const { value, expires } = data as { value?: unknown; expires?: unknown };
  if (typeof expires === 'number' && now > expires) return EXPIRED;
  return { state: 'value', value };
}

/** Whether the Keyv can list its namespace: Keyv itself decided, when it set up `keyv.iterator`. */
export const canIterate = (keyv: Keyv): boolean => typeof keyv.iterator === 'function';

/**
 * Every `[stored key, raw value]` the Keyv's store lists for the Keyv's namespace: the same source
 * `keyv.iterator` reads (the store's `iterator(namespace)`, or the Map itself), undecoded.
 */
export async function* listStore(keyv: Keyv): AsyncGenerator<[string, unknown]> {
  const store = keyv.store;
  if (store instanceof Map) {
    yield* [...store.entries()] as [string, unknown][];
    return;
  }
  for await (const pair of store.iterator(store.namespace) as AsyncIterable<[unknown, unknown]>) {
    if (typeof pair[0] === 'string') yield [pair[0], pair[1]];
  }
}

/** Where the store's data lives, when it says (its URL, without credentials). */
export function locationOf(keyv: Keyv): string | undefined {
  const url: unknown = keyv.store?.opts?.url ?? keyv.store?.opts?.uri;
  return typeof url === 'string' ? withoutCredentials(url) : undefined;
}
