/**
 * The index of DiskCache: an LMDB environment (via lmdb-js, whose prebuilt binaries install from
 * the npm registry). LMDB is transactional and safe for many processes at once: writers take a
 * lock, readers read a consistent snapshot without one, and a process killed mid-transaction
 * leaves the last committed state. Lookups are ≈2 µs at 1,000,000 entries; a full scan of
 * 1,000,000 entries takes about a second. docs/architecture.md has the measurements behind
 * the choice.
 */
import fs from 'node:fs';
import { type Database, open, type RootDatabase } from 'lmdb';
import type { NodeSignature } from './backend.ts';

/** One entry: a signature key → the blob holding its value, and what management needs. */
export interface IndexRow {
  /** The blob: sha256 of the stored bytes. */
  o: string;
  /** Node name. */
  n: string;
  /** Bytes. */
  b: number;
  /** Created, ms since the epoch. */
  c: number;
  /** Expires, ms since the epoch; 0: never. */
  e: number;
  /** Compute time in ms; -1: unknown. */
  m: number;
  /** Last access, ms since the epoch. */
  a: number;
  /** Hits. */
  h: number;
}

/** A time and a key, ordered by time: the keys of the LRU, creation and expiry orders. */
const timeKey = (time: number, key: string) =>
  `${String(Math.max(0, Math.floor(time))).padStart(15, '0')}:${key}`;
const accessKey = timeKey;
const keyOfAccess = (access: string) => access.slice(16);

const HEX_64 = /^[0-9a-f]{64}$/;

/** Whether a decoded value has the shape of a row: a damaged page must not pass for one. */
function isRow(value: unknown): value is IndexRow {
  const row = value as IndexRow;
  return (
    typeof row === 'object' &&
    row !== null &&
    typeof row.o === 'string' &&
    HEX_64.test(row.o) &&
    typeof row.n === 'string' &&
    typeof row.b === 'number' &&
    typeof row.c === 'number' &&
    typeof row.e === 'number' &&
    typeof row.a === 'number' &&
    typeof row.h === 'number'
  );
}

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

/** Blob hashes whose last entry went (their files are removed under the write lock). */
type Release = (hash: string) => void;

export class DiskIndex {
  readonly #root: RootDatabase;
  readonly #entries: Database<IndexRow, string>;
  readonly #access: Database<number, string>;
  readonly #blobs: Database<number, string>;
  readonly #meta: Database<NodeSignature, string>;
  readonly #totals: Database<number, string>;
  /** Node → its entries and bytes, kept with every write: `info()` reads these instead of scanning. */
  readonly #nodes: Database<NodeTotals, string>;
  /** `<created>:<key>`: the oldest and newest entries without a scan. */
  readonly #created: Database<number, string>;
  /** `<expires>:<key>` for entries with a ttl: what has expired, without a scan. */
  readonly #expiring: Database<number, string>;

  constructor(path: string) {
    fs.mkdirSync(path, { recursive: true });
    this.#root = open({ path, maxDbs: 16 });
    this.#entries = this.#root.openDB<IndexRow, string>('entries', { encoding: 'msgpack' });
    this.#access = this.#root.openDB<number, string>('access', { encoding: 'msgpack' });
    this.#blobs = this.#root.openDB<number, string>('blobs', { encoding: 'msgpack' });
    this.#meta = this.#root.openDB<NodeSignature, string>('meta', { encoding: 'msgpack' });
    this.#totals = this.#root.openDB<number, string>('totals', { encoding: 'msgpack' });
    this.#nodes = this.#root.openDB<NodeTotals, string>('nodes', { encoding: 'msgpack' });
    this.#created = this.#root.openDB<number, string>('created', { encoding: 'msgpack' });
    this.#expiring = this.#root.openDB<number, string>('expiring', { encoding: 'msgpack' });
  }

  /** The row of a key; a row that does not decode as one (a damaged page) is dropped and reads as absent. */
  get(key: string): IndexRow | undefined {
    let row: unknown;
    try {
      row = this.#entries.get(key);
    } catch {
      row = null;
    }
    if (row === undefined || isRow(row)) return row;
    this.#entries.remove(key).catch(() => {});
    return undefined;
  }

  getMeta(node: string): NodeSignature | undefined {
    return this.#meta.get(node);
  }

  setMeta(signature: NodeSignature): Promise<boolean> {
    return this.#meta.put(signature.node, signature);
  }

  /** How many entries point to a blob. */
  references(blob: string): number {
    return this.#blobs.get(blob) ?? 0;
  }

