/**
 * Compaction of DiskCache's journal: the live records are written to the next generation, the
 * current one is sealed, and what other processes appended meanwhile is copied after them.
 *
 *  1. Under `compact.lock`, write `journal-<n+1>` from the state (each live entry once, with its
 *     current access time and hits, and one Blob record of each small value an entry refers
 *     to), fsync it and rename it into place.
 *  2. Append a Seal record to `journal-<n>`. Readers that reach it move to `n+1`; a writer whose
 *     record landed after it writes that record again in `n+1`.
 *  3. Copy the records between the state's end and the Seal into `n+1`, then remove `journal-<n>`.
 *
 * Copied records land after newer ones, which replay's last-writer-wins order makes harmless.
 * A compactor killed between 1 and 2 leaves `n+1` unsealed-for: the next process to notice
 * finishes step 2 and 3, copying all of `n` (replaying it again changes nothing).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { owner, ownerGone, ownerTag } from '../temp.ts';
import { RECORD_HEADER_BYTES } from './journal.ts';
import { type JournalFile, journalPath } from './journal-file.ts';
import { clearRecord, metaRecord, retouchedPut, sealRecord, snapshotRecord } from './record-encoding.ts';
import { blobRecordPrint, putBlobPrint, RecordType, recordKeyPrint, recordType } from './record-fields.ts';
import { FORGET_AFTER_MS, type IndexState } from './state.ts';

const LOCK_STALE_MS = 10 * 60 * 1000;
const WRITE_CHUNK_BYTES = 1 << 20;
/**
 * The journal is compacted when it is this large and more than twice what its live entries
 * need. `MEMOFLOW_DISK_COMPACT_BYTES` sets it (tests use a small one to compact often).
 */
const COMPACT_MIN_BYTES = Number(process.env.MEMOFLOW_DISK_COMPACT_BYTES) || 4 << 20;

/**
 * Whether a journal of `size` bytes is due a compaction: past the threshold (and past it again
 * since a compaction failed at `failedAt`), and more than twice what its live entries need.
 */
export function compactionDue(size: number, state: IndexState, failedAt: number): boolean {
  if (size < COMPACT_MIN_BYTES || size < failedAt + COMPACT_MIN_BYTES) return false;
  const { putBytes, puts, entries, metaBytes, blobs } = state;
  const needed = entries.entries * (puts === 0 ? 200 : putBytes / puts) + metaBytes + blobs.inlineBytes;
  return size > 2 * needed + COMPACT_MIN_BYTES;
}

/**
 * Compacts the journal if no other process is compacting it. `from` is where the state's
 * replay reached (the caller has just read to the end). Returns whether it compacted.
 */
