/**
 * The storage contract every cache backend implements. Core hashes and serializes; a backend stores
 * opaque bytes under hex keys, and remembers the last signature it saw for each node so a miss can
 * be explained.
 */

import type { RunRecord, RunSummary } from '../report/index.ts';

/** Everything that went into one signature, kept per node so "why did it miss?" can be answered. */
export interface NodeSignature {
  /** The node (or memoized function) name. */
  node: string;
  /** The portable hex key: H("memoflow/v2" | code | env | inputs | deps). */
  key: string;
  codeHash: string;
  envHash: string;
  inputsHash: string;
  depsHash: string;
  /** Content hash of the stored result, once there is one. */
  outputHash?: string;
  /** Milliseconds since the epoch when this signature was recorded. */
  timestamp: number;
  /** How long the computation took, in milliseconds. */
  computeMs?: number;
  /** Hash of each piece of code that went into `codeHash` (`<self>`, helper names, `./mod.ts#name`). */
  codeParts?: Record<string, string>;
  /** `name@version` of each npm package in `envHash`, and each declared env var's hashed value. */
  envParts?: Record<string, string>;
  /** Hash of each argument (by parameter name) that went into `inputsHash`. */
  inputParts?: Record<string, string>;
  /** Output hash of each upstream node (by name) that went into `depsHash`. */
  depsParts?: Record<string, string>;
}

/** What the caller knows about a blob when it stores it. */
export interface EntryInfo {
  /** The node that produced the value. */
  node: string;
  /** Milliseconds the computation took. */
  computeMs?: number;
  /** Milliseconds until the entry expires; none means it does not. */
  ttl?: number;
  /**
   * The live value the bytes encode. In-process backends may keep it and hand it back from
   * `peek()`, skipping deserialization on a hit; persistent backends ignore it.
   */
  value?: unknown;
  /** The content hash of the bytes, when the caller computed it; in-process backends hand it back from `peek()`. */
  outputHash?: string;
}

/** One stored entry, as listed by `entries()` and `info()`. */
export interface EntryRecord {
  key: string;
  node: string;
  /** Size of the stored bytes. */
  bytes: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch of the last read, as far as the backend tracks it. */
  lastAccess: number;
  /** Milliseconds since the epoch when the entry expires, if it does. */
  expiresAt?: number;
  computeMs?: number;
  /** Reads served from this entry, as far as the backend tracks them. */
  hits: number;
}

