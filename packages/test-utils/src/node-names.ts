/**
 * Node names that are also properties of every plain object (`__proto__`, `constructor`, …):
 * filling a backend with them, checking its per-node counts, and checking that nothing was
 * written through to Object.prototype.
 */
import { afterEach, expect } from 'vitest';

/** Names that are also properties of every plain object. */
export const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];

/** What a per-node table keyed on a plain object would write through to Object.prototype. */
const TOTALS = ['entries', 'bytes', 'hits', 'misses'];

/** The n-th entry's key. */
const key = (n: number) => n.toString(16).padStart(64, '0');

/** Removes after each test what a failure may have written onto Object.prototype, so it cannot leak. */
export function restorePrototypeAfterEach(): void {
  afterEach(() => {
    for (const name of TOTALS) delete (Object.prototype as Record<string, unknown>)[name];
  });
}

export function expectPrototypeUntouched(): void {
  const plain: Record<string, unknown> = {};
  for (const name of TOTALS) expect(plain[name]).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

interface BlobStore {
  setBlob(key: string, value: Uint8Array, options: { node: string }): Promise<unknown>;
  getBlob(key: string): Promise<unknown>;
}

/** Node `names[i]` gets i + 1 entries of 10 bytes and a hit on its first one; `plain` gets one entry. */
export async function fillNodes(cache: BlobStore, names: readonly string[]): Promise<void> {
  let n = 0;
  for (const [i, node] of [...names, 'plain'].entries()) {
    const count = node === 'plain' ? 1 : i + 1;
    for (let j = 0; j < count; j++) await cache.setBlob(key(++n), new Uint8Array(10), { node });
  }
  for (let i = 0, first = 1; i < names.length; first += i + 1, i++) await cache.getBlob(key(first));
}

/** The per-node counts `fillNodes` leaves, every name an own key. */
export function expectNodeCounts(
  nodes: Record<string, { entries: number; bytes: number }>,
  names: readonly string[],
): void {
  expect(Object.keys(nodes).sort()).toEqual([...names, 'plain'].sort());
  for (const [i, node] of names.entries()) {
    expect(Object.hasOwn(nodes, node)).toBe(true);
    expect(nodes[node]).toMatchObject({ entries: i + 1, bytes: 10 * (i + 1) });
  }
  expect(nodes.plain).toMatchObject({ entries: 1, bytes: 10 });
}
