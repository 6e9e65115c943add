/**
 * The index of DiskCache: a journal of self-checking records (journal.ts) that every process
 * appends to and replays into typed-array tables (state.ts). A lookup is a table probe and one
 * read of the entry's record (entry-reads.ts); a write is one append, then the bounds
 * (eviction.ts). Damage to the journal costs the entries whose records it hit, never a crash or
 * a wrong value. docs/architecture.md has the measurements behind the design.
 */

import type { NodeSignature } from '../../contract.ts';
import { compact, compactionDue, finishCompaction } from './compact.ts';
import { entryWithValue, inlineBlob, lookup } from './entry-reads.ts';
import { byCreation, entryRows, expired, leastRecentlyUsed, nodeTotals } from './entry-walks.ts';
import { enforceLimits } from './eviction.ts';
import { blobPrint } from './fingerprints.ts';
import { inChunks } from './journal.ts';
import { JournalFile } from './journal-file.ts';
import { LruOrder } from './lru.ts';
import { RecordClock } from './record-clock.ts';
import {
  blobRecord,
  clearRecord,
  deleteRecord,
  metaRecord,
  putRecord,
  touchRecords,
} from './record-encoding.ts';
import { type IndexState, replayNew, stateSizedFor } from './state.ts';
import type { Access, IndexLimits, InlineRead, NodeTotals, PutFields } from './types.ts';

/** How often a process looks for a compaction another one left half done. */
const NEWER_CHECK_MS = 1_000;
/** Records are appended in writes of about this many bytes, each of whole records. */
const APPEND_CHUNK_BYTES = 1 << 20;

export class DiskIndex {
  /**
   * Writes nothing: records, removals and compactions are skipped (a cache on a read-only file
   * system, or one opened `readOnly`). Set when a write is refused after opening.
   */
  readOnly: boolean;
  readonly #journal: JournalFile;
  readonly #state: IndexState;
  readonly #lru = new LruOrder();
  readonly #clock = new RecordClock();
  #checkedNewer = 0;
  #damageTaken = 0;
  /** A compaction failed (a full disk) at this journal size: the next is tried once the journal grew again. */
  #compactFailedAt = 0;

  /** `readOnly`: opens the journal for reading only; throws ENOENT when there is none. */
  constructor(path: string, readOnly = false) {
    this.readOnly = readOnly;
    this.#journal = new JournalFile(path, readOnly);
    this.#state = stateSizedFor(this.#journal);
    this.sync();
  }

  /** Damaged stretches of the journal skipped since it was opened. */
  get damaged(): number {
    return this.#journal.damaged;
  }

  /** Damaged stretches of the journal skipped since the last call. */
  takeDamage(): number {
    const damaged = this.#journal.damaged - this.#damageTaken;
    this.#damageTaken = this.#journal.damaged;
    return damaged;
  }

