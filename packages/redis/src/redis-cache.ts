/**
 * RedisCache: a memoflow backend in Redis, shared by every process and machine that reaches the
 * server. Values are stored as bytes (no base64), lookups for many keys are one MGET, expiry is
 * Redis's own, every key is under a prefix, and an unreachable server costs the cache, never
 * the run.
 */
import {
  AccessBatch,
  assertKey,
  assertNode,
  assertTtl,
  type EntryInfo,
  type EntryRecord,
  ListedCache,
  type ListingPurpose,
  type NodeSignature,
  type VerifyReport,
} from '@memoflow/core/backend-kit';
import { MIN_BULK_LIMIT } from './_bulk-limit.ts';
import { storedComputeTimes } from './_compute-times.ts';
import { CORRUPT, encodeEntry, NodeNames, servedPayload, storedLength } from './_envelope.ts';
import type { RedisCacheInfo } from './_info.ts';
import { KeyNames } from './_keys.ts';
import { type InfoRecord, listEntries, matchOf, scanKeys, sweepAccesses } from './_listing.ts';
import type { ManagementClient } from './_management.ts';
import { decodeMeta, encodeMeta, IgnoredSignatures } from './_meta.ts';
import { checkOptions, type RedisCacheOptions } from './_options.ts';
import { RedisRunHistory } from './_runs.ts';
import { Server } from './_server.ts';
import { verifyEntries } from './_verify.ts';

export type { RedisCacheInfo } from './_info.ts';
export type { RedisCacheOptions } from './_options.ts';

/** Keys removed per UNLINK. */
const UNLINK_BATCH = 1_000;

/**
 * A cache backend in Redis.
 *
 * @example
 * const cache = new RedisCache({ url: process.env.REDIS_URL, prefix: 'my-project:', signingKey: process.env.MEMOFLOW_SIGNING_KEY });
 * const square = func({ cache }, async (x: number) => x * x);
 */
export class RedisCache extends ListedCache {
  readonly name = 'redis';
  /** The server's URL, without credentials. */
  override readonly location: string;
  /** The runs recorded here: `<prefix>r`, capped at the history's `keep`; `clear()` removes them. */
  readonly runs: RedisRunHistory;
  readonly #keys: KeyNames;
  readonly #ttl: number | undefined;
  readonly #signingKey: Uint8Array | undefined;
  readonly #readOnly: boolean;
  readonly #server: Server;
  /** Last access times not written yet (see _listing.ts for the set they go to). */
  readonly #accesses: AccessBatch;
  #corrupt = 0;
  #rejected = 0;
  readonly #nodeNames = new NodeNames();
  readonly #ignoredMeta: IgnoredSignatures;