  /** Each node's entries and bytes, as kept transactionally. */
  nodeTotals(): Record<string, NodeTotals> {
    const nodes: Record<string, NodeTotals> = {};
    for (const { key, value } of this.#nodes.getRange()) nodes[key] = value;
    return nodes;
  }

  /** Keys by creation time: the oldest first, or the newest first with `newest`. */
  *byCreation(newest = false, limit = Number.POSITIVE_INFINITY): Generator<string> {
    for (const created of this.#created.getKeys({ reverse: newest, limit })) yield keyOfAccess(created);
  }

  /** Removes the entries whose ttl has run out (a write only when there are some). */
  async purgeExpired(now: number, release: Release): Promise<void> {
    if ([...this.#expiring.getKeys({ end: timeKey(now, ''), limit: 1 })].length === 0) return;
    await this.#root.transaction(() => this.#purgeExpired(now, release));
  }

  /** Unique blob bytes and entries, as kept transactionally. */
  totals(): { bytes: number; entries: number } {
    return { bytes: this.#totals.get('bytes') ?? 0, entries: this.#totals.get('entries') ?? 0 };
  }

  /** Every row, optionally one node's, in key order; rows that do not decode are skipped (and dropped). */
  *rows(node?: string): Generator<[string, IndexRow]> {
    let last: string | undefined;
    try {
      for (const { key, value } of this.#entries.getRange()) {
        last = key;
        if (isRow(value) && (node === undefined || value.n === node)) yield [key, value];
      }
      return;
    } catch {
      // A value that does not decode ends the fast scan: go on key by key past it.
    }
    for (const key of this.#entries.getKeys(last === undefined ? {} : { start: last })) {
      if (key === last) continue;
      const row = this.get(key);
      if (row && (node === undefined || row.n === node)) yield [key, row];
    }
  }

  /** Recomputes the totals from the rows and blob references: after damage, or a process killed mid-way. */
  recount(): Promise<void> {
    return this.#root.transaction(() => {
      let entries = 0;
      let bytes = 0;
      const counted = new Set<string>();
      for (const [, row] of this.rows()) {
        entries++;
        if (!counted.has(row.o)) bytes += row.b;
        counted.add(row.o);
      }
      this.#totals.put('entries', entries);
      this.#totals.put('bytes', bytes);
      // The orders, blob references and per-node totals are derived from the rows: rebuild them too.
      const derived = [this.#access, this.#created, this.#expiring, this.#nodes, this.#blobs];
      for (const db of derived as Database<unknown, string>[]) {
        for (const key of [...db.getKeys()]) db.remove(key);
      }
      for (const [key, row] of this.rows()) {
        this.#blobs.put(row.o, (this.#blobs.get(row.o) ?? 0) + 1);
        this.#access.put(accessKey(row.a, key), 1);
        this.#created.put(timeKey(row.c, key), 1);
        if (row.e !== 0) this.#expiring.put(timeKey(row.e, key), 1);
        this.#addToNode(row.n, 1, row.b);
      }
    });
  }

  /** Keys of entries whose ttl ran out by `now`, soonest first. */
  *expiredKeys(now: number): Generator<string> {
    for (const expiring of this.#expiring.getKeys({ end: timeKey(now, '') })) yield keyOfAccess(expiring);
  }

  /** Keys from least to most recently used. */
  *leastRecentlyUsed(): Generator<string> {
    for (const access of this.#access.getKeys()) yield keyOfAccess(access);
  }

  /**
   * Records an entry, in one write transaction: the previous row of the key (if any) is
   * replaced, blob reference counts and totals follow, and then the limits are enforced.
   * `ensureBlob` runs under the write lock when the blob gains its first reference.
   */
  put(
    key: string,
    row: IndexRow,
    limits: IndexLimits,
    accesses: ReadonlyMap<string, Access>,
    ensureBlob: () => void,
    release: Release,
  ): Promise<void> {
    return this.#root.transaction(() => {
      // Reads not written yet count for the LRU order this write's eviction walks.
      this.#applyAccesses(accesses);
      const previous = this.#entries.get(key);
      if (previous) this.#forgetOrders(key, previous);
      else this.#add('entries', 1);
      if (previous?.o !== row.o) {
        const references = this.#blobs.get(row.o) ?? 0;
        if (references === 0) {
          this.#add('bytes', row.b);
          // Another process may have removed this blob's file since it was written: make sure it is there.
          ensureBlob();
        }
        this.#blobs.put(row.o, references + 1);
        if (previous) this.#release(previous, release);
      }
      this.#entries.put(key, row);
      this.#access.put(accessKey(row.a, key), 1);
      this.#created.put(timeKey(row.c, key), 1);
      if (row.e !== 0) this.#expiring.put(timeKey(row.e, key), 1);
      this.#addToNode(row.n, 1, row.b);
      this.#purgeExpired(row.a, release);
      this.#enforce(limits, row.a, release);
    });
  }

  /** Removes entries, in one write transaction. */
  remove(keys: readonly string[], release: Release): Promise<void> {
    return this.#root.transaction(() => {
      for (const key of keys) this.#removeEntry(key, release);
    });
  }

  /** Applies access times and hit counts gathered in memory (hits never write on their own). */
  touch(accesses: ReadonlyMap<string, Access>): Promise<void> {
    return this.#root.transaction(() => this.#applyAccesses(accesses));
  }

  #applyAccesses(accesses: ReadonlyMap<string, Access>): void {
    for (const [key, { time, hits }] of accesses) {
      const row = this.#entries.get(key);
      if (!row || time <= row.a) continue;
      this.#access.remove(accessKey(row.a, key));
      this.#entries.put(key, { ...row, a: time, h: row.h + hits });
      this.#access.put(accessKey(time, key), 1);
    }
  }

  /** Removes every entry and blob reference, or one node's, in one write transaction. */
  clear(node: string | undefined, release: Release): Promise<void> {
    return this.#root.transaction(() => {
      // Keys are collected before removing: a cursor is not walked while its rows are deleted.
      const keys =
        node === undefined ? [...this.#entries.getKeys()] : [...this.rows(node)].map(([key]) => key);
      for (const key of keys) this.#removeEntry(key, release);
      const nodes = node === undefined ? [...this.#meta.getKeys()] : [node];
      for (const name of nodes) this.#meta.remove(name);
    });
  }

  close(): Promise<void> {
    return this.#root.close();
  }

  #enforce(limits: IndexLimits, now: number, release: Release): void {
    const cutoff = now - limits.maxAge;
    const within = () => {
      const { bytes, entries } = this.totals();
      return bytes <= limits.maxBytes && entries <= limits.maxEntries;
    };
    if (within() && limits.maxAge === Number.POSITIVE_INFINITY) return;
    // Oldest access first, in batches: a cursor is not walked while its rows are deleted.
    for (;;) {
      const batch = [...this.#access.getKeys({ limit: 256 })];
      if (batch.length === 0) return;
      for (const access of batch) {
        const key = keyOfAccess(access);
        const row = this.#entries.get(key);
        if (!row) {
          this.#access.remove(access);
          continue;
        }
        if (row.a >= cutoff && within()) return;
        this.#removeEntry(key, release);
      }
    }
  }

  #removeEntry(key: string, release: Release): void {
    const row = this.#entries.get(key);
    if (!row) return;
    this.#entries.remove(key);
    this.#forgetOrders(key, row);
    this.#add('entries', -1);
    this.#release(row, release);
  }

