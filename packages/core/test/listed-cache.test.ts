/**
 * The kit's ListedCache: a backend that implements storage and `entries()` gets `info()`,
 * `prune()` and `verify()` from it. A Map store of a few lines passes the whole conformance suite.
 */
import { describe, expect, test } from 'vitest';
import { describeCacheBackend } from '../../conformance/src/index.ts';
import type { EntryInfo, EntryRecord, NodeSignature } from '../src/backends/contract.ts';
import { assertKey, assertNode, assertTtl, expiryOf, ListedCache } from '../src/backends/kit/index.ts';

/** Storage only: bytes and records in a Map. Management is ListedCache's. */
class MapCache extends ListedCache {
  readonly name = 'map';
  readonly #entries = new Map<string, { bytes: Uint8Array | undefined; record: EntryRecord }>();
  readonly #meta = new Map<string, NodeSignature>();

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    assertKey(key);
    const entry = this.#live(key);
    if (entry?.bytes === undefined) {
      this.usage.miss(key);
      return undefined;
    }
    entry.record.hits++;
    entry.record.lastAccess = Date.now();
    this.usage.hit(this.usage.of(entry.record.node));
    return entry.bytes.slice();
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key);
    return Promise.all(keys.map((key) => this.getBlob(key)));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, 'the entry info');
    const now = Date.now();
    const expiresAt = expiryOf(info.ttl, now);
    const record: EntryRecord = {
      key,
      node: info.node,
      bytes: value.length,
      createdAt: now,
      lastAccess: now,
      hits: 0,
    };
    if (expiresAt !== 0) record.expiresAt = expiresAt;
    if (info.computeMs !== undefined) record.computeMs = info.computeMs;
    this.#entries.set(key, { bytes: value.slice(), record });
    this.usage.stored(key, this.usage.of(info.node));
  }

  async has(key: string): Promise<boolean> {
    assertKey(key);
    return this.#live(key) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    assertKey(key);
    const live = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return live;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    const signature = this.#meta.get(node);
    return signature === undefined ? undefined : structuredClone(signature);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    this.#meta.set(signature.node, structuredClone(signature));
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node === undefined) {
      this.#entries.clear();
      this.#meta.clear();
      this.usage.forgetMisses();
      return;
    }
    for (const [key, entry] of this.#entries)
      if (entry.record.node === options.node) this.#entries.delete(key);
    this.#meta.delete(options.node);
  }

  async close(): Promise<void> {}

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    for (const key of [...this.#entries.keys()]) {
      const entry = this.#live(key);
      if (entry !== undefined && (options.node === undefined || entry.record.node === options.node))
        yield { ...entry.record };
    }
  }

  /** Loses the bytes of `key` but keeps listing it: what verify() is there to find. */
  loseBytes(key: string): void {
    const entry = this.#entries.get(key)!;
    this.#entries.set(key, { record: entry.record, bytes: undefined });
  }

  #live(key: string) {
    const entry = this.#entries.get(key);
    if (entry?.record.expiresAt !== undefined && entry.record.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

describeCacheBackend(
  'MapCache (storage only; info, prune and verify from ListedCache)',
  () => new MapCache(),
);

const key = (n: number) => n.toString(16).padStart(64, '0');

describe('ListedCache', () => {
  test('verify() reads every listed entry back: one whose bytes are gone is removed and reported missing', async () => {
    const cache = new MapCache();
    for (let i = 1; i <= 3; i++) await cache.setBlob(key(i), new Uint8Array([i]), { node: 'n' });
    cache.loseBytes(key(2));
    const progress: [number, number][] = [];
    const report = await cache.verify({ onProgress: (done, total) => progress.push([done, total]) });
    expect(report).toEqual({
      checked: 3,
      blobs: 2,
      corrupt: [],
      missing: [key(2)],
      orphans: 0,
      damagedRecords: 0,
      ok: false,
    });
    expect(progress).toEqual([[3, 3]]);
    expect(await cache.has(key(2))).toBe(false);
    expect((await cache.verify()).ok).toBe(true);
  });

  test('prune({ dryRun }) lists what would go and removes nothing; prune() removes it, least recently used first', async () => {
    const cache = new MapCache();
    for (let i = 1; i <= 3; i++) {
      await cache.setBlob(key(i), new Uint8Array(10), { node: i === 3 ? 'b' : 'a' });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await cache.getBlob(key(1));
    const planned = await cache.prune({ maxEntries: 1, dryRun: true, list: true });
    expect(planned.removed?.map((record) => record.key)).toEqual([key(2), key(3)]);
    expect(planned).toMatchObject({
      entries: 2,
      bytes: 20,
      nodes: { a: { entries: 1, bytes: 10 }, b: { entries: 1, bytes: 10 } },
    });
    expect((await cache.info()).entries).toBe(3);
    const pruned = await cache.prune({ maxEntries: 1 });
    expect(pruned.removed).toBeUndefined();
    expect(pruned).toMatchObject({ entries: 2, bytes: 20 });
    expect((await cache.info()).recent.map((record) => record.key)).toEqual([key(1)]);
  });
});
