/**
 * The journal file of DiskCache's index: `index/journal-<generation>`, opened for appending by
 * every process that uses the cache. Appends need no lock: each is one `write` to a file opened
 * with O_APPEND. A compaction writes the next generation and ends the current one with a Seal
 * record; a reader that meets the Seal moves on to the next generation.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { isAbsent } from '../fs.ts';
import { RECORD_HEADER_BYTES, resync, scanRecord } from './journal.ts';
import { RecordType, recordType, sealNext } from './record-fields.ts';

/** Called with each intact record: its bytes, where its body starts and ends, and its offset in the file. */
type Visit = (bytes: Buffer, body: number, end: number, offset: number) => void;

const CHUNK_BYTES = 1 << 20;
const { O_APPEND, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR } = fs.constants;
/** A journal is never a link (a planted one would put the index elsewhere), and a FIFO does not block the open. */
const SAFE = O_NOFOLLOW | O_NONBLOCK;

export const journalPath = (dir: string, generation: number): string =>
  join(dir, `journal-${String(generation).padStart(10, '0')}`);
const JOURNAL_NAME = /^journal-(\d{10})$/;

/** The generations present in `dir`, oldest first. */
function generationsIn(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if (isAbsent(error)) return [];
    throw error;
  }
  return names
    .flatMap((name) => JOURNAL_NAME.exec(name)?.[1] ?? [])
    .map(Number)
    .sort((a, b) => a - b);
}

export class JournalFile {
  readonly dir: string;
  /** Opened for reading only: nothing is created or appended. */
  readonly readOnly: boolean;
  generation = 0;
  /** Damaged stretches skipped since this file was opened: each cost the entries whose records it held. */
  damaged = 0;
  #fd = -1;
  #position = 0;
  #buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  #scratch = Buffer.allocUnsafe(512);
  /** Where the last damaged stretch met ended. */
  #damageEnd = -1;

  /** `readOnly`: opens the newest journal for reading, and throws ENOENT if there is none. */
  constructor(dir: string, readOnly = false) {
    this.dir = dir;
    this.readOnly = readOnly;
    if (!readOnly) fs.mkdirSync(dir, { recursive: true });
    this.#openNewest();
  }

  get path(): string {
    return journalPath(this.dir, this.generation);
  }