  /** Takes a row out of the orders and per-node totals (before it is replaced or removed). */
  #forgetOrders(key: string, row: IndexRow): void {
    this.#access.remove(accessKey(row.a, key));
    this.#created.remove(timeKey(row.c, key));
    if (row.e !== 0) this.#expiring.remove(timeKey(row.e, key));
    this.#addToNode(row.n, -1, -row.b);
  }

  #addToNode(node: string, entries: number, bytes: number): void {
    const totals = this.#nodes.get(node) ?? { entries: 0, bytes: 0 };
    totals.entries += entries;
    totals.bytes += bytes;
    if (totals.entries > 0) this.#nodes.put(node, totals);
    else this.#nodes.remove(node);
  }

  /** Removes entries whose ttl ran out, oldest expiry first: only those, however large the index. */
  #purgeExpired(now: number, release: Release): void {
    const end = timeKey(now, '');
    for (;;) {
      const batch = [...this.#expiring.getKeys({ end, limit: 256 })];
      if (batch.length === 0) return;
      for (const expiring of batch) {
        const key = keyOfAccess(expiring);
        if (this.#entries.get(key)) this.#removeEntry(key, release);
        else this.#expiring.remove(expiring);
      }
    }
  }

  #release(row: IndexRow, release: Release): void {
    const references = (this.#blobs.get(row.o) ?? 1) - 1;
    if (references > 0) {
      this.#blobs.put(row.o, references);
      return;
    }
    this.#blobs.remove(row.o);
    this.#add('bytes', -row.b);
    release(row.o);
  }

  #add(total: 'bytes' | 'entries', delta: number): void {
    this.#totals.put(total, (this.#totals.get(total) ?? 0) + delta);
  }
}
