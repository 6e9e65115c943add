/**
 * The state of DiskCache's index, as replaying its journal builds it: every process holds one,
 * and brings it up to date by reading what was appended since.
 *
 * Replay is last-writer-wins by record time, not by position: a compaction copies records
 * written during it after newer ones, and a write racing a compaction is written twice. A
 * deleted entry stays as a dead row until the next compaction, so an older record replayed late
 * cannot revive it; a compacted generation holds no dead rows, only its Snapshot time.
 */

import type { NodeSignature } from '../../contract.ts';
import { BLOB_RECORD_OVERHEAD, RECORD_HEADER_BYTES } from './journal.ts';
import type { JournalFile } from './journal-file.ts';
import type { LruOrder } from './lru.ts';
import {
  blobRecordPrint,
  clearNode,
  metaJson,
  putOffsets,
  RecordType,
  recordKeyPrint,
  recordTime,
  recordType,
  touchFields,
} from './record-fields.ts';
import { BlobTable, EntryTable, NodeTotals } from './table.ts';

/** Clear records are written again by a compaction this long: far longer than any compaction takes. */
export const FORGET_AFTER_MS = 10 * 60 * 1000;
/**
 * How much older than a compaction's snapshot a record may be and still be news: a record's time
 * is taken just before it is written, so only a writer stalled longer than this loses its record
 * (a miss later, never a wrong value).
 */
const SNAPSHOT_MARGIN_MS = 10_000;

export class IndexState {
  readonly entries = new EntryTable();
  readonly blobs = new BlobTable();
  readonly nodes = new NodeTotals();
  /** Each node's last signature, with the time of its record. */
  readonly meta = new Map<string, { time: number; signature: NodeSignature; bytes: number }>();
  /** Bytes of the live Meta records: with the entries', what a compacted journal needs. */
  metaBytes = 0;
  /** Entries recorded before this time were cleared. */
  clearedAt = 0;
  /** The time of the compaction this generation began with: see RecordType.Snapshot. */
  snapshotAt = 0;
  /** Per node: entries recorded before this time were cleared. */
  readonly nodeClearedAt = new Map<string, number>();
  /** The soonest expiry among live entries, or later (it is recomputed when reached). */
  nextExpiry = Number.POSITIVE_INFINITY;
  /** The time of the latest record replayed (kept across resets): a new record is given a later one. */
  latest = 0;
  /** How many times the state was reset for a new generation. */
  epoch = 0;
  /** Bytes of Put records replayed, and how many: what a compacted journal needs per entry. */
  putBytes = 0;
  puts = 0;

  /** `entries`: how many entries to make room for now. */
  constructor(entries = 0) {
    this.entries.reserve(entries);
    this.blobs.reserve(entries);
  }

  /**
   * Forgets everything replayed, keeping the tables' memory, to replay a new generation: a
   * second set of tables would double the index's memory until the old one is collected.
   * `epoch` counts the resets, so a walk over rows can tell that its rows are gone.
   */
  reset(): void {
    this.entries.clear();
    this.blobs.clear();
    this.nodes.clear();
    this.meta.clear();
    this.metaBytes = 0;
    this.clearedAt = 0;
    this.snapshotAt = 0;
    this.nodeClearedAt.clear();
    this.nextExpiry = Number.POSITIVE_INFINITY;
    this.putBytes = 0;
    this.puts = 0;
    this.epoch++;
  }

  /** Applies the record whose body starts at `body` in `bytes`; `offset` is where the record starts in the journal. */
  apply(bytes: Buffer, body: number, end: number, offset: number): void {
    const time = recordTime(bytes, body);
    if (time > this.latest) this.latest = time;
    switch (recordType(bytes, body)) {
      case RecordType.Put:
        this.#put(bytes, body, end, offset, time);
        return;
      case RecordType.Delete:
        this.#delete(bytes, body, time);
        return;
      case RecordType.Touch:
        this.#touch(bytes, body);
        return;
      case RecordType.Meta:
        this.#meta(bytes, body, end, time);
        return;
      case RecordType.Clear:
        this.#clear(clearNode(bytes, body, end), time);
        return;
      case RecordType.Snapshot:
        this.snapshotAt = Math.max(this.snapshotAt, time);
        return;
      case RecordType.Blob:
        this.blobs.place(
          ...blobRecordPrint(bytes, body),
          offset,
          end - body - (BLOB_RECORD_OVERHEAD - RECORD_HEADER_BYTES),
        );
        return;
    }
  }

  /** The soonest expiry after `now` among the live entries. */
  soonestExpiryAfter(now: number): number {
    const table = this.entries;
    let soonest = Number.POSITIVE_INFINITY;
    for (const slot of table.entryRows()) {
      const expires = table.expires[slot]!;
      if (expires > now && expires < soonest) soonest = expires;
    }
    return soonest;
  }

  /** The live row of a key's fingerprint, or -1. */
  rowOf(hi: number, lo: number): number {
    const slot = this.entries.find(hi, lo);
    return slot >= 0 && this.entries.dead[slot] === 0 ? slot : -1;
  }

