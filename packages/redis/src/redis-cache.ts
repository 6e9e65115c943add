/**
 * RedisCache: a memoflow backend in Redis, shared by every process and machine that reaches the
 * server. Values are stored as bytes (no base64), lookups for many keys are one MGET, expiry is
 * Redis's own, every key is under a prefix, and an unreachable server costs the cache, never
 * the run.
 */
import {
  BackendError,
  type CacheBackend,
  type CacheInfo,
  ConfigError,
  type EntryRecord,
  type PruneOptions,
  type PruneResult,
  type VerifyReport,
} from '@memoflow/core';
import {
  assertKey,
  assertNode,
  assertTtl,
  countPruned,
  type EntryInfo,
  emptyPruneResult,
  type NodeSignature,
  planPrune,
  summarize,
  UsageCounters,
} from '@memoflow/core/backend-kit';
import { createClient, ErrorReply, RESP_TYPES } from 'redis';
import { AccessLog } from './_access-log.ts';
import { Breaker } from './_breaker.ts';
import { BulkLimit, MIN_BULK_LIMIT } from './_bulk-limit.ts';
import { type Client, Connections, locationOf } from './_connection.ts';
import { answerInTime } from './_deadline.ts';
import { CORRUPT, encodeEntry, NodeNames, servedPayload, storedLength } from './_envelope.ts';
import { type InfoRecord, listEntries, matchOf, scanKeys, sweepAccesses } from './_listing.ts';
import { type ManagementClient, managementClient } from './_management.ts';
import { decodeMeta, encodeMeta } from './_meta.ts';
import { checkOptions, type RedisCacheOptions, type Warn } from './_options.ts';
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
  readonly #timeoutMs: number;
  readonly #warn: Warn;
  readonly #connections: Connections;
  readonly #client: Client;
  readonly #binary: Client;
  readonly #breaker: Breaker;
  readonly #usage = new UsageCounters();
  readonly #accesses: AccessLog;
  readonly #bulkLimit: BulkLimit;
  #corrupt = 0;
  #rejected = 0;
  readonly #nodeNames = new NodeNames();
  /** Nodes whose stored signature was ignored: warned once each, until a store replaces it. */
  readonly #warnedMeta = new Set<string>();

  constructor(options: RedisCacheOptions = {}) {
    const checked = checkOptions(options);
    this.#prefix = checked.prefix;
    this.#ttl = checked.ttl;
    this.#signingKey = checked.signingKey;
    this.#readOnly = checked.readOnly;
    this.#timeoutMs = checked.timeoutMs;
    this.#warn = checked.warn;
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
    this.#client = client;
    // node-redis's own per-command timeout ends only while a command waits to be sent, and costs
    // a hit more than the round trip: deadlines are _deadline.ts's.
    this.#binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }) as unknown as Client;
    this.location = locationOf(options.url, client, DEFAULT_URL);
    // Access times steer pruning only: losing some to an outage is not worth failing anything.
    this.#accesses = new AccessLog((members) =>
      this.#guarded(() => this.#client.zAdd(this.#accessKey, members, { comparison: 'GT' }), 0).then(
        () => {},
        () => {},
      ),
    );
    this.#bulkLimit = new BulkLimit(
      async () =>
        answerInTime((await this.#connections.ready()).configGet('proto-max-bulk-len'), this.#timeoutMs),
      checked.warn,
      this.location,
    );
    this.#breaker = new Breaker({
      retryAfterMs: checked.retryAfterMs,
      warn: checked.warn,
      server: this.location,
    });
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const valueKey = this.#valueKey(key);
    const stored = await this.#guarded(
      async () => (await this.#binary.get(valueKey)) as Buffer | null,
      null,
      [valueKey],
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
      valueKeys,
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
    const length = storedLength(info.node, value.length, this.#signingKey !== undefined);
    if (length > MIN_BULK_LIMIT && !(await this.#bulkLimit.admits(info.node, length))) return;
    const createdAt = Date.now();
    const computeMs = info.computeMs ?? -1;
    const stored = encodeEntry(key, value, { node: info.node, createdAt, computeMs }, this.#signingKey);
    const record: InfoRecord = { node: info.node, bytes: value.length, createdAt, computeMs };
    const ttl = info.ttl ?? this.#ttl;
    const expiry =
      ttl === undefined ? {} : { expiration: { type: 'PX' as const, value: Math.max(1, Math.ceil(ttl)) } };
    await this.#guarded(
      async () => {
        await Promise.all([
          this.#client.set(this.#valueKey(key), stored, expiry),
          this.#client.set(this.#infoKey(key), JSON.stringify(record), expiry),
        ]);
      },
      undefined,
      [],
      stored.length,
    );
    this.#usage.stored(key, this.#usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const client = await this.#managed('delete()', true);
    this.#accesses.forget([key]);
    const [removed] = await Promise.all([
      client.unlink([this.#valueKey(key), this.#infoKey(key)]),
      client.zRem(this.#accessKey, [key]),
    ]);
    return removed > 0;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    const text = await this.#guarded(() => this.#client.get(this.#metaKey(node)), null);
    if (text === null) return undefined;
    const signature = decodeMeta(node, String(text), this.#signingKey);
    if (!('problem' in signature)) return signature;
    if (!this.#warnedMeta.has(node)) {
      this.#warnedMeta.add(node);
      this.#warn(
        `memoflow: the node signature \`${this.#metaKey(node)}\` in Redis at ${this.location} is ignored: ` +
          `${signature.problem}. Node \`${node}\`'s next miss is explained as new, and its next store replaces it.`,
        'MEMOFLOW_REDIS_REJECTED',
      );
    }
    return undefined;
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature?.node);
    if (this.#readOnly) return;
    const text = encodeMeta(signature, this.#signingKey);
    await this.#guarded(() => this.#client.set(this.#metaKey(signature.node), text), undefined);
    this.#warnedMeta.delete(signature.node);
  }

  entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    return this.#listed('entries()', options.node);
  }

  /** What the cache holds: a scan of its keys (≈1 s per 100,000 entries), and this instance's hit and miss counts. */
  async info(): Promise<RedisCacheInfo> {
    const records: EntryRecord[] = [];
    for await (const record of this.#listed('info()')) records.push(record);
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
   * by each process. Access times of entries that are gone are removed too.
   */
  async prune(options: PruneOptions): Promise<PruneResult> {
    const records: EntryRecord[] = [];
    for await (const record of this.#listed('prune()')) records.push(record);
    const result = emptyPruneResult(options);
    const removed = planPrune(records, options, Date.now());
    for (const record of removed) countPruned(result, record.node, record.bytes, () => record);
    if (options.dryRun) return result;
    const client = await this.#managed('prune()', true);
    await this.#remove(
      client,
      removed.map((record) => record.key),
    );
    await sweepAccesses(client, this.#prefix);
    return result;
  }

  /** Removes every key under the prefix (entries, node signatures, access times), or one node's entries and signature; nothing else on the server. */
  async clear(options: { node?: string } = {}): Promise<void> {
    const client = await this.#managed('clear()', true);
    if (options.node === undefined) {
      for await (const keys of scanKeys(client, matchOf(this.#prefix, '*'), UNLINK_BATCH))
        await client.unlink(keys);
      this.#usage.forgetMisses();
      this.#accesses.forget(undefined);
      return;
    }
    const keys: string[] = [];
    for await (const record of this.#listed('clear()', options.node)) keys.push(record.key);
    await Promise.all([client.unlink(this.#metaKey(options.node)), this.#remove(client, keys)]);
  }

  /**
   * Reads every entry and checks its CRC32 (and signature, with `signingKey`): bad ones are
   * removed and reported, and so are values without their record (`orphans`).
   */
  async verify(): Promise<VerifyReport> {
    const client = await this.#managed('verify()', false);
    return verifyEntries({
      client,
      prefix: this.#prefix,
      signingKey: this.#signingKey,
      readOnly: this.#readOnly,
      remove: (keys) => this.#remove(client, keys),
      unlink: (keys) => this.#unlink(client, keys),
    });
  }

  async close(): Promise<void> {
    if (this.#client.isReady) await this.#accesses.flush();
    this.#connections.close();
  }

  /** The entries (of `node`), for the management call `what`: access times are written first. */
  async *#listed(what: string, node?: string): AsyncGenerator<EntryRecord> {
    const client = await this.#managed(what, false);
    await this.#accesses.flush();
    for await (const batch of listEntries(client, this.#prefix, this.#readOnly)) {
      for (const record of batch) if (node === undefined || record.node === node) yield record;
    }
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
      if (!this.#readOnly) {
        const removed = () =>
          Promise.all([
            this.#client.unlink([this.#valueKey(key), this.#infoKey(key)]),
            this.#client.zRem(this.#accessKey, key),
          ]);
        this.#guarded(removed, undefined).catch(() => {});
      }
      return undefined;
    }
    this.#usage.hit(this.#usage.of(this.#nodeNames.of(stored)));
    if (!this.#readOnly) this.#accesses.note(key, now);
    return payload;
  }

  /**
   * Runs a command of the hit path through the circuit breaker: while the server is unreachable
   * the answer is `fallback` (a miss, or a write not made), at once. An answer refusing the
   * command (a wrong password, a read-only replica, out of memory) is a BackendError. `keys`
   * (read) and `bytes` (written) size the command's deadline when it is late (_deadline.ts).
   */
  #guarded<T>(command: () => Promise<T>, fallback: T, keys: readonly string[] = [], bytes = 0): Promise<T> {
    const inTime = () => answerInTime(command(), this.#timeoutMs, this.#connections.probe(keys, bytes));
    // Connected (the usual case): the command at once, no other await.
    const attempt = () => (this.#client.isReady ? inTime() : this.#connections.ready().then(inTime));
    return this.#breaker.run(attempt, fallback, (error) =>
      isOutage(error) ? undefined : this.#failure('failed', error),
    );
  }

  /**
   * The client for a management command, which fails (rather than answering nothing) when the
   * server is unreachable, and whose every command has a deadline.
   */
  async #managed(what: string, writes: boolean): Promise<ManagementClient> {
    if (writes && this.#readOnly) {
      throw new ConfigError(
        `${what} on a read-only RedisCache (${this.location}): open it without \`readOnly\` to change it.`,
      );
    }
    try {
      await this.#connections.ready();
    } catch (error) {
      throw this.#failure(`is unreachable for ${what}`, error);
    }
    return managementClient(this.#client, this.#binary, (command, answer, bytes = 0) =>
      answerInTime(answer, this.#timeoutMs, this.#connections.probe([], bytes)).catch((error: unknown) => {
        throw this.#failure(`failed on ${command} for ${what}`, error);
      }),
    );
  }

  /** Removes entries: their values, records and access times. */
  async #remove(client: ManagementClient, keys: readonly string[]): Promise<void> {
    this.#accesses.forget(keys);
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) {
      const batch = keys.slice(i, i + UNLINK_BATCH);
      await Promise.all([
        client.unlink(batch.flatMap((key) => [this.#valueKey(key), this.#infoKey(key)])),
        client.zRem(this.#accessKey, batch),
      ]);
    }
  }

  async #unlink(client: ManagementClient, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) await client.unlink(keys.slice(i, i + UNLINK_BATCH));
  }

  #failure(what: string, cause: unknown): BackendError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new BackendError('redis', `Redis at ${this.location} ${what}: ${reason}`, { cause });
  }
}
