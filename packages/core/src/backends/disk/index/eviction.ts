/**
 * The bounds DiskCache enforces after every write: expired entries go, then entries unused for
 * `maxAge`, then least recently used ones until `maxEntries` and `maxBytes` hold.
 */
import { entryAt } from './entry-reads.ts';
import { expired } from './entry-walks.ts';
import type { JournalFile } from './journal-file.ts';
import type { LruOrder } from './lru.ts';
import type { IndexState } from './state.ts';
import type { IndexLimits } from './types.ts';

/**
 * Removes expired entries, entries unused for `maxAge`, then least recently used ones until the
 * limits hold, through `index.remove` (which catches up on other processes first: the totals
 * are read again after each batch). Returns the blob files that lost their last entry.
 */
export function enforceLimits(
  journal: JournalFile,
  state: IndexState,
  lru: LruOrder,
  limits: IndexLimits,
  now: number,
  index: { remove(keys: readonly string[]): string[] },
): string[] {
  const table = state.entries;
  const stale = new Set(
    state.nextExpiry <= now ? expired(journal, state, now).map((entry) => entry.key) : [],
  );
  if (state.nextExpiry <= now) state.nextExpiry = state.soonestExpiryAfter(now);
  const live = (slot: number) => state.rowOf(table.hi[slot]!, table.lo[slot]!) === slot;
  // Unused for longer than maxAge: the front of the LRU order.
  if (limits.maxAge !== Number.POSITIVE_INFINITY) {
    for (let slot = lru.front(table, live); slot >= 0 && now - table.access[slot]! > limits.maxAge; ) {
      const entry = entryAt(journal, state, slot);
      if (entry) stale.add(entry.key);
      lru.take();
      slot = lru.front(table, live);
    }
  }
  const freed = index.remove([...stale]);
  for (;;) {
    const excessEntries = state.entries.entries - limits.maxEntries;
    const excessBytes = state.blobs.totalBytes - limits.maxBytes;
    if (excessEntries <= 0 && excessBytes <= 0) return freed;
    const victims: string[] = [];
    let bytes = 0;
    while (victims.length < excessEntries || bytes < excessBytes) {
      const slot = lru.front(state.entries, live);
      if (slot < 0) break;
      lru.take();
      const entry = entryAt(journal, state, slot);
      if (!entry) continue;
      victims.push(entry.key);
      bytes += entry.bytes;
    }
    if (victims.length === 0) return freed;
    freed.push(...index.remove(victims));
  }
}
