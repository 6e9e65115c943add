/**
 * The largest value a Redis server accepts: its `proto-max-bulk-len`. A longer argument is not
 * refused politely: the server answers with a protocol error and closes the connection, which
 * would look like an outage. So RedisCache checks a value's size before sending it, and skips
 * (with a warning) one that is too large.
 */
import { ErrorReply } from 'redis';
import type { Warn } from './_options.ts';

/** Redis's default `proto-max-bulk-len`: 512 MB. */
export const DEFAULT_BULK_LIMIT = 512 * 1024 * 1024;
/** The smallest `proto-max-bulk-len` Redis accepts (1 MB): values up to it need no check. */
export const MIN_BULK_LIMIT = 1024 * 1024;

/** The server's limit, read once (`CONFIG GET`) when a value over 1 MB is first stored. */
export class BulkLimit {
  readonly #read: () => Promise<Record<string, unknown>>;
  readonly #warn: Warn;
  readonly #server: string;
  #limit: number | undefined;
  /** Nodes warned about: once each. */
  readonly #warned = new Set<string>();

  /** `read` runs `CONFIG GET proto-max-bulk-len` (within a deadline); `server` names it in warnings. */
  constructor(read: () => Promise<Record<string, unknown>>, warn: Warn, server: string) {
    this.#read = read;
    this.#warn = warn;
    this.#server = server;
  }

  /**
   * Whether a value of node `node`, `length` bytes as stored, may be sent; warns (once per node)
   * when not. Values up to MIN_BULK_LIMIT always may: callers skip the check for them.
   */
  async admits(node: string, length: number): Promise<boolean> {
    const limit = await this.#of();
    if (length <= limit) return true;
    if (!this.#warned.has(node)) {
      this.#warned.add(node);
      this.#warn(
        `memoflow: a value of node \`${node}\` is ${length} bytes stored, over the limit of Redis at ${this.#server} ` +
          `(proto-max-bulk-len, ${limit} bytes): it is not stored, and the call returns it all the same. ` +
          "Raise the server's proto-max-bulk-len, or give the node another cache (a DiskCache) or `cache: false`.",
        'MEMOFLOW_REDIS_TOO_LARGE',
      );
    }
    return false;
  }

  /** The limit in bytes, or `DEFAULT_BULK_LIMIT` when the server does not say. */
  async #of(): Promise<number> {
    if (this.#limit !== undefined) return this.#limit;
    try {
      const value = Number((await this.#read())['proto-max-bulk-len']);
      this.#limit = Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_BULK_LIMIT;
    } catch (error) {
      // A refusal (CONFIG renamed or not allowed to this user) is the server's answer: the
      // default is assumed from then on. No answer at all is asked again next time.
      if (!(error instanceof ErrorReply)) return DEFAULT_BULK_LIMIT;
      this.#limit = DEFAULT_BULK_LIMIT;
    }
    return this.#limit;
  }
}
