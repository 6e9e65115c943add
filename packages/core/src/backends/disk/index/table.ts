/**
 * The in-memory tables of DiskCache's index, in typed-array columns: ≈90 bytes per entry, so a
 * million entries fit in ≈100 MB, where JS objects and string keys would take three times that.
 *
 * Rows are found by a 64-bit fingerprint: a hash of an entry's key, or the first 16 hex digits of
 * a blob's sha256. The journal record an entry row points to holds the full key and blob hash; a
 * lookup checks the full key there, so two keys that share a fingerprint (about one chance in
 * 10^7 among a million keys) can make each other a miss, never a wrong value.
 */

import { BLOB_RECORD_OVERHEAD } from './journal.ts';

const EMPTY = -1;

/** Open addressing with linear probing over slots whose columns a subclass adds. */
export abstract class PrintTable {
  hi = new Uint32Array(0);
  lo = new Uint32Array(0);
  /** Rows in use. */
  live = 0;
  #buckets = new Int32Array(16).fill(EMPTY);
  #mask = 15;
  #free: number[] = [];
  #next = 0;

  /** The row of a fingerprint, or -1. */
  find(hi: number, lo: number): number {
    const buckets = this.#buckets;
    for (let b = (hi ^ lo) & this.#mask; ; b = (b + 1) & this.#mask) {
      const slot = buckets[b]!;
      if (slot === EMPTY || (this.hi[slot] === hi && this.lo[slot] === lo)) return slot;
    }
  }

  /** Makes room for `rows` rows, so that inserting that many copies nothing. */
  reserve(rows: number): void {
    if (rows > this.hi.length) this.grow(rows);
    let buckets = this.#buckets.length;
    while (rows * 4 > buckets * 3) buckets *= 2;
    if (buckets > this.#buckets.length) this.#rehash(buckets);
  }

  /** A new row for a fingerprint that has none; its other columns are for the caller to set. */
  insert(hi: number, lo: number): number {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#next++;
      if (slot >= this.hi.length) this.grow(Math.max(1024, Math.ceil(this.hi.length * 1.5)));
    }
    this.hi[slot] = hi;
    this.lo[slot] = lo;
    this.live++;
    if (this.live * 4 > this.#buckets.length * 3) this.#rehash(this.#buckets.length * 2);
    this.#place(slot);
    return slot;
  }

  /** Frees a row (backward-shift deletion: no tombstones in the buckets). */
  remove(slot: number): void {
    const buckets = this.#buckets;
    const mask = this.#mask;
    let hole = (this.hi[slot]! ^ this.lo[slot]!) & mask;
    while (buckets[hole] !== slot) hole = (hole + 1) & mask;
    for (let b = (hole + 1) & mask; buckets[b] !== EMPTY; b = (b + 1) & mask) {
      const moved = buckets[b]!;
      const home = (this.hi[moved]! ^ this.lo[moved]!) & mask;
      // `moved` may fill the hole unless its home lies cyclically in (hole, b].
      const between = hole <= b ? home > hole && home <= b : home > hole || home <= b;
      if (!between) {
        buckets[hole] = moved;
        hole = b;
      }
    }
    buckets[hole] = EMPTY;
    this.#free.push(slot);
    this.live--;
    this.freed(slot);
  }

  /** Frees every row, keeping the columns' memory: a new generation of the journal is replayed into it. */
  clear(): void {
    this.#buckets.fill(EMPTY);
    this.#free = [];
    this.#next = 0;
    this.live = 0;
    this.cleared();
  }

  /** Every row in use. */
  *rows(): Generator<number> {
    for (const slot of this.#buckets) if (slot !== EMPTY) yield slot;
  }

  /** Grows every column to `rows` rows. */
  protected grow(rows: number): void {
    this.hi = extend(this.hi, rows);
    this.lo = extend(this.lo, rows);
  }

  /** A row was freed: a subclass clears what must not linger. */
  protected abstract freed(slot: number): void;

  /** Every row was freed: a subclass resets its totals. */
  protected abstract cleared(): void;

  #place(slot: number): void {
    const buckets = this.#buckets;
    let b = (this.hi[slot]! ^ this.lo[slot]!) & this.#mask;
    while (buckets[b] !== EMPTY) b = (b + 1) & this.#mask;
    buckets[b] = slot;
  }

  #rehash(size: number): void {
    const old = this.#buckets;
    this.#buckets = new Int32Array(size).fill(EMPTY);
    this.#mask = size - 1;
    for (const slot of old) if (slot !== EMPTY) this.#place(slot);
  }
}

/** A copy of `column` with `rows` rows (the same rows first). */
export function extend<T extends Uint32Array | Float64Array | Uint8Array>(column: T, rows: number): T {
  const grown = new (column.constructor as new (length: number) => T)(rows);
  grown.set(column);
  return grown;
}

/**
 * Each blob's entries and size, and where a small one's Blob record is in the journal. A blob
 * file is removed when its last entry goes; a Blob record stays until the next compaction leaves
 * it out, so its row stays too (an entry storing the same value meanwhile reuses the record).
 */
