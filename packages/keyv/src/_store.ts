/**
 * A KeyvCache's records in its Keyv: reads, writes, removals and walks, each failure of the
 * store a BackendError that names it (without credentials) and what was being done.
 */
import { type BackendError, backendFailure, ConfigError, quote } from '@memoflow/core/backend-kit';
import type { Keyv } from 'keyv';
import { canIterate, deleteRecords, locationOf, type RawRead, readRecords, storedKey } from './_keyv-io.ts';
import { type Scan, type ScanDepth, scanCache } from './_scan.ts';

export class KeyvRecords {
  /** Where the store's data lives, when it says (its URL, without credentials). */
  readonly location: string | undefined;

  constructor(readonly keyv: Keyv) {
    this.location = locationOf(keyv);
  }

  /** Reads records by key (one store call when the store can); `what` names the operation in a failure. */
  async read(recordKeys: readonly string[], what: string): Promise<RawRead[]> {
    try {
      return await readRecords(this.keyv, recordKeys);
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** Stores one record through Keyv; `ttl` undefined means it never expires, whatever the Keyv's default. */
  async write(recordKey: string, text: string, ttl: number | undefined, what: string): Promise<void> {
    let stored: boolean;
    try {
      // Keyv takes 0 as "no expiry"; undefined would give the record the Keyv's default ttl.
      stored = await this.keyv.set(recordKey, text, ttl === undefined ? 0 : Math.ceil(ttl));
    } catch (error) {
      throw this.failure(what, error);
    }
    if (!stored) {
      throw this.failure(
        what,
        'Keyv reported that the store did not take the write. The store error went to the Keyv `error` event; create the Keyv with `throwOnErrors: true` to get it as this error’s cause',
      );
    }
  }

  /** Whether the store holds `recordKey`, asked without sending its value (Redis: EXISTS); undefined when the store cannot say. */
  async exists(recordKey: string, what: string): Promise<boolean | undefined> {
    const store = this.keyv.store;
    if (typeof store.has !== 'function' || store instanceof Map) return undefined;
    try {
      return (await store.has(storedKey(this.keyv, recordKey))) === true;
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** Deletes records one by one, at once; whether each existed. */
  async deleteEach(recordKeys: readonly string[], what: string): Promise<boolean[]> {
    const store = this.keyv.store;
    try {
      const removed = await Promise.all(recordKeys.map((key) => store.delete(storedKey(this.keyv, key))));
      return removed.map((done) => done === true);
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** Removes records by key, a batch per store call. */
  async remove(recordKeys: readonly string[]): Promise<void> {
    try {
      await deleteRecords(this.keyv, recordKeys);
    } catch (error) {
      throw this.failure(`remove ${recordKeys.length} records`, error);
    }
  }

  /** One walk over the cache's records, for `operation`; a ConfigError when the store cannot list them. */
  async scan(operation: string, depth: ScanDepth): Promise<Scan> {
    this.assertIterable(operation);
    try {
      return await scanCache(this.keyv, depth);
    } catch (error) {
      throw this.failure(`list entries for ${operation}`, error);
    }
  }

  /** Throws a ConfigError, before anything is removed, when `operation` needs a listing the store cannot give. */
  assertIterable(operation: string): void {
    if (canIterate(this.keyv)) return;
    throw new ConfigError(
      `KeyvCache cannot run ${operation}: the Keyv's store (${storeName(this.keyv)}) cannot list its keys, and ${operation} walks every entry. Give KeyvCache a Keyv whose store Keyv can iterate (Redis, Valkey, SQLite, Postgres, MySQL, MongoDB, etcd, or a Map), or leave cleanup to the store itself: entries stored with a \`ttl\` expire there.`,
    );
  }

  async disconnect(): Promise<void> {
    try {
      await this.keyv.disconnect();
    } catch (error) {
      throw this.failure('disconnect', error);
    }
  }

  /** A BackendError of the keyv backend: `KeyvCache could not <what> (<store>, namespace "…"): <reason>`. */
  failure(what: string, error: unknown): BackendError {
    const namespace = this.keyv.namespace;
    const where = [this.location ?? storeName(this.keyv), namespace && `namespace ${quote(namespace)}`]
      .filter(Boolean)
      .join(', ');
    return backendFailure('keyv', `KeyvCache could not ${what} (${where})`, error);
  }
}

function storeName(keyv: Keyv): string {
  return keyv.store?.constructor?.name || 'a Keyv store';
}
