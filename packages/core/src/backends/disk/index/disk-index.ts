/**
 * The index of DiskCache: a journal of self-checking records (`_disk-journal.ts`) that every
 * process appends to and replays into typed-array tables (`_disk-state.ts`). A lookup is a
 * table probe and one read of the entry's record; a write is one append. Damage to the journal
 * costs the entries whose records it hit, never a crash or a wrong value. docs/architecture.md
 * has the measurements behind the design.
 */

import type { NodeSignature } from '../../contract.ts';
import { compact, finishCompaction } from './compact.ts';
import {
  BLOB_RECORD_OVERHEAD,
  blobPrint,
  blobRecord,
  blobRecordHash,
  blobRecordPayload,
  clearRecord,
  decodePut,
  deleteRecord,
  inChunks,
  keyPrint,
  metaRecord,
  type PutFields,
  putRecord,
  RecordType,
  recordType,
  scanRecord,
  touchRecord,
} from './journal.ts';
import { JournalFile } from './journal-file.ts';
import { byAccess, LruOrder } from './lru.ts';
import { IndexState } from './state.ts';

export type { PutFields } from './journal.ts';

/** Limits enforced on every write, oldest access first. */
export interface IndexLimits {
  maxBytes: number;
  maxEntries: number;
  maxAge: number;
}

/** A node's share of the index. */
export interface NodeTotals {
  entries: number;
  bytes: number;
}

/** A read recorded in memory: when, and how many times since the last write. */
export interface Access {
  time: number;
  hits: number;
}

/**
 * The journal is compacted when it is this large and more than twice what its live entries
 * need. `MEMOFLOW_DISK_COMPACT_BYTES` sets it (tests use a small one to compact often).
 */
const COMPACT_MIN_BYTES = Number(process.env.MEMOFLOW_DISK_COMPACT_BYTES) || 4 << 20;
/** A Put record is read with this many bytes (most are ≈200; a longer one takes a second read). */
const PUT_READ_BYTES = 512;
/** How much of the journal's start is read to estimate how many entries it holds. */
const SAMPLE_BYTES = 1 << 20;
/** How often a process looks for a compaction another one left half done. */
const NEWER_CHECK_MS = 1_000;
/** Records are appended in writes of about this many bytes, each of whole records. */
const APPEND_CHUNK_BYTES = 1 << 20;

/** A small value read from the journal: its bytes, a record that fails its checks, or not in the journal. */
export type InlineRead = { payload: Uint8Array } | { corrupt: true } | undefined;

/** The value in a Blob record, as a Buffer of its own (not a slice of a shared pool), if the record is `blob`'s. */
function blobValue(bytes: Buffer, body: number, end: number, blob: string): InlineRead {
  if (recordType(bytes, body) !== RecordType.Blob || blobRecordHash(bytes, body) !== blob)
    return { corrupt: true };
  const payload = blobRecordPayload(bytes, body, end);
  const copy = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(copy);
  return { payload: copy };
}

export class DiskIndex {
  /**
   * Writes nothing: records, removals and compactions are skipped (a cache on a read-only file
   * system, or one opened `readOnly`). Set when a write is refused after opening.
   */
  readOnly: boolean;
  readonly #journal: JournalFile;
  readonly #state: IndexState;
  #lru = new LruOrder();
  #lastTime = 0;
  #checkedNewer = 0;
  #damageTaken = 0;
  /** A compaction failed (a full disk) at this journal size: the next is tried once the journal grew again. */
  #compactFailedAt = 0;