  /** Reads what other processes appended since the last call. */
  sync(): void {
    for (;;) {
      replayNew(this.#journal, this.#state, this.#lru);
      const now = Date.now();
      if (this.readOnly || now - this.#checkedNewer < NEWER_CHECK_MS) return;
      this.#checkedNewer = now;
      // A newer generation without a Seal here: its compactor died mid-way, or is about to seal.
      if (!this.#journal.newerExists() || !finishCompaction(this.#journal, this.#time())) return;
    }
  }

  /** The entry of a key, if it is in the index and its record checks out. */
  get(key: string): PutFields | undefined {
    this.sync();
    return lookup(this.#journal, this.#state, key);
  }

  getMeta(node: string): NodeSignature | undefined {
    this.sync();
    return this.#state.meta.get(node)?.signature;
  }

  setMeta(signature: NodeSignature): void {
    this.#append([metaRecord(this.#time(), JSON.stringify(signature))]);
  }

  /** How many entries point to a blob. */
  references(blob: string): number {
    const [hi, lo] = blobPrint(blob);
    return this.#state.blobs.referencesOf(hi, lo);
  }

  /**
   * The value of a blob kept in the journal (a copy the caller owns); `corrupt` when its record
   * no longer checks out; undefined when the blob is not in the journal (it is a file, or gone).
   */
  inlineBlob(blob: string): InlineRead {
    return inlineBlob(this.#journal, this.#state, blob);
  }

  /**
   * A key's entry, with its value when that is a Blob record written just before the entry's Put
   * (in the same append, as a new small value is): one read brings both. Otherwise `value` is
   * undefined and the caller reads the value.
   */
  getWithValue(key: string): { entry: PutFields; value?: InlineRead } | undefined {
    this.sync();
    return entryWithValue(this.#journal, this.#state, key);
  }

  /** Whether a blob is kept in the journal (rather than in a file). */
  isInline(blob: string): boolean {
    return this.#state.blobs.recordOf(...blobPrint(blob)) >= 0;
  }

  /** Unique blob bytes and entries. */
  totals(): { bytes: number; entries: number } {
    return { bytes: this.#state.blobs.totalBytes, entries: this.#state.entries.entries };
  }

  /** Each node's entries and bytes (a Map: a node may be named `__proto__`). */
  nodeTotals(): Map<string, NodeTotals> {
    return nodeTotals(this.#state);
  }

  /** The `limit` newest entries, newest first, or the oldest ones, oldest first. */
  byCreation(newest: boolean, limit: number): PutFields[] {
    return byCreation(this.#journal, this.#state, newest, limit);
  }

  /** Every entry, optionally one node's. */
  rows(node?: string): Generator<PutFields> {
    return entryRows(this.#journal, this.#state, node);
  }

  /** Entries whose ttl ran out by `now`, soonest first. */
  expired(now: number): PutFields[] {
    return expired(this.#journal, this.#state, now);
  }

  /** Entries from least to most recently used; the walk ends if the index moves to a new generation meanwhile. */
  leastRecentlyUsed(): Generator<PutFields> {
    return leastRecentlyUsed(this.#journal, this.#state);
  }

  /** Changes when the index moves to a new generation (its rows are then all new). */
  get epoch(): number {
    return this.#state.epoch;
  }

  /**
   * Records an entry (after the reads gathered since the last write), then enforces the limits.
   * `inline`: the value, to keep in the journal (unless it is there already) rather than in a
   * blob file. Returns the blob files that lost their last entry: the caller removes them.
   */
  put(
    entry: PutFields,
    inline: Uint8Array | undefined,
    limits: IndexLimits,
    accesses: ReadonlyMap<string, Access>,
  ): string[] {
    if (this.readOnly) return [];
    this.sync();
    const previous = lookup(this.#journal, this.#state, entry.key);
    const records = touchRecords(this.#time(), accesses);
    const time = this.#time();
    if (inline && !this.isInline(entry.blob)) records.push(blobRecord(time, entry.blob, inline));
    records.push(putRecord(time, entry));
    this.#append(records);
    // A compaction that ran between the check above and the append may have left the value's
    // record out (it had no entry then): write it again.
    while (inline && !this.isInline(entry.blob)) this.#append([blobRecord(this.#time(), entry.blob, inline)]);
    const freed = previous ? this.#unreferenced([previous]) : [];
    freed.push(...enforceLimits(this.#journal, this.#state, this.#lru, limits, entry.access, this));
    this.#maybeCompact();
    return freed;
  }

  /**
   * Removes entries; returns the blob files that lost their last entry. `compact: false` leaves
   * compacting to a later write (a prune removing many batches compacts once, at its end).
   */
  remove(keys: readonly string[], options: { compact?: boolean } = {}): string[] {
    if (keys.length === 0 || this.readOnly) return [];
    this.sync();
    return this.#removeEntries(
      keys.flatMap((key) => lookup(this.#journal, this.#state, key) ?? []),
      options,
    );
  }

  /**
   * Removes entries found damaged, each only if its key still refers to the blob it was found
   * with: another process may have stored the key again meanwhile, and that entry is good.
   */
  removeIfStill(found: readonly { key: string; blob: string }[]): string[] {
    if (found.length === 0 || this.readOnly) return [];
    this.sync();
    return this.#removeEntries(
      found.flatMap(({ key, blob }) => {
        const entry = lookup(this.#journal, this.#state, key);
        return entry?.blob === blob ? [entry] : [];
      }),
      {},
    );
  }

  #removeEntries(entries: readonly PutFields[], options: { compact?: boolean }): string[] {
    if (entries.length === 0) return [];
    const time = this.#time();
    this.#append(entries.map((entry) => deleteRecord(time, entry.key)));
    if (options.compact !== false) this.#maybeCompact();
    return this.#unreferenced(entries);
  }

  /** Compacts the journal if it has grown to more than twice what its live entries need. */
  maybeCompact(): void {
    this.sync();
    this.#maybeCompact();
  }

  /** Writes access times and hit counts gathered in memory (hits never write on their own). */
  touch(accesses: ReadonlyMap<string, Access>): void {
    this.#append(touchRecords(this.#time(), accesses));
  }

  /** Removes every entry and signature, or one node's; returns the blobs that lost their last entry. */
  clear(node: string | undefined): string[] {
    if (this.readOnly) return [];
    const entries = node === undefined ? [] : [...this.rows(node)];
    this.#append([clearRecord(this.#time(), node)]);
    this.#maybeCompact();
    return this.#unreferenced(entries);
  }

  /** Rewrites the journal with only the live entries (damaged stretches go with it). */
  compact(): void {
    if (this.readOnly) return;
    this.sync();
    if (compact(this.#journal, this.#state, this.#journal.size(), this.#time())) this.sync();
  }

  close(): void {
    this.#journal.close();
  }

  #append(records: Buffer[]): void {
    if (records.length === 0 || this.readOnly) return;
    for (const chunk of inChunks(records, APPEND_CHUNK_BYTES)) {
      for (;;) {
        const generation = this.#journal.generation;
        this.#journal.append(chunk);
        this.sync();
        // The journal was compacted meanwhile: the chunk may have landed after the Seal. Records
        // are idempotent under last-writer-wins, so writing it again in the new generation is safe.
        if (this.#journal.generation === generation) break;
      }
    }
  }

  /** The blob files among these entries' blobs that no entry refers to any more (a Blob record goes with the next compaction). */
  #unreferenced(entries: readonly PutFields[]): string[] {
    return [...new Set(entries.map((entry) => entry.blob))].filter(
      (blob) => this.references(blob) === 0 && !this.isInline(blob),
    );
  }

  #maybeCompact(): void {
    const size = this.#journal.size();
    if (!compactionDue(size, this.#state, this.#compactFailedAt)) return;
    try {
      this.compact();
    } catch {
      // Compacting is housekeeping (the journal is whole without it): a full disk must not fail
      // the write that triggered it, nor make every write after it try again.
      this.#compactFailedAt = size;
    }
  }

  /** A new record's time (record-clock.ts). */
  #time(): number {
    return this.#clock.next(this.#state.latest);
  }
}
