/**
 * RedisCache: a memoflow backend in Redis, shared by every process and machine that reaches the
 * server. Values are stored as bytes (no base64), lookups for many keys are one MGET, expiry is
 * Redis's own, every key is under a prefix, and an unreachable server costs the cache, never
 * the run.
 */
import {
  assertKey,
  assertNode,
  assertTtl,
  BackendError,
  type CacheBackend,
  type CacheInfo,
  ConfigError,
  countPruned,
  type EntryInfo,
  type EntryRecord,
  emptyPruneResult,
  type NodeSignature,
  type PruneOptions,
  type PruneResult,
  planPrune,
  summarize,
  UsageCounters,
  type VerifyReport,
} from '@memoflow/core';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { AccessLog } from './_access-log.ts';
import { Breaker } from './_breaker.ts';
import { CORRUPT, encodeEntry, NodeNames, servedPayload } from './_envelope.ts';
import { type InfoRecord, listEntries, matchOf } from './_listing.ts';
import { checkOptions, type RedisCacheOptions } from './_options.ts';
import { verifyEntries } from './_verify.ts';

export type { RedisCacheOptions } from './_options.ts';

/** `info()` of a RedisCache: the common totals, plus what only a shared cache has. */
export interface RedisCacheInfo extends CacheInfo {
  /** The server's URL, without credentials. */
  location: string;
  /** Entries refused since this instance was created because their bytes were not an entry of this format (each was a miss and was removed). */
  corrupt: number;
  /** Entries refused because their signature was missing or wrong (with `signingKey`): each was a miss and was removed. */
  rejected: number;
  /** Times the server became unreachable since this instance was created. */
  outages: number;
}

type Client = ReturnType<typeof createClient>;

const DEFAULT_URL = 'redis://127.0.0.1:6379';
/** Keys removed per UNLINK. */
const UNLINK_BATCH = 1_000;

/** Whether an error means the server could not be reached (as opposed to an answer refusing the command). */
function isOutage(error: unknown): boolean {
  return !(error instanceof ErrorReply) || error.message.startsWith('LOADING');
}