export class BlobTable extends PrintTable {
  references = new Uint32Array(0);
  bytes = new Float64Array(0);
  /** Offset of the blob's Blob record in the journal; -1: the blob is a file. */
  at = new Float64Array(0);
  /** Bytes of the blobs with at least one entry. */
  totalBytes = 0;
  /** Bytes of the Blob records of blobs with at least one entry: what a compacted journal needs for them. */
  inlineBytes = 0;

  /** Counts one more entry of a blob. */
  add(hi: number, lo: number, bytes: number): void {
    const slot = this.#rowOf(hi, lo, bytes);
    if (this.references[slot]!++ > 0) return;
    this.totalBytes += this.bytes[slot]!;
    if (this.at[slot]! >= 0) this.inlineBytes += BLOB_RECORD_OVERHEAD + this.bytes[slot]!;
  }

  /** Records where a blob's Blob record is (the first intact one replayed is the one used). */
  place(hi: number, lo: number, offset: number, bytes: number): void {
    const slot = this.#rowOf(hi, lo, bytes);
    if (this.at[slot]! >= 0) return;
    this.at[slot] = offset;
    if (this.references[slot]! > 0) this.inlineBytes += BLOB_RECORD_OVERHEAD + this.bytes[slot]!;
  }

  /** Counts one entry less; a blob file's row goes with its last entry. */
  release(hi: number, lo: number): void {
    const slot = this.find(hi, lo);
    if (slot === EMPTY || --this.references[slot]! > 0) return;
    this.totalBytes -= this.bytes[slot]!;
    if (this.at[slot]! >= 0) this.inlineBytes -= BLOB_RECORD_OVERHEAD + this.bytes[slot]!;
    else this.remove(slot);
  }

  referencesOf(hi: number, lo: number): number {
    const slot = this.find(hi, lo);
    return slot === EMPTY ? 0 : this.references[slot]!;
  }

  /** Where a blob's Blob record is in the journal, or -1 (a blob file, or unknown). */
  recordOf(hi: number, lo: number): number {
    const slot = this.find(hi, lo);
    return slot === EMPTY ? -1 : this.at[slot]!;
  }

  protected override grow(rows: number): void {
    super.grow(rows);
    this.references = extend(this.references, rows);
    this.bytes = extend(this.bytes, rows);
    this.at = extend(this.at, rows);
  }

  protected freed(): void {}

  protected cleared(): void {
    this.totalBytes = 0;
    this.inlineBytes = 0;
  }

  #rowOf(hi: number, lo: number, bytes: number): number {
    let slot = this.find(hi, lo);
    if (slot === EMPTY) {
      slot = this.insert(hi, lo);
      this.references[slot] = 0;
      this.bytes[slot] = bytes;
      this.at[slot] = -1;
    }
    return slot;
  }
}

/** The entries: where each one's record is, and the numbers the cache's policies read. */
export class EntryTable extends PrintTable {
  blobHi = new Uint32Array(0);
  blobLo = new Uint32Array(0);
  /** Offset of the entry's Put record in the journal. */
  offset = new Float64Array(0);
  bytes = new Float64Array(0);
  created = new Float64Array(0);
  access = new Float64Array(0);
  /** 0: never. */
  expires = new Float64Array(0);
  /** The time of the record that last set the row: later records win. */
  time = new Float64Array(0);
  hits = new Uint32Array(0);
  node = new Uint32Array(0);
  /** 1: a deleted entry, kept for a while so that an older record replayed later cannot revive it. */
  dead = new Uint8Array(0);
  /** Live (not dead) rows. */
  entries = 0;

  protected override grow(rows: number): void {
    super.grow(rows);
    this.blobHi = extend(this.blobHi, rows);
    this.blobLo = extend(this.blobLo, rows);
    this.offset = extend(this.offset, rows);
    this.bytes = extend(this.bytes, rows);
    this.created = extend(this.created, rows);
    this.access = extend(this.access, rows);
    this.expires = extend(this.expires, rows);
    this.time = extend(this.time, rows);
    this.hits = extend(this.hits, rows);
    this.node = extend(this.node, rows);
    this.dead = extend(this.dead, rows);
  }

  protected freed(slot: number): void {
    this.dead[slot] = 0;
  }

  protected cleared(): void {
    this.entries = 0;
  }

  /** Live rows: entries, not the dead. */
  *entryRows(): Generator<number> {
    for (const slot of this.rows()) if (this.dead[slot] === 0) yield slot;
  }
}

/** Node names ↔ small ids, with each node's entries and bytes. */
export class NodeTotals {
  readonly names: string[] = [];
  readonly entries: number[] = [];
  readonly bytes: number[] = [];
  readonly #ids = new Map<string, number>();

  idOf(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.names.push(name) - 1;
      this.#ids.set(name, id);
      this.entries.push(0);
      this.bytes.push(0);
    }
    return id;
  }

  /** The id of a node seen before, or undefined. */
  find(name: string): number | undefined {
    return this.#ids.get(name);
  }

  add(id: number, entries: number, bytes: number): void {
    this.entries[id]! += entries;
    this.bytes[id]! += bytes;
  }

  /** Every node back to no entries (names and ids stay). */
  clear(): void {
    this.entries.fill(0);
    this.bytes.fill(0);
  }
}