  #put(bytes: Buffer, body: number, end: number, offset: number, time: number): void {
    const [hi, lo] = recordKeyPrint(bytes, body);
    const at = putOffsets(bytes, body);
    const node = bytes.toString('utf8', at.node, end);
    if (time < this.clearedAt || time < (this.nodeClearedAt.get(node) ?? 0)) return;
    const table = this.entries;
    const slot = this.#claim(hi, lo, time);
    if (slot < 0) return;
    const size = bytes.readDoubleLE(at.bytes);
    const blobHi = bytes.readUInt32BE(at.blob);
    const blobLo = bytes.readUInt32BE(at.blob + 4);
    const expires = bytes.readDoubleLE(at.expires);
    const id = this.nodes.idOf(node);
    table.dead[slot] = 0;
    table.blobHi[slot] = blobHi;
    table.blobLo[slot] = blobLo;
    table.offset[slot] = offset;
    table.bytes[slot] = size;
    table.created[slot] = bytes.readDoubleLE(at.created);
    table.expires[slot] = expires;
    table.access[slot] = bytes.readDoubleLE(at.access);
    table.hits[slot] = bytes.readUInt32LE(at.hits);
    table.time[slot] = time;
    table.node[slot] = id;
    table.entries++;
    this.blobs.add(blobHi, blobLo, size);
    this.nodes.add(id, 1, size);
    if (expires !== 0 && expires < this.nextExpiry) this.nextExpiry = expires;
    this.putBytes += RECORD_HEADER_BYTES + end - body;
    this.puts++;
  }

  #delete(bytes: Buffer, body: number, time: number): void {
    const [hi, lo] = recordKeyPrint(bytes, body);
    const table = this.entries;
    const slot = this.#claim(hi, lo, time);
    if (slot < 0) return;
    table.dead[slot] = 1;
    table.time[slot] = time;
  }

  #touch(bytes: Buffer, body: number): void {
    const [hi, lo] = recordKeyPrint(bytes, body);
    const slot = this.rowOf(hi, lo);
    if (slot < 0) return;
    const { access, hits } = touchFields(bytes, body);
    const table = this.entries;
    if (access > table.access[slot]!) table.access[slot] = access;
    table.hits[slot] = Math.min(0xffff_ffff, table.hits[slot]! + hits);
  }

  #meta(bytes: Buffer, body: number, end: number, time: number): void {
    let signature: NodeSignature;
    try {
      signature = JSON.parse(metaJson(bytes, body, end)) as NodeSignature;
    } catch {
      return;
    }
    if (typeof signature?.node !== 'string') return;
    const known = this.meta.get(signature.node);
    if (known && known.time > time) return;
    const size = RECORD_HEADER_BYTES + end - body;
    this.metaBytes += size - (known?.bytes ?? 0);
    this.meta.set(signature.node, { time, signature, bytes: size });
  }

  #clear(node: string | undefined, time: number): void {
    if (node === undefined) this.clearedAt = Math.max(this.clearedAt, time);
    else this.nodeClearedAt.set(node, Math.max(this.nodeClearedAt.get(node) ?? 0, time));
    const id = node === undefined ? -1 : this.nodes.find(node);
    if (id === undefined) return;
    const table = this.entries;
    const cleared = [...table.entryRows()].filter(
      (slot) => (id === -1 || table.node[slot] === id) && table.time[slot]! <= time,
    );
    for (const slot of cleared) {
      this.#forget(slot);
      table.remove(slot);
    }
    for (const [name, { time: recorded, bytes }] of this.meta) {
      if ((node === undefined || name === node) && recorded <= time) {
        this.meta.delete(name);
        this.metaBytes -= bytes;
      }
    }
  }

  /**
   * The row a record of `time` sets for a key: its row, taken out of the totals, or a new one;
   * -1 when the row was set by a later record (last writer wins).
   */
  #claim(hi: number, lo: number, time: number): number {
    const slot = this.entries.find(hi, lo);
    if (slot < 0) {
      // Older than the snapshot and not in it: the key was deleted before the compaction.
      return time < this.snapshotAt - SNAPSHOT_MARGIN_MS ? -1 : this.entries.insert(hi, lo);
    }
    if (time < this.entries.time[slot]!) return -1;
    this.#forget(slot);
    return slot;
  }

  /** Takes a live row out of the totals (before it is replaced or dies). */
  #forget(slot: number): void {
    const table = this.entries;
    if (table.dead[slot] === 1) return;
    table.entries--;
    this.blobs.release(table.blobHi[slot]!, table.blobLo[slot]!);
    this.nodes.add(table.node[slot]!, -1, -table.bytes[slot]!);
  }
}

/** How much of the journal's start is read to estimate how many entries it holds. */
const SAMPLE_BYTES = 1 << 20;

/**
 * An empty state with room for what the journal holds, so its tables do not grow (and copy)
 * while it is replayed: Put records are counted in the journal's first megabyte and the count
 * scaled to its size, with 10% to spare. (A table's rows cost memory only once used, its hash
 * buckets at once, so a guess much too high costs too.)
 */
export function stateSizedFor(journal: JournalFile): IndexState {
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
 * Replays into `state` what was appended to the journal since the last call. A Seal moves to the
 * generation it names, replayed from the start into the same tables (reset in place), and the
 * LRU order, whose rows went with them, starts over.
 */
export function replayNew(journal: JournalFile, state: IndexState, lru: LruOrder): void {
  for (;;) {
    const next = journal.readNew((bytes, body, end, offset) => state.apply(bytes, body, end, offset));
    if (next === undefined) return;
    journal.moveTo(next);
    state.reset();
    lru.reset();
  }
}
