/** What every concern shares: a fresh backend per test, random keys and node names. */
import { createHash, randomBytes } from 'node:crypto';
import type { CacheBackend, EntryInfo, EntryRecord } from '@memoflow/core/backend-kit';
import { afterEach, beforeEach } from 'vitest';

/** Makes a fresh, empty backend whose storage no other test uses (its own directory, database or key prefix). */
export type BackendFactory = () => CacheBackend | Promise<CacheBackend>;

/** The limits a bounded backend is made with; a limit not given is not enforced. */
export interface BackendLimits {
  maxEntries?: number;
  maxBytes?: number;
}

/** Makes a fresh, empty backend like `BackendFactory`, enforcing `limits` on every write. */
export type BoundedBackendFactory = (limits: BackendLimits) => CacheBackend | Promise<CacheBackend>;

/** Registers hooks that create a backend before each test of the enclosing `describe` and clear and close it after. */
export function useBackend(create: BackendFactory): { backend: () => CacheBackend } {
  let current: CacheBackend | undefined;
  beforeEach(async () => {
    current = await create();
  });
  afterEach(async () => {
    const backend = current;
    current = undefined;
    if (backend === undefined) return;
    await backend.clear();
    await backend.close();
  });
  return {
    backend: () => {
      if (current === undefined) throw new Error('The backend is only available inside a test.');
      return current;
    },
  };
}

/**
 * Registers a hook that clears and closes, after each test, every backend the test made with
 * `open`: for tests that need backends made differently (bounded ones, several at once).
 */
export function useBackends(): {
  open: (made: CacheBackend | Promise<CacheBackend>) => Promise<CacheBackend>;
} {
  const opened: CacheBackend[] = [];
  afterEach(async () => {
    for (const backend of opened.splice(0)) {
      try {
        await backend.clear();
      } finally {
        await backend.close();
      }
    }
  });
  return {
    open: async (made) => {
      const backend = await made;
      opened.push(backend);
      return backend;
    },
  };
}

/** A random 64-character hex key: a sha256 digest's shape. */
export const randomKey = (): string => randomBytes(32).toString('hex');

/** A random node name, so no two tests share a node. */
export const randomNode = (): string => `node-${randomBytes(6).toString('hex')}`;

export const randomBytesOf = (length: number): Uint8Array => new Uint8Array(randomBytes(length));

export const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether two byte arrays hold the same bytes (fast for large ones, unlike a deep equality). */
export function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array): boolean {
  return (
    actual !== undefined &&
    Buffer.compare(
      Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength),
      Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength),
    ) === 0
  );
}

/** The sha256 of bytes, as core computes an entry's `outputHash`. */
export const outputHashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

export async function collect(iterable: AsyncIterable<EntryRecord>): Promise<EntryRecord[]> {
  const records: EntryRecord[] = [];
  for await (const record of iterable) records.push(record);
  return records;
}

export const info = (node: string, more: Partial<EntryInfo> = {}): EntryInfo => ({ node, ...more });