/**
 * A cache backend in Redis.
 *
 * @example
 * const cache = new RedisCache({ url: process.env.REDIS_URL, prefix: 'my-project:', signingKey: process.env.MEMOFLOW_SIGNING_KEY });
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class RedisCache implements CacheBackend {
  readonly name = 'redis';
  /** The server's URL, without credentials. */
  readonly location: string;
  readonly #prefix: string;
  readonly #ttl: number | undefined;
  readonly #signingKey: Uint8Array | undefined;
  readonly #readOnly: boolean;
  readonly #client: Client;
  readonly #ownsClient: boolean;
  readonly #binary: Client;
  readonly #timeoutMs: number;
  readonly #breaker: Breaker;
  readonly #usage = new UsageCounters();
  #connecting: Promise<unknown> | undefined;
  readonly #accesses: AccessLog;
  #corrupt = 0;
  #rejected = 0;
  readonly #nodeNames = new NodeNames();

  constructor(options: RedisCacheOptions = {}) {
    const checked = checkOptions(options);
    this.#prefix = checked.prefix;
    this.#ttl = checked.ttl;
    this.#signingKey = checked.signingKey;
    this.#readOnly = checked.readOnly;
    this.#timeoutMs = checked.timeoutMs;
    this.#ownsClient = options.client === undefined;
    this.#client =
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
    // An unhandled 'error' event would end the process: outages are reported by the breaker.
    this.#client.on('error', () => {});
    // node-redis's own per-command timeout costs a hit more than the round trip: see #guarded.
    this.#binary = this.#client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as Client;
    this.location = locationOf(options.url, this.#client);
    // Access times steer pruning only: losing some to an outage is not worth failing anything.
    this.#accesses = new AccessLog((members) =>
      this.#guarded(() => this.#client.zAdd(this.#accessKey, members, { comparison: 'GT' }), 0).then(
        () => {},
        () => {},
      ),
    );
    this.#breaker = new Breaker({
      retryAfterMs: checked.retryAfterMs,
      warn: checked.warn,
      server: this.location,
    });
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const stored = await this.#guarded(
      async () => (await this.#binary.get(this.#valueKey(key))) as Buffer | null,
      null,
    );
    return this.#served(key, stored);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    if (keys.length === 0) return [];
    const valueKeys = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) valueKeys[i] = this.#valueKey(keys[i]!);
    // An unreachable server answers with no list: every key a miss.
    const stored = await this.#guarded(
      () => this.#binary.mGet(valueKeys) as Promise<(Buffer | null)[]>,
      undefined,
    );
    const now = Date.now();
    const values = new Array<Uint8Array | undefined>(keys.length);
    for (let i = 0; i < keys.length; i++) values[i] = this.#served(keys[i]!, stored?.[i] ?? null, now);
    return values;
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return (await this.#guarded(() => this.#client.exists(this.#valueKey(key)), 0)) > 0;
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info?.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    if (this.#readOnly) return;
    const createdAt = Date.now();
    const computeMs = info.computeMs ?? -1;
    const stored = encodeEntry(key, value, { node: info.node, createdAt, computeMs }, this.#signingKey);
    const record: InfoRecord = { node: info.node, bytes: value.length, createdAt, computeMs };
    const ttl = info.ttl ?? this.#ttl;
    const expiry =
      ttl === undefined ? {} : { expiration: { type: 'PX' as const, value: Math.max(1, Math.ceil(ttl)) } };
    await this.#guarded(async () => {
      await Promise.all([
        this.#client.set(this.#valueKey(key), stored, expiry),
        this.#client.set(this.#infoKey(key), JSON.stringify(record), expiry),
      ]);
    }, undefined);
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const client = await this.#managed('delete()', true);
    const [removed] = await Promise.all([
      client.unlink(this.#valueKey(key)),
      client.unlink(this.#infoKey(key)),
    ]);
    return removed > 0;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    const text = await this.#guarded(() => this.#client.get(this.#metaKey(node)), null);
    if (text === null) return undefined;
    try {
      const signature = JSON.parse(String(text)) as NodeSignature;
      return typeof signature?.node === 'string' && typeof signature.key === 'string' ? signature : undefined;
    } catch {
      return undefined;
    }
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature?.node);
    if (this.#readOnly) return;
    await this.#guarded(
      () => this.#client.set(this.#metaKey(signature.node), JSON.stringify(signature)),
      undefined,
    );
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    const client = await this.#managed('entries()', false);
    await this.#accesses.flush();
    for await (const batch of listEntries(client, this.#prefix, this.#readOnly)) {
      for (const record of batch)
        if (options.node === undefined || record.node === options.node) yield record;
    }
  }

  /** What the cache holds: a scan of its keys (≈1 s per 100,000 entries), and this instance's hit and miss counts. */
  async info(): Promise<RedisCacheInfo> {
    const records: EntryRecord[] = [];
    for await (const record of this.entries()) records.push(record);
    return {
      ...summarize(this.name, this.location, records, this.#usage),
      location: this.location,
      corrupt: this.#corrupt,
      rejected: this.#rejected,
      outages: this.#breaker.outages,
    };
  }

  /**
   * Removes expired entries, entries unused for `maxAge`, then the least recently used until the
   * limits hold. Hits count once their times are written: every second, and before any listing,
   * by each process.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const records: EntryRecord[] = [];
    for await (const record of this.entries()) records.push(record);
    const result = emptyPruneResult(options);
    const removed = planPrune(records, options, Date.now());
    for (const record of removed) countPruned(result, record.node, record.bytes, () => record);
    if (!options.dryRun && removed.length > 0) {
      const client = await this.#managed('prune()', true);
      await this.#unlink(
        client,
        removed.flatMap((record) => [this.#valueKey(record.key), this.#infoKey(record.key)]),
      );
    }
    return result;
  }

  /** Removes every key under the prefix (entries and node signatures), or one node's entries and signature; nothing else on the server. */
  async clear(options: { node?: string } = {}): Promise<void> {
    const client = await this.#managed('clear()', true);
    if (options.node === undefined) {
      for await (const keys of client.scanIterator({
        MATCH: matchOf(this.#prefix, '*'),
        COUNT: UNLINK_BATCH,
      })) {
        if (keys.length > 0) await client.unlink(keys);
      }
      this.#usage.forgetMisses();
      this.#accesses.forget(undefined);
      return;
    }
    const keys = [this.#metaKey(options.node)];
    for await (const record of this.entries({ node: options.node }))
      keys.push(this.#valueKey(record.key), this.#infoKey(record.key));
    await this.#unlink(client, keys);
  }

  /**
   * Reads every entry and checks its CRC32 (and signature, with `signingKey`): bad ones are
   * removed and reported, and so are values without their record (`orphans`).
   */
  async verify(): Promise<VerifyReport> {
    const client = await this.#managed('verify()', false);
    return verifyEntries({
      client,
      binary: this.#binary,
      prefix: this.#prefix,
      signingKey: this.#signingKey,
      readOnly: this.#readOnly,
      remove: (keys) => this.#remove(client, keys),
      unlink: (keys) => this.#unlink(client, keys),
    });
  }

  async close(): Promise<void> {
    if (this.#client.isReady) await this.#accesses.flush();
    if (!this.#ownsClient || !this.#client.isOpen) return;
    this.#client.destroy();
  }

  get #accessKey(): string {
    return `${this.#prefix}a`;
  }

  #valueKey(key: string): string {
    return `${this.#prefix}v:${key}`;
  }

  #infoKey(key: string): string {
    return `${this.#prefix}i:${key}`;
  }

  #metaKey(node: string): string {
    return `${this.#prefix}m:${node}`;
  }

  /** A read's bytes, checked: a hit, or a miss for an absent entry, bytes not of this format, or (with a signing key) an entry without a valid tag. */
  #served(key: string, stored: Buffer | null, now?: number): Uint8Array | undefined {
    if (stored === null) {
      this.#usage.miss(key);
      return undefined;
    }
    const payload = servedPayload(key, stored, this.#signingKey);
    if (typeof payload === 'number') {
      if (payload === CORRUPT) this.#corrupt++;
      else this.#rejected++;
      this.#usage.miss(key);
      if (!this.#readOnly)
        this.#guarded(() => this.#client.unlink([this.#valueKey(key), this.#infoKey(key)]), 0).catch(
          () => {},
        );
      return undefined;
    }
    this.#usage.hit(this.#usage.of(this.#nodeNames.of(stored)));
    if (!this.#readOnly) this.#accesses.note(key, now);
    return payload;
  }

  /**
   * Runs a command of the hit path through the circuit breaker: while the server is unreachable
   * the answer is `fallback` (a miss, or a write not made), at once. An answer refusing the
   * command (a wrong password, a read-only replica, out of memory) is a BackendError.
   */
  #guarded<T>(command: () => Promise<T>, fallback: T): Promise<T> {
    // Connected (the usual case): the command at once, no other await.
    const attempt = () =>
      this.#client.isReady ? this.#inTime(command()) : this.#ready().then(() => this.#inTime(command()));
    return this.#breaker.run(attempt, fallback, (error) =>
      isOutage(error) ? undefined : this.#failure('failed', error),
    );
  }

  /**
   * A command's answer, or a rejection once the timeout passes without one (a server that hangs).
   * Only time this process could listen counts: when its event loop was busy for most of the
   * wait (a node computing synchronously), the command may not even have been sent, and a reply
   * that came could not be read, so the server gets a full timeout again.
   */
  #inTime<T>(answer: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout;
      const arm = () => {
        const since = performance.eventLoopUtilization();
        timer = setTimeout(() => {
          if (performance.eventLoopUtilization(since).utilization > 0.5) arm();
          else reject(new Error(`no answer within ${this.#timeoutMs} ms`));
        }, this.#timeoutMs);
      };
      arm();
      answer.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** The client for a management command, which fails (rather than answering nothing) when the server is unreachable. */
  async #managed(what: string, writes: boolean): Promise<Client> {
    if (writes && this.#readOnly) {
      throw new ConfigError(
        `${what} on a read-only RedisCache (${this.location}): open it without \`readOnly\` to change it.`,
      );
    }
    try {
      await this.#ready();
    } catch (error) {
      throw this.#failure(`is unreachable for ${what}`, error);
    }
    return this.#client;
  }

  /** Connects, if need be, waiting at most the command timeout. */
  async #ready(): Promise<void> {
    const client = this.#client;
    if (client.isReady) return;
    if (!client.isOpen) this.#connecting = client.connect().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#connecting,
      new Promise((resolve) => {
        timer = setTimeout(resolve, this.#timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!client.isReady) throw new Error(`no connection within ${this.#timeoutMs} ms`);
  }

  /** Removes entries: their values, records and access times. */
  async #remove(client: Client, keys: readonly string[]): Promise<void> {
    this.#accesses.forget(keys);
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) {
      const batch = keys.slice(i, i + UNLINK_BATCH);
      await Promise.all([
        client.unlink(batch.flatMap((key) => [this.#valueKey(key), this.#infoKey(key)])),
        client.zRem(this.#accessKey, batch),
      ]);
    }
  }

  async #unlink(client: Client, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) await client.unlink(keys.slice(i, i + UNLINK_BATCH));
  }

  #failure(what: string, cause: unknown): BackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BackendError('redis', `Redis at ${this.location} ${what}: ${reason}`, { cause });
  }
}

/** The server, for messages and `info()`: its URL without credentials. */
function locationOf(url: string | undefined, client: Client): string {
  if (url === undefined && client.options?.url === undefined) return DEFAULT_URL;
  const parsed = new URL(url ?? client.options!.url!);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}