  /** `readOnly`: opens the journal for reading only; throws ENOENT when there is none. */
  constructor(path: string, readOnly = false) {
    this.readOnly = readOnly;
    this.#journal = new JournalFile(path, readOnly);
    this.#state = this.#stateFor(this.#journal);
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
      const next = this.#journal.readNew((bytes, body, end, offset) =>
        this.#state.apply(bytes, body, end, offset),
      );
      if (next !== undefined) {
        this.#reload(next);
        continue;
      }
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
    return this.#lookup(key);
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
    const blobs = this.#state.blobs;
    const slot = blobs.find(...blobPrint(blob));
    if (slot < 0 || blobs.at[slot]! < 0) return undefined;
    const record = this.#journal.recordAt(blobs.at[slot]!, BLOB_RECORD_OVERHEAD + blobs.bytes[slot]!);
    return record ? blobValue(record.bytes, record.body, record.end, blob) : { corrupt: true };
  }

  /**
   * A key's entry, with its value when that is a Blob record written just before the entry's Put
   * (in the same append, as a new small value is): one read brings both. Otherwise `value` is
   * undefined and the caller reads the value.
   */
  getWithValue(key: string): { entry: PutFields; value?: InlineRead } | undefined {
    this.sync();
    const slot = this.#state.rowOf(...keyPrint(key));
    if (slot < 0) return undefined;
    const { entries: table, blobs } = this.#state;
    const putAt = table.offset[slot]!;
    const blob = blobs.find(table.blobHi[slot]!, table.blobLo[slot]!);
    const blobAt = blob < 0 ? -1 : blobs.at[blob]!;
    if (blobAt < 0 || blobAt + BLOB_RECORD_OVERHEAD + blobs.bytes[blob]! !== putAt) {
      const entry = this.#entryAt(slot, key);
      return entry && { entry };
    }
    const bytes = this.#journal.bytesAt(blobAt, putAt - blobAt + PUT_READ_BYTES);
    const put = scanRecord(bytes, putAt - blobAt, bytes.length);
    if (put.kind !== 'record') {
      // A Put longer than the read (a long node name), or damage: the entry alone, as usual.
      const entry = this.#entryAt(slot, key);
      return entry && { entry };
    }
    const entry = this.#decodeEntry(slot, bytes, put.body, put.end, key);
    if (!entry) return undefined;
    const record = scanRecord(bytes, 0, putAt - blobAt);
    const value =
      record.kind === 'record'
        ? blobValue(bytes, record.body, record.end, entry.blob)
        : { corrupt: true as const };
    return { entry, value };
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
    const { names, entries, bytes } = this.#state.nodes;
    const nodes = new Map<string, NodeTotals>();
    names.forEach((name, id) => {
      if (entries[id]! > 0) nodes.set(name, { entries: entries[id]!, bytes: bytes[id]! });
    });
    return nodes;
  }

  /** The `limit` newest entries, newest first, or the oldest ones, oldest first. */
  byCreation(newest: boolean, limit: number): PutFields[] {
    const created = this.#state.entries.created;
    const sign = newest ? -1 : 1;
    const best: number[] = [];
    for (const slot of this.#state.entries.entryRows()) {
      const value = sign * created[slot]!;
      if (best.length === limit && value >= sign * created[best.at(-1)!]!) continue;
      let at = best.length;
      while (at > 0 && sign * created[best[at - 1]!]! > value) at--;
      best.splice(at, 0, slot);
      if (best.length > limit) best.pop();
    }
    return best.flatMap((slot) => this.#entryAt(slot) ?? []);
  }

  /** Every entry, optionally one node's. */
  *rows(node?: string): Generator<PutFields> {
    const state = this.#state;
    const id = node === undefined ? -1 : state.nodes.find(node);
    if (id === undefined) return;
    const slots = [...state.entries.entryRows()].filter(
      (slot) => id === -1 || state.entries.node[slot] === id,
    );
    const epoch = state.epoch;
    for (const slot of slots) {
      // A row removed meanwhile (by this or another process) is skipped; after a move to a new generation, every row is.
      if (state.epoch !== epoch || state.entries.dead[slot] !== 0) continue;
      const entry = this.#entryAt(slot);
      if (entry) yield entry;
    }
  }

  /** Entries whose ttl ran out by `now`, soonest first. */
  expired(now: number): PutFields[] {
    const { entries } = this.#state;
    const slots: number[] = [];
    for (const slot of entries.entryRows())
      if (entries.expires[slot] !== 0 && entries.expires[slot]! <= now) slots.push(slot);
    slots.sort((a, b) => entries.expires[a]! - entries.expires[b]!);
    return slots.flatMap((slot) => this.#entryAt(slot) ?? []);
  }

  /** Entries from least to most recently used; the walk ends if the index moves to a new generation meanwhile. */
  *leastRecentlyUsed(): Generator<PutFields> {
    const state = this.#state;
    const epoch = state.epoch;
    for (const slot of byAccess(state.entries)) {
      if (state.epoch !== epoch) return;
      if (state.entries.dead[slot] !== 0) continue;
      const entry = this.#entryAt(slot);
      if (entry) yield entry;
    }
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
    const previous = this.#lookup(entry.key);
    const records = this.#touches(accesses);
    const time = this.#time();
    if (inline && !this.isInline(entry.blob)) records.push(blobRecord(time, entry.blob, inline));
    records.push(putRecord(time, entry));
    this.#append(records);
    // A compaction that ran between the check above and the append may have left the value's
    // record out (it had no entry then): write it again.
    while (inline && !this.isInline(entry.blob)) this.#append([blobRecord(this.#time(), entry.blob, inline)]);
    const freed = previous ? this.#unreferenced([previous]) : [];
    freed.push(...this.#enforce(limits, entry.access));
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
      keys.flatMap((key) => this.#lookup(key) ?? []),
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
        const entry = this.#lookup(key);
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
    this.#append(this.#touches(accesses));
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

  #lookup(key: string): PutFields | undefined {
    const [hi, lo] = keyPrint(key);
    const slot = this.#state.rowOf(hi, lo);
    return slot < 0 ? undefined : this.#entryAt(slot, key);
  }

  /** The entry of a live row, read from its record; `key`, when given, must be the record's. */
  #entryAt(slot: number, key?: string): PutFields | undefined {
    const record = this.#journal.recordAt(this.#state.entries.offset[slot]!);
    return record && this.#decodeEntry(slot, record.bytes, record.body, record.end, key);
  }

  /** The entry in a row's Put record, with the row's access time and hits. */
  #decodeEntry(slot: number, bytes: Buffer, body: number, end: number, key?: string): PutFields | undefined {
    if (recordType(bytes, body) !== RecordType.Put) return undefined;
    const table = this.#state.entries;
    // The node name comes from the table: one string per node, however many entries are read.
    const entry = decodePut(bytes, body, end, this.#state.nodes.names[table.node[slot]!]);
    if (key !== undefined && entry.key !== key) return undefined;
    entry.access = table.access[slot]!;
    entry.hits = table.hits[slot]!;
    return entry;
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

  #touches(accesses: ReadonlyMap<string, Access>): Buffer[] {
    const time = this.#time();
    return [...accesses].map(([key, { time: access, hits }]) => touchRecord(time, key, access, hits));
  }

  /** Removes expired entries, entries unused for `maxAge`, then least recently used ones until the limits hold. */
  #enforce(limits: IndexLimits, now: number): string[] {
    const state = this.#state;
    const table = state.entries;
    const stale = new Set(state.nextExpiry <= now ? this.expired(now).map((entry) => entry.key) : []);
    if (state.nextExpiry <= now) state.nextExpiry = state.soonestExpiryAfter(now);
    const live = (slot: number) => state.rowOf(table.hi[slot]!, table.lo[slot]!) === slot;
    // Unused for longer than maxAge: the front of the LRU order.
    if (limits.maxAge !== Number.POSITIVE_INFINITY) {
      for (
        let slot = this.#lru.front(table, live);
        slot >= 0 && now - table.access[slot]! > limits.maxAge;
      ) {
        const entry = this.#entryAt(slot);
        if (entry) stale.add(entry.key);
        this.#lru.take();
        slot = this.#lru.front(table, live);
      }
    }
    const freed = this.remove([...stale]);
    for (;;) {
      const excessEntries = this.#state.entries.entries - limits.maxEntries;
      const excessBytes = this.#state.blobs.totalBytes - limits.maxBytes;
      if (excessEntries <= 0 && excessBytes <= 0) return freed;
      const victims: string[] = [];
      let bytes = 0;
      while (victims.length < excessEntries || bytes < excessBytes) {
        const slot = this.#lru.front(this.#state.entries, live);
        if (slot < 0) break;
        this.#lru.take();
        const entry = this.#entryAt(slot);
        if (!entry) continue;
        victims.push(entry.key);
        bytes += entry.bytes;
      }
      if (victims.length === 0) return freed;
      freed.push(...this.remove(victims));
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
    if (size < COMPACT_MIN_BYTES || size < this.#compactFailedAt + COMPACT_MIN_BYTES) return;
    const { putBytes, puts, entries, metaBytes, blobs } = this.#state;
    const needed = entries.entries * (puts === 0 ? 200 : putBytes / puts) + metaBytes + blobs.inlineBytes;
    if (size <= 2 * needed + COMPACT_MIN_BYTES) return;
    try {
      this.compact();
    } catch {
      // Compacting is housekeeping (the journal is whole without it): a full disk must not fail
      // the write that triggered it, nor make every write after it try again.
      this.#compactFailedAt = size;
    }
  }

  /** Moves to a new generation: its journal is replayed from the start into the same tables. */
  #reload(generation: number): void {
    this.#journal.moveTo(generation);
    this.#state.reset();
    this.#lru = new LruOrder();
  }

  /**
   * An empty state with room for what the journal holds, so its tables do not grow (and copy)
   * while it is replayed: Put records are counted in the journal's first megabyte and the count
   * scaled to its size, with 10% to spare. (A table's rows cost memory only once used, its hash
   * buckets at once, so a guess much too high costs too.)
   */
  #stateFor(journal: JournalFile): IndexState {
    const size = journal.size();
    let puts = 0;
    const sampled = journal.scan(
      0,
      (bytes, body) => {
        if (recordType(bytes, body) === RecordType.Put) puts++;
      },
      SAMPLE_BYTES,
    );
    return new IndexState(sampled === 0 ? 0 : Math.ceil(((puts * size) / sampled) * 1.1));
  }

  /**
   * Record times: later than the clock, than this process's last record and than every record
   * replayed (a Lamport clock). So a record written after reading another's is later than it,
   * even within the same millisecond: a clear() wins over the write it saw, not a coin toss.
   */
  #time(): number {
    this.#lastTime = Math.max(Date.now(), this.#lastTime + 0.001, this.#state.latest + 0.001);
    return this.#lastTime;
  }
}