  constructor(options: RedisCacheOptions = {}) {
    super();
    const checked = checkOptions(options);
    this.#keys = new KeyNames(checked.prefix);
    this.#ttl = checked.ttl;
    this.#signingKey = checked.signingKey;
    this.#readOnly = checked.readOnly;
    this.#server = new Server(options, checked);
    this.location = this.#server.location;
    this.runs = new RedisRunHistory(this.#server, this.#keys, checked.readOnly);
    this.#ignoredMeta = new IgnoredSignatures(checked.warn, this.location);
    // Access times steer pruning only: losing some to an outage is not worth failing anything.
    this.#accesses = new AccessBatch((batch) => {
      const members = [...batch].map(([value, { time }]) => ({ value, score: time }));
      return this.#server.guarded(
        () => this.#server.client.zAdd(this.#keys.access, members, { comparison: 'GT' }),
        0,
      );
    });
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const valueKey = this.#keys.value(key);
    const stored = await this.#server.guarded(
      async () => (await this.#server.binary.get(valueKey)) as Buffer | null,
      null,
      [valueKey],
    );
    return this.#served(key, stored);
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    if (keys.length === 0) return [];
    const valueKeys = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) valueKeys[i] = this.#keys.value(keys[i]!);
    // An unreachable server answers with no list: every key a miss.
    const stored = await this.#server.guarded(
      () => this.#server.binary.mGet(valueKeys) as Promise<(Buffer | null)[]>,
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
    return (await this.#server.guarded(() => this.#server.client.exists(this.#keys.value(key)), 0)) > 0;
  }

  /** Each entry's stored compute time, from its record (one MGET); all undefined when the server fails. */
  computeTimes(keys: readonly string[]): Promise<(number | undefined)[]> {
    return storedComputeTimes(this.#server, this.#keys, keys);
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info?.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    if (this.#readOnly) return;
    const length = storedLength(info.node, value.length, this.#signingKey !== undefined);
    if (length > MIN_BULK_LIMIT && !(await this.#server.bulkLimit.admits(info.node, length))) return;
    const createdAt = Date.now();
    const computeMs = info.computeMs ?? -1;
    const stored = encodeEntry(key, value, { node: info.node, createdAt, computeMs }, this.#signingKey);
    const record: InfoRecord = { node: info.node, bytes: value.length, createdAt, computeMs };
    const ttl = info.ttl ?? this.#ttl;
    const expiry =
      ttl === undefined ? {} : { expiration: { type: 'PX' as const, value: Math.max(1, Math.ceil(ttl)) } };
    await this.#server.guarded(
      async () => {
        await Promise.all([
          this.#server.client.set(this.#keys.value(key), stored, expiry),
          this.#server.client.set(this.#keys.info(key), JSON.stringify(record), expiry),
        ]);
      },
      undefined,
      [],
      stored.length,
    );
    this.usage.stored(key, this.usage.of(info.node));
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const client = await this.#server.managed('delete()', true);
    this.#accesses.forget([key]);
    const [removed] = await Promise.all([
      client.unlink([this.#keys.value(key), this.#keys.info(key)]),
      client.zRem(this.#keys.access, [key]),
    ]);
    return removed > 0;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    assertNode(node);
    const text = await this.#server.guarded(() => this.#server.client.get(this.#keys.meta(node)), null);
    if (text === null) return undefined;
    const signature = decodeMeta(node, String(text), this.#signingKey);
    if (!('problem' in signature)) return signature;
    this.#ignoredMeta.ignored(node, this.#keys.meta(node), signature.problem);
    return undefined;
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature?.node);
    if (this.#readOnly) return;
    const text = encodeMeta(signature, this.#signingKey);
    await this.#server.guarded(
      () => this.#server.client.set(this.#keys.meta(signature.node), text),
      undefined,
    );
    this.#ignoredMeta.replaced(signature.node);
  }

  entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    return this.#listed('entries()', options.node);
  }

  /** What the cache holds: a scan of its keys (≈1 s per 100,000 entries), and this instance's hit and miss counts. */
  override async info(): Promise<RedisCacheInfo> {
    const totals = await super.info();
    return {
      ...totals,
      location: this.location,
      corrupt: this.#corrupt,
      rejected: this.#rejected,
      outages: this.#server.breaker.outages,
    };
  }

  /**
   * The listing `info()` and `prune()` work on. For `prune()`: hits count once their times are
   * written (every second, and before any listing, by each process).
   */
  protected override listFor(purpose: ListingPurpose): AsyncIterable<EntryRecord> {
    return this.#listed(purpose);
  }

  /** What `prune()` removes goes with its access time; the times of entries gone by other ways go too. */
  protected override async removeKeys(keys: readonly string[]): Promise<void> {
    const client = await this.#server.managed('prune()', true);
    await this.#remove(client, keys);
    await sweepAccesses(client, this.#keys.prefix);
  }

  /** Removes every key under the prefix (entries, node signatures, access times, runs), or one node's entries and signature; nothing else on the server. */
  async clear(options: { node?: string } = {}): Promise<void> {
    const client = await this.#server.managed('clear()', true);
    if (options.node === undefined) {
      for await (const keys of scanKeys(client, matchOf(this.#keys.prefix, '*'), UNLINK_BATCH))
        await client.unlink(keys);
      this.usage.forgetMisses();
      this.#accesses.forgetAll();
      return;
    }
    const keys: string[] = [];
    for await (const record of this.#listed('clear()', options.node)) keys.push(record.key);
    await Promise.all([client.unlink(this.#keys.meta(options.node)), this.#remove(client, keys)]);
  }

  /**
   * Reads every entry and checks its CRC32 (and signature, with `signingKey`): bad ones are
   * removed and reported, and so are values without their record (`orphans`).
   */
  override async verify(): Promise<VerifyReport> {
    const client = await this.#server.managed('verify()', false);
    return verifyEntries({
      client,
      prefix: this.#keys.prefix,
      signingKey: this.#signingKey,
      readOnly: this.#readOnly,
      remove: (keys) => this.#remove(client, keys),
      unlink: (keys) => this.#unlink(client, keys),
    });
  }

  async close(): Promise<void> {
    if (this.#server.client.isReady) await this.#accesses.flush();
    this.#server.close();
  }

  /** The entries (of `node`), for the management call `what`: access times are written first. */
  async *#listed(what: string, node?: string): AsyncGenerator<EntryRecord> {
    const client = await this.#server.managed(what, false);
    await this.#accesses.flush();
    for await (const batch of listEntries(client, this.#keys.prefix, this.#readOnly)) {
      for (const record of batch) if (node === undefined || record.node === node) yield record;
    }
  }

  /** A read's bytes, checked: a hit, or a miss for an absent entry, bytes not of this format, or (with a signing key) an entry without a valid tag. */
  #served(key: string, stored: Buffer | null, now?: number): Uint8Array | undefined {
    if (stored === null) {
      this.usage.miss(key);
      return undefined;
    }
    const payload = servedPayload(key, stored, this.#signingKey);
    if (typeof payload === 'number') {
      if (payload === CORRUPT) this.#corrupt++;
      else this.#rejected++;
      this.usage.miss(key);
      if (!this.#readOnly) {
        const removed = () =>
          Promise.all([
            this.#server.client.unlink([this.#keys.value(key), this.#keys.info(key)]),
            this.#server.client.zRem(this.#keys.access, key),
          ]);
        this.#server.guarded(removed, undefined).catch(() => {});
      }
      return undefined;
    }
    this.usage.hit(this.usage.of(this.#nodeNames.of(stored)));
    if (!this.#readOnly) this.#accesses.note(key, now ?? Date.now());
    return payload;
  }

  /** Removes entries: their values, records and access times. */
  async #remove(client: ManagementClient, keys: readonly string[]): Promise<void> {
    this.#accesses.forget(keys);
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) {
      const batch = keys.slice(i, i + UNLINK_BATCH);
      await Promise.all([
        client.unlink(batch.flatMap((key) => [this.#keys.value(key), this.#keys.info(key)])),
        client.zRem(this.#keys.access, batch),
      ]);
    }
  }

  async #unlink(client: ManagementClient, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += UNLINK_BATCH) await client.unlink(keys.slice(i, i + UNLINK_BATCH));
  }
}
