/** RedisCache's options, and their checks. */
import { ConfigError } from '@memoflow/core/backend-kit';

export interface RedisCacheOptions {
  /**
   * The server: `redis://[user:password@]host[:port][/db]`, or `rediss://…` for TLS.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * A node-redis v5 client of your own (from `createClient`), used instead of `url`. It is
   * connected if it is not yet, and left open by `close()`: it is yours to close.
   * @default a client made from `url`
   */
  client?: unknown;
  /**
   * Every key this cache writes starts with it, so several projects (or branches) share one
   * server without seeing each other's entries; `clear()` removes only keys under it.
   * @default 'memoflow:'
   */
  prefix?: string;
  /** Milliseconds until an entry expires (Redis's own expiry), for entries stored without a `ttl` of their own. @default no expiry */
  ttl?: number;
  /**
   * A secret for HMAC-SHA256 tags: every entry written carries one over its key and bytes, and an
   * entry read without a valid one is a miss (counted in `info().rejected`), never served. Node
   * signatures (what misses are explained from) are tagged too, and one without a valid tag is
   * ignored with a warning. Give every writer and reader the same key; at least 16 bytes.
   * @default no signing: entries are checked by their CRC32 only
   */
  signingKey?: string | Uint8Array;
  /**
   * Read the cache, never write it: stores are skipped, and `delete`, `clear` and `prune` are
   * refused. For a job that must not be able to poison a shared cache (a pull request's CI).
   * @default false
   */
  readOnly?: boolean;
  /**
   * Milliseconds a command (or connecting) may take before the server counts as unreachable. A
   * command still unanswered then is not given up at once: the server is asked on a second
   * connection whether it answers and how many bytes the command moves, and if it answers, the
   * command gets this long again plus 1 ms per 4,000 bytes (a 300 MB value: 75 s more). A hung
   * server is thus found within two timeouts, and a large value on a slow link is not an outage.
   * Management commands (`info`, `prune`, `clear`, `verify`, `delete`) have the same deadline and
   * fail with a `BACKEND` error when they miss it.
   * @default 1000
   */
  timeout?: number;
  /** Milliseconds the cache waits, after the server became unreachable, before it tries it again. @default 1000 */
  retryAfter?: number;
  /**
   * Receives the cache's warnings: one per outage and a line when the server is back
   * (`MEMOFLOW_REDIS_UNREACHABLE`); a node signature (`<prefix>m:<node>`) ignored because it is
   * malformed or, with `signingKey`, not validly signed, once per key (`MEMOFLOW_REDIS_REJECTED`);
   * a value not stored because it is over the server's `proto-max-bulk-len` (512 MB by default),
   * once per node (`MEMOFLOW_REDIS_TOO_LARGE`).
   * @default process.emitWarning with the code named for each
   */
  onWarning?: (message: string) => void;
}

export interface CheckedOptions {
  prefix: string;
  ttl: number | undefined;
  signingKey: Uint8Array | undefined;
  readOnly: boolean;
  timeoutMs: number;
  retryAfterMs: number;
  warn: Warn;
}

/** Where a warning goes, with its code for `process.emitWarning`. */
export type Warn = (message: string, code: WarningCode) => void;
export type WarningCode =
  | 'MEMOFLOW_REDIS_UNREACHABLE'
  | 'MEMOFLOW_REDIS_REJECTED'
  | 'MEMOFLOW_REDIS_TOO_LARGE';

const MIN_SIGNING_KEY_BYTES = 16;

/** The options, checked, with their defaults filled in; a bad one is a ConfigError naming it and the fix. */
export function checkOptions(options: RedisCacheOptions): CheckedOptions {
  const where = 'RedisCache options';
  const positive = (value: unknown, name: string) => {
    if (value !== undefined && !(typeof value === 'number' && value > 0 && Number.isFinite(value))) {
      throw new ConfigError(
        `Invalid \`${name}\` ${JSON.stringify(value)} in ${where}: expected a positive number of milliseconds.`,
      );
    }
  };
  positive(options.ttl, 'ttl');
  positive(options.timeout, 'timeout');
  positive(options.retryAfter, 'retryAfter');
  if (options.url !== undefined && options.client !== undefined) {
    throw new ConfigError(`Both \`url\` and \`client\` in ${where}: give one (the client knows its server).`);
  }
  if (options.url !== undefined && !/^rediss?:\/\//.test(String(options.url))) {
    throw new ConfigError(
      `Invalid \`url\` ${JSON.stringify(options.url)} in ${where}: expected redis://host:port or rediss://host:port (TLS).`,
    );
  }
  if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix === '')) {
    throw new ConfigError(
      `Invalid \`prefix\` ${JSON.stringify(options.prefix)} in ${where}: expected a non-empty string (clear() removes every key under it).`,
    );
  }
  const signingKey =
    typeof options.signingKey === 'string' ? Buffer.from(options.signingKey, 'utf8') : options.signingKey;
  if (
    signingKey !== undefined &&
    !(signingKey instanceof Uint8Array && signingKey.length >= MIN_SIGNING_KEY_BYTES)
  ) {
    throw new ConfigError(
      `Invalid \`signingKey\` in ${where}: expected a string or bytes of at least ${MIN_SIGNING_KEY_BYTES} bytes (e.g. 32 random bytes, hex).`,
    );
  }
  return {
    prefix: options.prefix ?? 'memoflow:',
    ttl: options.ttl,
    signingKey,
    readOnly: options.readOnly === true,
    timeoutMs: options.timeout ?? 1_000,
    retryAfterMs: options.retryAfter ?? 1_000,
    warn: options.onWarning ?? ((message, code) => process.emitWarning(message, { code })),
  };
}
