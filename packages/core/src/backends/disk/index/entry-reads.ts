/**
 * Reading DiskCache's entries back from the journal: a row of the index's tables points to its
 * entry's Put record, which holds the full key (a lookup checks it) and blob hash; a small value
 * is read from its Blob record, in the same read as the Put when it lies just before it.
 */
import { blobPrint, keyPrint } from './fingerprints.ts';
import { BLOB_RECORD_OVERHEAD, scanRecord } from './journal.ts';
import type { JournalFile } from './journal-file.ts';
import { blobRecordHash, blobRecordPayload, decodePut, RecordType, recordType } from './record-fields.ts';
import type { IndexState } from './state.ts';
import type { InlineRead, PutFields } from './types.ts';

/** A Put record is read with this many bytes (most are ≈200; a longer one takes a second read). */
const PUT_READ_BYTES = 512;

/** The value in a Blob record, as a Buffer of its own (not a slice of a shared pool), if the record is `blob`'s. */
function blobValue(bytes: Buffer, body: number, end: number, blob: string): InlineRead {
  if (recordType(bytes, body) !== RecordType.Blob || blobRecordHash(bytes, body) !== blob)
    return { corrupt: true };
  const payload = blobRecordPayload(bytes, body, end);
  const copy = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(copy);
  return { payload: copy };
}

/** The entry of a key, if its row's record is the key's and checks out. */
export function lookup(journal: JournalFile, state: IndexState, key: string): PutFields | undefined {
  const [hi, lo] = keyPrint(key);
  const slot = state.rowOf(hi, lo);
  return slot < 0 ? undefined : entryAt(journal, state, slot, key);
}

/** The entry of a live row, read from its record; `key`, when given, must be the record's. */
export function entryAt(
  journal: JournalFile,
  state: IndexState,
  slot: number,
  key?: string,
): PutFields | undefined {
  const record = journal.recordAt(state.entries.offset[slot]!);
  return record && decodeEntry(state, slot, record.bytes, record.body, record.end, key);
}

/** The entry in a row's Put record, with the row's access time and hits. */
function decodeEntry(
  state: IndexState,
  slot: number,
  bytes: Buffer,
  body: number,
  end: number,
  key?: string,
): PutFields | undefined {
  if (recordType(bytes, body) !== RecordType.Put) return undefined;
  const table = state.entries;
  // The node name comes from the table: one string per node, however many entries are read.
  const entry = decodePut(bytes, body, end, state.nodes.names[table.node[slot]!]);
  if (key !== undefined && entry.key !== key) return undefined;
  entry.access = table.access[slot]!;
  entry.hits = table.hits[slot]!;
  return entry;
}

/**
 * The value of a blob kept in the journal (a copy the caller owns); `corrupt` when its record
 * no longer checks out; undefined when the blob is not in the journal (it is a file, or gone).
 */
export function inlineBlob(journal: JournalFile, state: IndexState, blob: string): InlineRead {
  const blobs = state.blobs;
  const slot = blobs.find(...blobPrint(blob));
  if (slot < 0 || blobs.at[slot]! < 0) return undefined;
  const record = journal.recordAt(blobs.at[slot]!, BLOB_RECORD_OVERHEAD + blobs.bytes[slot]!);
  return record ? blobValue(record.bytes, record.body, record.end, blob) : { corrupt: true };
}

/**
 * A key's entry, with its value when that is a Blob record written just before the entry's Put
 * (in the same append, as a new small value is): one read brings both. Otherwise `value` is
 * undefined and the caller reads the value.
 */
export function entryWithValue(
  journal: JournalFile,
  state: IndexState,
  key: string,
): { entry: PutFields; value?: InlineRead } | undefined {
  const slot = state.rowOf(...keyPrint(key));
  if (slot < 0) return undefined;
  const { entries: table, blobs } = state;
  const putAt = table.offset[slot]!;
  const blob = blobs.find(table.blobHi[slot]!, table.blobLo[slot]!);
  const blobAt = blob < 0 ? -1 : blobs.at[blob]!;
  if (blobAt < 0 || blobAt + BLOB_RECORD_OVERHEAD + blobs.bytes[blob]! !== putAt) {
    const entry = entryAt(journal, state, slot, key);
    return entry && { entry };
  }
  const bytes = journal.bytesAt(blobAt, putAt - blobAt + PUT_READ_BYTES);
  const put = scanRecord(bytes, putAt - blobAt, bytes.length);
  if (put.kind !== 'record') {
    // A Put longer than the read (a long node name), or damage: the entry alone, as usual.
    const entry = entryAt(journal, state, slot, key);
    return entry && { entry };
  }
  const entry = decodeEntry(state, slot, bytes, put.body, put.end, key);
  if (!entry) return undefined;
  const record = scanRecord(bytes, 0, putAt - blobAt);
  const value =
    record.kind === 'record'
      ? blobValue(bytes, record.body, record.end, entry.blob)
      : { corrupt: true as const };
  return { entry, value };
}
