/**
 * The journal behind DiskCache's index: its records check themselves, a reader skips damage and
 * waits for a record still being written, and replay is last-writer-wins by record time.
 * (Processes, kills and damaged files through DiskCache are in disk-cache.processes.test.ts.)
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { compact } from '../src/backends/disk/index/compact.ts';
import { DiskIndex } from '../src/backends/disk/index/disk-index.ts';
import { blobPrint, keyPrint } from '../src/backends/disk/index/fingerprints.ts';
import { BLOB_RECORD_OVERHEAD, scanRecord } from '../src/backends/disk/index/journal.ts';
import { JournalFile } from '../src/backends/disk/index/journal-file.ts';
import {
  blobRecord,
  clearRecord,
  deleteRecord,
  putRecord,
  snapshotRecord,
  touchRecord,
} from '../src/backends/disk/index/record-encoding.ts';
import {
  decodePut,
  RecordType,
  recordKey,
  recordKeyPrint,
  recordType,
} from '../src/backends/disk/index/record-fields.ts';
import { IndexState } from '../src/backends/disk/index/state.ts';
import type { PutFields } from '../src/backends/disk/index/types.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-journal-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => join(root, `j${++dirs}`);

const hex = (n: number, length = 64) => n.toString(16).padStart(length, '0');
/** Blob names are sha256 digests (the index takes their first 16 digits as their fingerprint). */
const blobHash = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (n: number, overrides: Partial<PutFields> = {}): PutFields => ({
  key: hex(n),
  blob: blobHash(1000 + n),
  node: 'node é',
  bytes: 10 + n,
  created: 1_700_000_000_000 + n,
  expires: 0,
  computeMs: 12.5,
  access: 1_700_000_000_000 + n,
  hits: n,
  ...overrides,
});

/** Replays records into a fresh state, as a reader of one file would. */
function replay(records: Buffer[]): { state: IndexState; bytes: Buffer } {
  const state = new IndexState();
  const bytes = Buffer.concat(records);
  for (let at = 0; at < bytes.length; ) {
    const scanned = scanRecord(bytes, at, bytes.length);
    if (scanned.kind !== 'record') throw new Error(`no record at ${at}`);
    state.apply(bytes, scanned.body, scanned.end, at);
    at = scanned.end;
  }
  return { state, bytes };
}

/** The live entry of a key in a replayed state, read back from its record. */
function liveEntry({ state, bytes }: ReturnType<typeof replay>, key: string): PutFields | undefined {
  const slot = state.rowOf(...keyPrint(key));
  if (slot < 0) return undefined;
  const offset = state.entries.offset[slot]!;
  const scanned = scanRecord(bytes, offset, bytes.length);
  return scanned.kind === 'record' ? decodePut(bytes, scanned.body, scanned.end) : undefined;
}

describe('journal records', () => {
  test('a Put record decodes to what was written, and its key fingerprint is the key text’s', () => {
    const fields = entry(7, { key: 'ab'.repeat(40), expires: 1_800_000_000_000, computeMs: -1 });
    const record = putRecord(123.5, fields);
    const scanned = scanRecord(record, 0, record.length);
    expect(scanned.kind).toBe('record');
    if (scanned.kind !== 'record') return;
    expect(decodePut(record, scanned.body, scanned.end)).toEqual(fields);
    expect(recordKey(record, scanned.body)).toBe(fields.key);
    expect(recordKeyPrint(record, scanned.body)).toEqual(keyPrint(fields.key));
  });

  test('keys that share their first 16 digits have different fingerprints', () => {
    const prints = new Set(Array.from({ length: 1000 }, (_, n) => keyPrint(hex(n)).join(':')));
    expect(prints.size).toBe(1000);
  });

  test('every single flipped byte makes a record fail its check; none reads as another record', () => {
    const record = putRecord(1, entry(1));
    for (let at = 0; at < record.length; at++) {
      const damaged = Buffer.from(record);
      damaged[at]! ^= 0x10;
      expect(scanRecord(damaged, 0, damaged.length).kind, `byte ${at}`).not.toBe('record');
    }
  });

  test('a record cut short is partial (more may come), not damaged', () => {
    const record = putRecord(1, entry(1));
    for (const length of [0, 5, 11, 12, record.length - 1]) {
      expect(scanRecord(record, 0, length).kind, `${length} bytes`).toBe('partial');
    }
  });
});