  /**
   * Reads what was appended since the last call, passing each intact record to `visit`. Stops
   * at a Seal record and returns the generation it names: the caller moves there.
   */
  readNew(visit: Visit): number | undefined {
    let sealedTo: number | undefined;
    this.#position = this.#parse(
      this.#fd,
      this.#position,
      this.size(),
      this.#buffer,
      (bytes, body, end, offset) => {
        if (recordType(bytes, body) !== RecordType.Seal) {
          visit(bytes, body, end, offset);
          return true;
        }
        sealedTo = sealNext(bytes, body);
        return false;
      },
    );
    return sealedTo;
  }

  /**
   * Visits the intact records from `from` up to the first Seal (a compaction's reads), or up to
   * about `limit` bytes; returns where it stopped.
   */
  scan(from: number, visit: Visit, limit = Number.POSITIVE_INFINITY): number {
    const fd = this.#fd;
    const size = Math.min(this.size(), from + limit);
    // Damage met here was counted when the same bytes were read by `readNew`.
    const damaged = this.damaged;
    const stopped = this.#parse(
      fd,
      from,
      size,
      Buffer.allocUnsafe(CHUNK_BYTES),
      (bytes, body, end, offset) => {
        if (recordType(bytes, body) === RecordType.Seal) return false;
        visit(bytes, body, end, offset);
        return true;
      },
    );
    this.damaged = damaged;
    return stopped;
  }

  /**
   * The record at `offset`, read again (a hit reads its entry's record: the blob and full key are
   * there). `size`, when the caller knows it, saves a second read of a record over 512 bytes.
   */
  recordAt(offset: number, size = 0): { bytes: Buffer; body: number; end: number } | undefined {
    let bytes = this.bytesAt(offset, Math.max(size, 512));
    let scanned = scanRecord(bytes, 0, bytes.length);
    if (scanned.kind === 'partial' && bytes.length >= RECORD_HEADER_BYTES) {
      bytes = this.bytesAt(offset, RECORD_HEADER_BYTES + bytes.readUInt32LE(8));
      scanned = scanRecord(bytes, 0, bytes.length);
    }
    return scanned.kind === 'record' ? { bytes, body: scanned.body, end: scanned.end } : undefined;
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the file), in a buffer reused by the next call. */
  bytesAt(offset: number, length: number): Buffer {
    if (length > this.#scratch.length)
      this.#scratch = Buffer.allocUnsafe(Math.max(length, this.#scratch.length * 2));
    return this.#scratch.subarray(0, fs.readSync(this.#fd, this.#scratch, 0, length, offset));
  }

  /** Appends whole records with one write each (a write of more than `CHUNK_BYTES` is split between records). */
  append(records: Buffer): void {
    for (let offset = 0; offset < records.length; ) offset += fs.writeSync(this.#fd, records, offset);
  }

  size(): number {
    return fs.fstatSync(this.#fd).size;
  }

  /** Whether a later generation exists than the one open (a compaction renamed it in). */
  newerExists(): boolean {
    return fs.existsSync(journalPath(this.dir, this.generation + 1));
  }

  /** Opens `generation` (or the newest there is, if that one is gone already) and reads it from the start. */
  moveTo(generation: number): void {
    this.close();
    try {
      this.#fd = this.#open(journalPath(this.dir, generation), this.#mode);
      this.generation = generation;
    } catch (error) {
      if (!isAbsent(error)) throw error;
      this.#openNewest();
    }
    this.#position = 0;
    this.#damageEnd = -1;
  }

  close(): void {
    if (this.#fd >= 0) fs.closeSync(this.#fd);
    this.#fd = -1;
  }

  #openNewest(): void {
    for (;;) {
      const newest = generationsIn(this.dir).at(-1);
      if (newest === undefined && this.readOnly)
        throw Object.assign(new Error(`No index journal in ${this.dir}`), { code: 'ENOENT' });
      try {
        this.#fd =
          newest === undefined
            ? this.#open(journalPath(this.dir, 1), this.#mode | O_CREAT | O_EXCL)
            : this.#open(journalPath(this.dir, newest), this.#mode);
        this.generation = newest ?? 1;
        this.#position = 0;
        return;
      } catch (error) {
        // Another process created the first journal, or a compaction removed this one: look again.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && !isAbsent(error)) throw error;
      }
    }
  }

  get #mode(): number {
    return this.readOnly ? O_RDONLY : O_RDWR | O_APPEND;
  }

  /** Opens a journal generation, which must be a regular file. */
  #open(path: string, flags: number): number {
    const fd = fs.openSync(path, flags | SAFE);
    let file = false;
    try {
      file = fs.fstatSync(fd).isFile();
    } finally {
      if (!file) fs.closeSync(fd);
    }
    if (!file) throw new Error(`${path} is not a regular file (a directory, a FIFO or a device): remove it`);
    return fd;
  }

  /**
   * Walks the records in [from, size): intact ones go to `visit` (false stops the walk), damaged
   * stretches are skipped to the next record that checks out. A record cut off at the end of the
   * file is a write still under way (or one a kill cut short): the walk stops before it, unless
   * an intact record follows it. Returns the offset where the walk stopped.
   */
  #parse(
    fd: number,
    from: number,
    size: number,
    initial: Buffer,
    visit: (bytes: Buffer, body: number, end: number, offset: number) => boolean,
  ): number {
    let buffer = initial;
    let position = from;
    while (position < size) {
      const length = fs.readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
      if (length === 0) break;
      const atEnd = position + length >= size;
      let at = 0;
      let stop = false;
      while (at < length && !stop) {
        const scanned = scanRecord(buffer, at, length);
        if (scanned.kind === 'record') {
          stop = !visit(buffer, scanned.body, scanned.end, position + at);
          at = scanned.end;
        } else if (scanned.kind === 'damaged') {
          // A stretch cut off at the end of the last read is the same damage, counted once.
          if (position + at !== this.#damageEnd) this.damaged++;
          at = resync(buffer, at, length);
          this.#damageEnd = position + at;
        } else if (!atEnd) {
          break;
        } else {
          const next = resync(buffer, at, length);
          if (next >= length || scanRecord(buffer, next, length).kind !== 'record') break;
          this.damaged++;
          at = next;
        }
      }
      if (stop) return position + at;
      if (at === 0) {
        if (atEnd) break;
        // A record longer than the buffer: read it whole.
        buffer = Buffer.allocUnsafe(
          Math.max(buffer.length * 2, RECORD_HEADER_BYTES + buffer.readUInt32LE(8)),
        );
        continue;
      }
      position += at;
    }
    return position;
  }
}
