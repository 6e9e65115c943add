/** What every concern shares: a fresh backend per test, random keys and node names. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach } from 'vitest';
import type { CacheBackend, EntryInfo, EntryRecord } from '../../core/src/backend.ts';

/** Makes a fresh, empty backend whose storage no other test uses (its own directory, database or key prefix). */
export type BackendFactory = () => CacheBackend | Promise<CacheBackend>;

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

export async function collect(iterable: AsyncIterable<EntryRecord>): Promise<EntryRecord[]> {
  const records: EntryRecord[] = [];
  for await (const record of iterable) records.push(record);
  return records;
}

export const info = (node: string, more: Partial<EntryInfo> = {}): EntryInfo => ({ node, ...more });
