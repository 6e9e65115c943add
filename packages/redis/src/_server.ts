/**
 * RedisCache's way to its server: the connections, the circuit breaker the hit path goes through,
 * the deadline-bound client management goes through, and the one shape of their failures.
 */
import { type BackendError, backendFailure, ConfigError } from '@memoflow/core/backend-kit';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { Breaker } from './_breaker.ts';
import { BulkLimit } from './_bulk-limit.ts';
import { type Client, Connections, locationOf } from './_connection.ts';
import { answerInTime } from './_deadline.ts';
import { type ManagementClient, managementClient } from './_management.ts';
import type { CheckedOptions, RedisCacheOptions } from './_options.ts';

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** Whether an error means the server could not be reached (as opposed to an answer refusing the command). */
function isOutage(error: unknown): boolean {
  return !(error instanceof ErrorReply) || error.message.startsWith('LOADING');
}

export class Server {
  /** The server's URL, without credentials. */
  readonly location: string;
  readonly client: Client;
  /** The same connection, answering values as bytes. */
  readonly binary: Client;
  readonly breaker: Breaker;
  /** The server's largest value (`proto-max-bulk-len`), asked when a large one is stored. */
  readonly bulkLimit: BulkLimit;
  readonly #connections: Connections;
  readonly #timeoutMs: number;
  readonly #readOnly: boolean;

  constructor(options: RedisCacheOptions, checked: CheckedOptions) {
    this.#timeoutMs = checked.timeoutMs;
    this.#readOnly = checked.readOnly;
    const client =
      (options.client as Client | undefined) ??
      createClient({
        url: options.url ?? DEFAULT_URL,
        // Commands fail at once while disconnected, instead of queueing behind a dead server.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: checked.timeoutMs,
          reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, checked.retryAfterMs),
        },
      });
    this.#connections = new Connections(client, options.client === undefined, checked.timeoutMs);
    this.client = client;
    // node-redis's own per-command timeout ends only while a command waits to be sent, and costs
    // a hit more than the round trip: deadlines are _deadline.ts's.
    this.binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as Client;
    this.location = locationOf(options.url, client, DEFAULT_URL);
    this.bulkLimit = new BulkLimit(
      async () =>
        answerInTime((await this.#connections.ready()).configGet('proto-max-bulk-len'), this.#timeoutMs),
      checked.warn,
      this.location,
    );
    this.breaker = new Breaker({
      retryAfterMs: checked.retryAfterMs,
      warn: checked.warn,
      server: this.location,
    });
  }

  /**
   * Runs a command of the hit path through the circuit breaker: while the server is unreachable
   * the answer is `fallback` (a miss, or a write not made), at once. An answer refusing the
   * command (a wrong password, a read-only replica, out of memory) is a BackendError. `keys`
   * (read) and `bytes` (written) size the command's deadline when it is late (_deadline.ts).
   */
  guarded<T>(command: () => Promise<T>, fallback: T, keys: readonly string[] = [], bytes = 0): Promise<T> {
    const inTime = () => answerInTime(command(), this.#timeoutMs, this.#connections.probe(keys, bytes));
    // Connected (the usual case): the command at once, no other await.
    const attempt = () => (this.client.isReady ? inTime() : this.#connections.ready().then(inTime));
    return this.breaker.run(attempt, fallback, (error) =>
      isOutage(error) ? undefined : this.failure('failed', error),
    );
  }

  /**
   * The client for a management command, which fails (rather than answering nothing) when the
   * server is unreachable, and whose every command has a deadline. `writes`: refused on a
   * read-only cache.
   */
  async managed(what: string, writes: boolean): Promise<ManagementClient> {
    if (writes && this.#readOnly) {
      throw new ConfigError(
        `${what} on a read-only RedisCache (${this.location}): open it without \`readOnly\` to change it.`,
      );
    }
    try {
      await this.#connections.ready();
    } catch (error) {
      throw this.failure(`is unreachable for ${what}`, error);
    }
    return managementClient(this.client, this.binary, (command, answer, bytes = 0) =>
      answerInTime(answer, this.#timeoutMs, this.#connections.probe([], bytes)).catch((error: unknown) => {
        throw this.failure(`failed on ${command} for ${what}`, error);
      }),
    );
  }

  /** A BackendError saying what the server did (`failed on SCAN for info()`), with `cause`. */
  failure(what: string, cause: unknown): BackendError {
    return backendFailure('redis', `Redis at ${this.location} ${what}`, cause);
  }

  close(): void {
    this.#connections.close();
  }
}