describe('JournalFile', () => {
  const keysRead = (journal: JournalFile) => {
    const keys: string[] = [];
    journal.readNew((bytes, body) => keys.push(recordKey(bytes, body)));
    return keys;
  };

  test('records appended by another writer are read on the next call; damage between them is skipped and counted once', () => {
    const dir = freshDir();
    const reader = new JournalFile(dir);
    const writer = new JournalFile(dir);
    writer.append(deleteRecord(1, hex(1)));
    expect(keysRead(reader)).toEqual([hex(1)]);
    fs.appendFileSync(reader.path, Buffer.from('garbage that is no record at all'));
    writer.append(deleteRecord(2, hex(2)));
    expect(keysRead(reader)).toEqual([hex(2)]);
    expect(reader.damaged).toBe(1);
  });

  test('a record still being written is waited for, then read whole', () => {
    const dir = freshDir();
    const reader = new JournalFile(dir);
    const record = putRecord(1, entry(3));
    fs.appendFileSync(reader.path, record.subarray(0, 40));
    expect(keysRead(reader)).toEqual([]);
    fs.appendFileSync(reader.path, record.subarray(40));
    expect(keysRead(reader)).toEqual([hex(3)]);
    expect(reader.damaged).toBe(0);
  });

  test('a record a kill cut short is skipped once a later record follows it', () => {
    const dir = freshDir();
    const reader = new JournalFile(dir);
    fs.appendFileSync(reader.path, putRecord(1, entry(4)).subarray(0, 60));
    expect(keysRead(reader)).toEqual([]);
    fs.appendFileSync(reader.path, touchRecord(2, hex(5), 3, 1));
    expect(keysRead(reader)).toEqual([hex(5)]);
    expect(reader.damaged).toBe(1);
  });
});

describe('replay: last writer wins by record time', () => {
  test('an older Put replayed after a newer one does not replace it', () => {
    const replayed = replay([
      putRecord(20, entry(1, { blob: blobHash(2) })),
      putRecord(10, entry(1, { blob: blobHash(3) })),
    ]);
    expect(liveEntry(replayed, hex(1))?.blob).toBe(blobHash(2));
    expect(replayed.state.entries.entries).toBe(1);
  });

  test('a deleted entry stays deleted when an older Put of it is replayed later', () => {
    const replayed = replay([putRecord(10, entry(1)), deleteRecord(20, hex(1)), putRecord(15, entry(1))]);
    expect(liveEntry(replayed, hex(1))).toBeUndefined();
    expect(replayed.state.entries.entries).toBe(0);
    expect(replayed.state.blobs.totalBytes).toBe(0);
  });

  test('a Delete older than the entry does not remove it', () => {
    const replayed = replay([putRecord(20, entry(1)), deleteRecord(10, hex(1))]);
    expect(liveEntry(replayed, hex(1))).toBeDefined();
  });

  test('a clear removes what came before it, not what came after, even replayed out of order', () => {
    const replayed = replay([
      putRecord(10, entry(1)),
      putRecord(30, entry(2)),
      clearRecord(20, undefined),
      putRecord(15, entry(3)),
    ]);
    expect(liveEntry(replayed, hex(1))).toBeUndefined();
    expect(liveEntry(replayed, hex(2))).toBeDefined();
    expect(liveEntry(replayed, hex(3))).toBeUndefined();
  });

  test('blob references and per-node totals follow replacement and removal', () => {
    const shared = blobHash(99);
    const replayed = replay([
      putRecord(1, entry(1, { blob: shared, bytes: 100 })),
      putRecord(2, entry(2, { blob: shared, bytes: 100, node: 'other' })),
      putRecord(3, entry(1, { blob: blobHash(98), bytes: 7 })),
      deleteRecord(4, hex(2)),
    ]);
    const { state } = replayed;
    expect(state.blobs.totalBytes).toBe(7);
    expect(
      state.blobs.referencesOf(
        Number.parseInt(shared.slice(0, 8), 16),
        Number.parseInt(shared.slice(8, 16), 16),
      ),
    ).toBe(0);
    const id = state.nodes.idOf('node é');
    expect([state.nodes.entries[id], state.nodes.bytes[id]]).toEqual([1, 7]);
    expect(state.nodes.entries[state.nodes.idOf('other')]).toBe(0);
  });

  test('after a compaction’s Snapshot, a Put older than it for a key not in it is a deleted entry’s; a newer one is news', () => {
    const snapshot = 1_000_000;
    const replayed = replay([
      putRecord(snapshot - 60_000, entry(1)),
      snapshotRecord(snapshot),
      putRecord(snapshot - 60_000, entry(2)),
      putRecord(snapshot - 1_000, entry(3)),
      putRecord(snapshot - 30_000, entry(1, { hits: 9 })),
    ]);
    expect(liveEntry(replayed, hex(2))).toBeUndefined();
    expect(liveEntry(replayed, hex(3))).toBeDefined();
    // A key in the snapshot still takes later records by the usual rule.
    expect(liveEntry(replayed, hex(1))?.hits).toBe(9);
  });

  test('touches move the access time forward only and add hits', () => {
    const replayed = replay([
      putRecord(1, entry(1, { access: 100, hits: 0 })),
      touchRecord(2, hex(1), 500, 3),
      touchRecord(3, hex(1), 400, 2),
    ]);
    const slot = replayed.state.rowOf(...keyPrint(hex(1)));
    expect([replayed.state.entries.access[slot], replayed.state.entries.hits[slot]]).toEqual([500, 5]);
  });
});

