/**
 * The least recently used order of DiskCache's entries, for eviction: sorted once when a bound
 * is exceeded, then consumed from the front. Rows read, reused or removed since the sort are
 * skipped, and the order is sorted again only when used up: O(log n) per eviction, amortized.
 */
import type { EntryTable } from './table.ts';

/** Live rows from least to most recently used (filled in place: a million rows as a JS array would take 8–16 MB more). */
export function byAccess(table: EntryTable): Uint32Array {
  const slots = new Uint32Array(table.entries);
  let count = 0;
  for (const slot of table.entryRows()) slots[count++] = slot;
  return slots.sort((a, b) => table.access[a]! - table.access[b]!);
}

export class LruOrder {
  #slots: Uint32Array = new Uint32Array(0);
  /** Access times when sorted: a row read since (or reused) no longer matches. */
  #access = new Float64Array(0);
  #next = 0;

  /**
   * The least recently used live row not taken yet, or -1. `isLive` tells whether a row still
   * holds the entry it held (not freed, not dead).
   */
  front(table: EntryTable, isLive: (slot: number) => boolean): number {
    for (let sorted = false; ; ) {
      if (this.#next >= this.#slots.length) {
        if (sorted) return -1;
        this.#sort(table);
        sorted = true;
        if (this.#slots.length === 0) return -1;
      }
      const slot = this.#slots[this.#next]!;
      if (table.access[slot] === this.#access[this.#next] && isLive(slot)) return slot;
      this.#next++;
    }
  }

  /** Takes the front row (it is being evicted). */
  take(): void {
    this.#next++;
  }

  /** Forgets the order, as a new one would (the index moved to a new generation: its rows are all new). */
  reset(): void {
    this.#slots = new Uint32Array(0);
    this.#access = new Float64Array(0);
    this.#next = 0;
  }

  #sort(table: EntryTable): void {
    this.#slots = byAccess(table);
    this.#access = Float64Array.from(this.#slots, (slot) => table.access[slot]!);
    this.#next = 0;
  }
}