export function compact(journal: JournalFile, state: IndexState, from: number, now: number): boolean {
  const lock = takeLock(journal.dir);
  if (!lock) return false;
  try {
    if (journal.newerExists()) return false;
    const next = journal.generation + 1;
    // Named after this process: a compactor killed mid-way leaves a file the next open removes (../temp.ts).
    const temp = `${journalPath(journal.dir, next)}.tmp-${owner()}`;
    try {
      writeLive(journal, state, temp, now);
      fs.renameSync(temp, journalPath(journal.dir, next));
    } catch (error) {
      // A full disk: the partial generation would hold the space until someone removed it.
      fs.rmSync(temp, { force: true });
      throw error;
    }
    sealAndCopy(journal, next, from, now, state);
    return true;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/**
 * Finishes a compaction whose process died after renaming the next generation in: seals the
 * current one and copies all of it there. Returns whether it did (false: a compactor is alive).
 */
export function finishCompaction(journal: JournalFile, now: number): boolean {
  const lock = takeLock(journal.dir);
  if (!lock) return false;
  try {
    if (journal.newerExists()) sealAndCopy(journal, journal.generation + 1, 0, now);
    return true;
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function writeLive(journal: JournalFile, state: IndexState, temp: string, now: number): void {
  // One left by a dead process of the same pid goes first; 'wx' follows no link planted in its place.
  fs.rmSync(temp, { force: true });
  const fd = fs.openSync(temp, 'wx');
  try {
    const out = new Batch(fd);
    const young = (time: number) => now - time < FORGET_AFTER_MS;
    if (state.clearedAt > 0 && young(state.clearedAt)) out.push(clearRecord(state.clearedAt, undefined));
    for (const [node, time] of state.nodeClearedAt) if (young(time)) out.push(clearRecord(time, node));
    const table = state.entries;
    const blobs = state.blobs;
    journal.scan(0, (bytes, body, end, offset) => {
      const type = recordType(bytes, body);
      if (type === RecordType.Blob) {
        // The one copy the state uses, of a blob some entry still refers to.
        const slot = blobs.find(...blobRecordPrint(bytes, body));
        if (slot >= 0 && blobs.references[slot]! > 0 && blobs.at[slot] === offset)
          out.push(Buffer.from(bytes.subarray(body - RECORD_HEADER_BYTES, end)));
        return;
      }
      if (type !== RecordType.Put) return;
      // The entry's live record (dead rows point to their Delete record, and are not written).
      const slot = table.find(...recordKeyPrint(bytes, body));
      if (slot < 0 || table.offset[slot] !== offset || table.dead[slot] !== 0) return;
      out.push(retouchedPut(bytes, body - RECORD_HEADER_BYTES, end, table.access[slot]!, table.hits[slot]!));
    });
    for (const { time, signature } of state.meta.values())
      out.push(metaRecord(time, JSON.stringify(signature)));
    // Deleted entries are not written: the Snapshot keeps their older records, copied after it, out.
    out.push(snapshotRecord(now));
    out.flush();
    // The old generation is removed once this one is in place: make this one durable first.
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Seals the current generation and copies its records from `from` into `next`. `state`, the
 * one `next` was written from, tells which Blob records `next` lacks: a copied Put may refer to
 * a blob that had no entry when `next` was written (its writer saw the blob's record and did
 * not write it again), so that record is copied before the Put.
 */
function sealAndCopy(
  journal: JournalFile,
  next: number,
  from: number,
  now: number,
  state?: IndexState,
): void {
  journal.append(sealRecord(now, next));
  const fd = fs.openSync(journalPath(journal.dir, next), fs.constants.O_RDWR | fs.constants.O_APPEND);
  try {
    const out = new Batch(fd);
    const copiedBlobs = new Set<number>();
    journal.scan(from, (bytes, body, end) => {
      if (state && recordType(bytes, body) === RecordType.Put) {
        const { blobs } = state;
        const slot = blobs.find(...putBlobPrint(bytes, body));
        if (slot >= 0 && blobs.references[slot] === 0 && blobs.at[slot]! >= 0 && !copiedBlobs.has(slot)) {
          copiedBlobs.add(slot);
          const blob = journal.recordAt(blobs.at[slot]!);
          if (blob) out.push(Buffer.from(blob.bytes.subarray(blob.body - RECORD_HEADER_BYTES, blob.end)));
        }
      }
      out.push(Buffer.from(bytes.subarray(body - RECORD_HEADER_BYTES, end)));
    });
    out.flush();
  } finally {
    fs.closeSync(fd);
  }
  fs.rmSync(journal.path, { force: true });
}

/** Records gathered into writes of about a megabyte, each of whole records. */
class Batch {
  readonly #fd: number;
  #records: Buffer[] = [];
  #bytes = 0;

  constructor(fd: number) {
    this.#fd = fd;
  }

  push(record: Buffer): void {
    this.#records.push(record);
    this.#bytes += record.length;
    if (this.#bytes >= WRITE_CHUNK_BYTES) this.flush();
  }

  flush(): void {
    if (this.#bytes === 0) return;
    const data = Buffer.concat(this.#records, this.#bytes);
    for (let offset = 0; offset < data.length; ) offset += fs.writeSync(this.#fd, data, offset);
    this.#records = [];
    this.#bytes = 0;
  }
}

/**
 * `compact.lock`, created exclusively, holding `<pid> <time> <owner tag>`. One left by a dead
 * process of this boot and pid namespace, or older than 10 minutes, is taken over (the rule of
 * `../temp.ts`: a pid from another container says nothing here).
 */
function takeLock(dir: string): string | undefined {
  const path = join(dir, 'compact.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(path, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isStale(path)) return undefined;
      fs.rmSync(path, { force: true });
      continue;
    }
    try {
      fs.writeSync(fd, `${process.pid} ${Date.now()} ${ownerTag()}`);
      return path;
    } catch {
      // A full disk: no lock is better than an empty one that stalls compactions for a while.
      fs.rmSync(path, { force: true });
      return undefined;
    } finally {
      fs.closeSync(fd);
    }
  }
  return undefined;
}

function isStale(lock: string): boolean {
  let pid: number;
  let time: number;
  let tag: string | undefined;
  try {
    const [pidText, timeText, tagText] = fs.readFileSync(lock, 'utf8').split(' ');
    [pid, time, tag] = [Number(pidText), Number(timeText), tagText];
    // Unreadable contents: a lock being written this instant, or debris, stale once 10 s old.
    if (!Number.isInteger(pid) || !Number.isFinite(time))
      return Date.now() - fs.statSync(lock).mtimeMs > 10_000;
  } catch {
    return false;
  }
  return Date.now() - time >= LOCK_STALE_MS || ownerGone(pid, tag);
}