/** Per-node totals in `info()`. */
export interface NodeUsage {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

/** What a backend holds: the data behind a `cache info` table. */
export interface CacheInfo {
  backend: string;
  /** Where the data lives (a directory, a URL without credentials), if anywhere. */
  location?: string;
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  nodes: Record<string, NodeUsage>;
  oldest?: EntryRecord;
  newest?: EntryRecord;
  /** The 10 most recently created entries, newest first. */
  recent: EntryRecord[];
}

/** Limits for `prune()`; entries are removed least recently used first until every limit holds. */
export interface PruneOptions {
  maxBytes?: number;
  maxEntries?: number;
  /** Milliseconds: entries not read or written for longer are removed. */
  maxAge?: number;
  /** Report what would be removed without removing it. @default false */
  dryRun?: boolean;
  /**
   * Also return a record of each entry removed, in `removed`. Off by default: pruning half of a
   * million entries would return half a million records (≈100 MB).
   * @default false
   */
  list?: boolean;
}

/** What `prune()` removed (with `dryRun`: would remove). */
export interface PruneResult {
  entries: number;
  bytes: number;
  /** Entries and bytes removed, per node. */
  nodes: Record<string, { entries: number; bytes: number }>;
  /** With `list: true`: the entries removed, in the order they went. */
  removed?: EntryRecord[];
}

/** Reports work under way: `done` of `total` items (entries checked, values written or read). */
export type OnProgress = (done: number, total: number) => void;

/** What `verify()` found, and removed. */
export interface VerifyReport {
  /** Entries checked. */
  checked: number;
  /** Distinct stored values re-hashed (blob files, and small values kept in an index). */
  blobs: number;
  /** Keys of entries removed because their blob was damaged (wrong hash, length or checksum). */
  corrupt: string[];
  /** Keys of entries removed because their blob file was gone. */
  missing: string[];
  /** Blob files no entry referenced, removed. */
  orphans: number;
  /** Damaged stretches of an index skipped (each cost the entries whose records it held), then rewritten without them. */
  damagedRecords: number;
  /** Whether everything was intact. */
  ok: boolean;
}

/** A live value an in-process backend kept next to its bytes. */
export interface LiveEntry {
  value: unknown;
  /** The content hash of the bytes, if it was given when storing. */
  outputHash?: string;
  /** The stored compute time, if it was given when storing. */
  computeMs?: number;
  /** The stored bytes, if the backend keeps them. */
  bytes?: Uint8Array;
}

/**
 * What storage must do: bytes under keys, node signatures, lookups, removal, cleanup. A backend
 * that implements this and `entries()` can have the rest from the kit's `ListedCache`.
 */
export interface CacheStore {
  /** Short name for reports: "memory", "disk", "redis", … */
  readonly name: string;
  /** The last signature recorded for a node, or undefined. */
  getMeta(node: string): Promise<NodeSignature | undefined>;
  setMeta(sig: NodeSignature): Promise<void>;
  /**
   * The stored bytes, owned by the caller (a backend that keeps bytes in memory returns a copy):
   * a decoded value may be a view into them. A miss (absent, expired, corrupt) is undefined, never a throw.
   */
  getBlob(key: string): Promise<Uint8Array | undefined>;
  setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void>;
  /** One lookup for many keys, in order: how a pipeline asks for its frontier. */
  getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]>;
  has(key: string): Promise<boolean>;
  /** Removes one entry; true if it existed. */
  delete(key: string): Promise<boolean>;
  /** Removes every entry (and meta), or one node's only. */
  clear(options?: { node?: string }): Promise<void>;
  /** Releases handles and connections; the backend is not used afterwards. */
  close(): Promise<void>;
  /**
   * Optional, synchronous on purpose: an in-process backend returns the live value stored with
   * a key (see `EntryInfo.value`), so a hit costs a map lookup instead of a deserialization.
   */
  peek?(key: string): LiveEntry | undefined;
  /**
   * Optional: the compute time stored with each key (`EntryInfo.computeMs`), in order; undefined
   * where none was stored or the key is absent. A run asks it for the items of a mapped node that
   * hit in `getMany`, to report the time they saved; without it, those report none.
   */
  computeTimes?(keys: readonly string[]): Promise<(number | undefined)[]>;
  /**
   * Optional: the history of runs this cache keeps (`historyOf(cache)` reads it). A Runner records
   * each run's report here; `memoflow runs` and `memoflow ui` read it back. A backend without one
   * records no runs.
   */
  readonly runs?: RunHistoryStore;
}

/**
 * Where a cache keeps the reports of past runs, newest first, bounded. Records are plain JSON;
 * ids are the Runner's (`RUN_ID_PATTERN`), so they sort as the runs started.
 */
export interface RunHistoryStore {
  /**
   * Adds `record`, then removes the oldest records beyond the newest `keep`. Another process
   * appending at the same time loses nothing among the newest `keep`. A read-only cache records nothing.
   */
  appendRun(record: RunRecord, keep: number): Promise<void>;
  /** Summaries of the newest records, newest first: `limit` of them. @default limit: all kept */
  listRuns(options?: { limit?: number }): Promise<RunSummary[]>;
  /** The record of run `id`, or undefined when it is not kept (or `id` is not a run id). */
  getRun(id: string): Promise<RunRecord | undefined>;
}

/**
 * What `memoflow cache info | prune | verify` run on. The kit derives `info()`, `prune()` and
 * `verify()` from `entries()` (`ListedCache`); a backend that can do better (totals it keeps,
 * a native removal, an integrity check of its own) implements them itself.
 */
export interface CacheManagement {
  /** Every live entry, optionally only one node's. */
  entries(options?: { node?: string }): AsyncIterable<EntryRecord>;
  info(): Promise<CacheInfo>;
  prune(options: PruneOptions): Promise<PruneResult>;
  /** Re-checks every entry (re-hashing its stored bytes); removes and reports bad ones. */
  verify(options?: { onProgress?: OnProgress }): Promise<VerifyReport>;
}

/** A cache backend: storage and its management. Core reads and writes it; the CLI manages it. */
export interface CacheBackend extends CacheStore, CacheManagement {}

/** Keys are lowercase hex digests; anything else is refused before it can reach a path or a command. */
export const KEY_PATTERN = /^[0-9a-f]{16,128}$/;