describe('small values in the journal (Blob records)', () => {
  const NO_LIMITS = {
    maxBytes: Number.POSITIVE_INFINITY,
    maxEntries: Number.POSITIVE_INFINITY,
    maxAge: Number.POSITIVE_INFINITY,
  };
  const bufferOf = (text: string) => Buffer.from(text);
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  const inlineEntry = (n: number, value: Uint8Array) =>
    entry(n, { blob: sha256(value), bytes: value.length });
  /** How many Blob records the newest journal in `dir` holds. */
  function blobRecords(dir: string): number {
    const journal = new JournalFile(dir);
    let count = 0;
    journal.scan(0, (bytes, body) => {
      if (recordType(bytes, body) === RecordType.Blob) count++;
    });
    journal.close();
    return count;
  }

  test('a Blob record locates its value; the row outlives its last entry (until a compaction), totals do not', () => {
    const value = bufferOf('seven b');
    const blob = sha256(value);
    const replayed = replay([
      blobRecord(1, blob, value),
      putRecord(2, inlineEntry(1, value)),
      putRecord(3, inlineEntry(2, value)),
    ]);
    const { blobs } = replayed.state;
    expect(blobs.recordOf(...blobPrint(blob))).toBe(0);
    expect(blobs.referencesOf(...blobPrint(blob))).toBe(2);
    expect([blobs.totalBytes, blobs.inlineBytes]).toEqual([7, BLOB_RECORD_OVERHEAD + 7]);
    replayed.state.apply(...recordIn(deleteRecord(4, hex(1))));
    replayed.state.apply(...recordIn(deleteRecord(5, hex(2))));
    expect([blobs.totalBytes, blobs.inlineBytes]).toEqual([0, 0]);
    expect(blobs.recordOf(...blobPrint(blob))).toBe(0);
  });

  test('a value stored under two keys is one Blob record; a compaction keeps the referenced ones only', () => {
    const dir = freshDir();
    const index = new DiskIndex(dir);
    const [kept, dropped] = [bufferOf('kept value'), bufferOf('dropped value')];
    index.put(inlineEntry(1, kept), kept, NO_LIMITS, new Map());
    index.put(inlineEntry(2, kept), kept, NO_LIMITS, new Map());
    index.put(inlineEntry(3, dropped), dropped, NO_LIMITS, new Map());
    expect(blobRecords(dir)).toBe(2);
    index.remove([hex(3)]);
    index.compact();
    expect(blobRecords(dir)).toBe(1);
    const reader = new DiskIndex(dir);
    expect(reader.inlineBlob(sha256(kept))).toEqual({ payload: kept });
    expect(reader.inlineBlob(sha256(dropped))).toBeUndefined();
    expect(reader.get(hex(3))).toBeUndefined();
    for (const open of [index, reader]) open.close();
  });

  test('a compaction copies the Blob record a Put written meanwhile refers to, though no entry had it when the compaction read the journal', () => {
    const dir = freshDir();
    const value = bufferOf('stored, removed, stored again');
    const first = new DiskIndex(dir);
    first.put(inlineEntry(1, value), value, NO_LIMITS, new Map());
    first.remove([hex(1)]);
    // The compactor's view: the value's record is there, and no entry refers to it.
    const journal = new JournalFile(dir);
    const state = new IndexState();
    journal.readNew((bytes, body, end, offset) => state.apply(bytes, body, end, offset));
    const from = journal.size();
    // Another writer sees the record and writes only its Put, after what the compactor read.
    const writer = new DiskIndex(dir);
    writer.put(inlineEntry(2, value), value, NO_LIMITS, new Map());
    expect(blobRecords(dir)).toBe(1);
    expect(compact(journal, state, from, Date.now())).toBe(true);
    const reader = new DiskIndex(dir);
    expect(reader.get(hex(2))?.blob).toBe(sha256(value));
    expect(reader.inlineBlob(sha256(value))).toEqual({ payload: value });
    for (const open of [journal, first, writer, reader]) open.close();
  });

  test('a Blob record that fails its check is not served: its value reads as corrupt', () => {
    const dir = freshDir();
    const value = bufferOf('a value to damage');
    const index = new DiskIndex(dir);
    index.put(inlineEntry(1, value), value, NO_LIMITS, new Map());
    const path = join(dir, 'journal-0000000001');
    const bytes = fs.readFileSync(path);
    bytes[bytes.indexOf(value) + 3]! ^= 0x01;
    fs.writeFileSync(path, bytes);
    expect(index.inlineBlob(sha256(value))).toEqual({ corrupt: true });
    index.close();
  });
});

/** The arguments of `IndexState.apply` for one framed record. */
function recordIn(record: Buffer): [Buffer, number, number, number] {
  const scanned = scanRecord(record, 0, record.length);
  if (scanned.kind !== 'record') throw new Error('not a record');
  return [record, scanned.body, scanned.end, 0];
}
