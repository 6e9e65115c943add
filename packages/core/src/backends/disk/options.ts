/** A DiskCache's options, checked and resolved when it is made, and what its `info()` adds. */
import { join, resolve } from 'node:path';
import { ConfigError, quote } from '../../errors.ts';
import type { CacheInfo } from '../contract.ts';
import { assertLimit, assertTtl } from '../kit/index.ts';
import type { IndexLimits } from './index/index.ts';

export interface DiskCacheOptions {
  /**
   * The cache directory, resolved against the working directory when the cache is created.
   * Created on the first write.
   * @default process.env.MEMOFLOW_CACHE_DIR ?? '.memoflow'
   */
  dir?: string;
  /** Milliseconds until an entry expires, for entries stored without a `ttl` of their own. @default no expiry */
  ttl?: number;
  /** Bytes of stored values the cache keeps; on every write, least recently used entries go first. @default no limit */
  maxBytes?: number;
  /** Entries the cache keeps; enforced on every write, least recently used first. @default no limit */
  maxEntries?: number;
  /** Milliseconds an entry may go unused; older ones are removed on every write. @default no limit */
  maxAge?: number;
  /**
   * Values of at most this many bytes are kept in the index journal instead of a blob file of
   * their own: a store is one append, and removing one deletes no file. Larger values get a file
   * (read and written without a copy of the journal's). 0 puts every value in a file.
   * @default 4096
   */
  maxInlineBytes?: number;
  /**
   * Read the cache and never write it: hits are served; stores, deletes, clears, prunes and
   * imports change nothing (import() throws), verify() reports without removing, and hits are not
   * recorded. For a cache on a read-only mount, or shared and kept by someone else. Without it, a
   * cache whose files cannot be written (EROFS, EACCES, EPERM) becomes read-only by itself, with
   * one warning (`MEMOFLOW_DISK_READ_ONLY`).
   * @default false
   */
  readOnly?: boolean;
}

/** `info()` of a DiskCache: the common totals, plus what only a disk has. */
export interface DiskCacheInfo extends CacheInfo {
  /** The absolute cache directory. */
  location: string;
  /** Corrupt, truncated or unreadable entries this instance found (each was a miss and was removed). */
  corrupt: number;
}

/** Below a file system block (4 KiB on most), a file of its own costs a value more than its bytes. */
const DEFAULT_MAX_INLINE_BYTES = 4096;
/** The journal's records stay small: a value this large is always a file. */
const MAX_INLINE_BYTES = 1 << 20;

/** DiskCacheOptions checked, with their defaults, and the paths under the directory. */
export interface DiskSettings {
  /** The absolute cache directory. */
  dir: string;
  ttl: number | undefined;
  limits: IndexLimits;
  maxInlineBytes: number;
  readOnly: boolean;
  /** `<dir>/v4/blobs`: one file per large value. */
  blobs: string;
  /** `<dir>/v4/tmp`: files being written, renamed into place when whole. */
  temp: string;
  /** `<dir>/v4/index`: the journal. */
  index: string;
}

/** Checks `options` (a ConfigError names the first bad one) and resolves the directory against the working directory. */
export function diskSettings(options: DiskCacheOptions): DiskSettings {
  const where = 'DiskCache options';
  assertTtl(options.ttl, where);
  assertLimit(options.maxBytes, 'maxBytes', where);
  assertLimit(options.maxEntries, 'maxEntries', where);
  assertLimit(options.maxAge, 'maxAge', where);
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new ConfigError(`Invalid \`dir\` ${quote(options.dir)} in ${where}: expected a directory path.`);
  }
  const inline = options.maxInlineBytes;
  if (inline !== undefined && !(Number.isSafeInteger(inline) && inline >= 0 && inline <= MAX_INLINE_BYTES)) {
    throw new ConfigError(
      `Invalid \`maxInlineBytes\` ${quote(inline)} in ${where}: expected an integer from 0 to ${MAX_INLINE_BYTES}.`,
    );
  }
  if (options.readOnly !== undefined && typeof options.readOnly !== 'boolean') {
    throw new ConfigError(
      `Invalid \`readOnly\` ${quote(options.readOnly)} in ${where}: expected true or false.`,
    );
  }
  const dir = resolve(options.dir ?? (process.env.MEMOFLOW_CACHE_DIR || '.memoflow'));
  const root = join(dir, 'v4');
  return {
    dir,
    ttl: options.ttl,
    limits: {
      maxBytes: options.maxBytes ?? Number.POSITIVE_INFINITY,
      maxEntries: options.maxEntries ?? Number.POSITIVE_INFINITY,
      maxAge: options.maxAge ?? Number.POSITIVE_INFINITY,
    },
    maxInlineBytes: inline ?? DEFAULT_MAX_INLINE_BYTES,
    readOnly: options.readOnly ?? false,
    blobs: join(root, 'blobs'),
    temp: join(root, 'tmp'),
    index: join(root, 'index'),
  };
}
