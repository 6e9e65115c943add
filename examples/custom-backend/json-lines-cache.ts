/**
 * A memoflow cache backend of its own, written only against `@memoflow/core/backend-kit`: every
 * change is a line appended to a JSON-lines file, and opening the file replays them. Storage is
 * ten methods; `ListedCache` derives `info()`, `prune()` and `verify()` from `entries()`.
 * One process at a time: writers in two processes would interleave their lines.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  assertKey,
  assertNode,
  assertTtl,
  type EntryInfo,
  type EntryRecord,
  expiryOf,
  ListedCache,
  type NodeSignature,
} from '@memoflow/core/backend-kit';

export interface JsonLinesCacheOptions {
  /** The JSON-lines file, made on the first write. No default: each cache needs a file of its own. */
  file: string;
}

/** One line of the file: a change, replayed in order when the file is opened. */
type Change =
  | { op: 'set'; record: EntryRecord; base64: string }
  | { op: 'delete'; key: string }
  | { op: 'meta'; signature: NodeSignature }
  | { op: 'clear'; node?: string };

export class JsonLinesCache extends ListedCache {
  readonly name = 'json-lines';
  /** The file, for `info()`. */
  override readonly location: string;
  /** Each live entry's bytes and listing record (its reads are counted in this process only). */
  readonly #entries = new Map<string, { bytes: Uint8Array; record: EntryRecord }>();
  readonly #meta = new Map<string, NodeSignature>();

  constructor(options: JsonLinesCacheOptions) {
    super();
    this.location = options.file;
    if (!existsSync(this.location)) return;
    for (const line of readFileSync(this.location, 'utf8').split('\n')) {
      if (line !== '') this.#apply(JSON.parse(line));
    }
  }

  async getBlob(key: string): Promise<Uint8Array | undefined> {
    const entry = this.#live(key);
    if (entry === undefined) {
      this.usage.miss(key);
      return undefined;
    }
    entry.record.hits++;
    entry.record.lastAccess = Date.now();
    this.usage.hit(this.usage.of(entry.record.node));
    return entry.bytes.slice(); // a copy: the caller owns it, and a decoded value may be a view into it
  }

  async getMany(keys: readonly string[]): Promise<(Uint8Array | undefined)[]> {
    for (const key of keys) assertKey(key); // every key checked before any is looked up
    return Promise.all(keys.map((key) => this.getBlob(key)));
  }

  async setBlob(key: string, value: Uint8Array, info: EntryInfo): Promise<void> {
    assertKey(key);
    assertNode(info.node);
    assertTtl(info.ttl, `the entry info of node \`${info.node}\``);
    const { node, computeMs } = info;
    const now = Date.now();
    const expiresAt = expiryOf(info.ttl, now); // 0: never
    const record: EntryRecord = { key, node, bytes: value.length, createdAt: now, lastAccess: now, hits: 0 };
    if (expiresAt !== 0) record.expiresAt = expiresAt;
    if (computeMs !== undefined) record.computeMs = computeMs;
    const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    this.#write({ op: 'set', record, base64 });
    this.usage.stored(key, this.usage.of(node)); // a miss of this key before counts against its node
  }

  async has(key: string): Promise<boolean> {
    return this.#live(key) !== undefined;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.#live(key) !== undefined;
    if (existed) this.#write({ op: 'delete', key });
    return existed;
  }

  async getMeta(node: string): Promise<NodeSignature | undefined> {
    const signature = this.#meta.get(node);
    return signature === undefined ? undefined : structuredClone(signature);
  }

  async setMeta(signature: NodeSignature): Promise<void> {
    assertNode(signature.node);
    this.#write({ op: 'meta', signature });
  }

  async *entries(options: { node?: string } = {}): AsyncIterable<EntryRecord> {
    for (const key of [...this.#entries.keys()]) {
      const record = this.#live(key)?.record;
      if (record && (options.node === undefined || record.node === options.node)) yield { ...record };
    }
  }

  async clear(options: { node?: string } = {}): Promise<void> {
    if (options.node !== undefined) return this.#write({ op: 'clear', node: options.node });
    writeFileSync(this.location, ''); // everything goes: the file starts again instead of growing by a line
    this.#apply({ op: 'clear' });
    this.usage.forgetMisses();
  }

  async close(): Promise<void> {} // each change reached the file when it was made: nothing is pending

  /** The entry under `key` unless it has expired; an expired one is dropped. */
  #live(key: string) {
    assertKey(key);
    const entry = this.#entries.get(key);
    if (!entry?.record.expiresAt || entry.record.expiresAt > Date.now()) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  /** Appends a change, then applies the line as a replay would: memory is always what the file says. */
  #write(change: Change): void {
    const line = JSON.stringify(change);
    appendFileSync(this.location, `${line}\n`);
    this.#apply(JSON.parse(line));
  }

  #apply(change: Change): void {
    if (change.op === 'set') {
      const bytes = new Uint8Array(Buffer.from(change.base64, 'base64'));
      this.#entries.set(change.record.key, { bytes, record: change.record });
    } else if (change.op === 'delete') this.#entries.delete(change.key);
    else if (change.op === 'meta') this.#meta.set(change.signature.node, change.signature);
    else {
      for (const [key, { record }] of this.#entries) {
        if (change.node === undefined || record.node === change.node) this.#entries.delete(key);
      }
      if (change.node === undefined) this.#meta.clear();
      else this.#meta.delete(change.node);
    }
  }
}
