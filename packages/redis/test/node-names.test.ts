/**
 * Node names that are Object.prototype properties (`__proto__`, `constructor`, `toString`)
 * stored in a real Redis: info() and prune() count them like any other name, signed or not,
 * and leave Object.prototype as it was.
 */
import { describeWithRedis, testPrefix } from '@memoflow/conformance';
import { afterEach, expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const NAMES = ['__proto__', 'constructor', 'toString'];
/** What a per-node table keyed on a plain object would write through to Object.prototype. */
const TOTALS = ['entries', 'bytes', 'hits', 'misses'];
const key = (n: number) => n.toString(16).padStart(64, '0');

afterEach(() => {
  // A failure must not leak into other tests of this worker.
  for (const name of TOTALS) delete (Object.prototype as Record<string, unknown>)[name];
});

function expectPrototypeUntouched(): void {
  const plain: Record<string, unknown> = {};
  for (const name of TOTALS) expect(plain[name]).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

/** Node `NAMES[i]` gets i + 1 entries of 10 bytes and one hit; `plain` gets one entry. */
async function fill(cache: RedisCache): Promise<void> {
  let n = 0;
  for (const [i, node] of [...NAMES, 'plain'].entries()) {
    const count = node === 'plain' ? 1 : i + 1;
    for (let j = 0; j < count; j++) await cache.setBlob(key(++n), new Uint8Array(10), { node });
  }
  for (let i = 0, first = 1; i < NAMES.length; first += i + 1, i++) await cache.getBlob(key(first));
}

function expectCounts(nodes: Record<string, { entries: number; bytes: number }>): void {
  expect(Object.keys(nodes).sort()).toEqual([...NAMES, 'plain'].sort());
  for (const [i, node] of NAMES.entries()) {
    expect(Object.hasOwn(nodes, node)).toBe(true);
    expect(nodes[node]).toMatchObject({ entries: i + 1, bytes: 10 * (i + 1) });
  }
  expect(nodes.plain).toMatchObject({ entries: 1, bytes: 10 });
}

describeWithRedis('RedisCache with nodes named like Object.prototype properties', (url) => {
  for (const signingKey of [undefined, 'a signing key of 32 bytes or so']) {
    const signed = signingKey ? 'signed' : 'unsigned';

    test(`info() counts every such node, hits included, and leaves Object.prototype untouched (${signed})`, async () => {
      const cache = new RedisCache({ url, prefix: testPrefix('proto-names'), signingKey });
      try {
        await fill(cache);
        const info = await cache.info();
        expect(info.entries).toBe(1 + 2 + 3 + 1);
        expectCounts(info.nodes);
        for (const node of NAMES) expect(info.nodes[node]!.hits).toBe(1);
        expectPrototypeUntouched();
      } finally {
        await cache.clear();
        await cache.close();
      }
    });

    test(`prune() counts what it removes per such node and leaves Object.prototype untouched (${signed})`, async () => {
      const cache = new RedisCache({ url, prefix: testPrefix('proto-names'), signingKey });
      try {
        await fill(cache);
        expectCounts((await cache.prune({ maxEntries: 0, dryRun: true })).nodes);
        const pruned = await cache.prune({ maxEntries: 0 });
        expect(pruned.entries).toBe(7);
        expectCounts(pruned.nodes);
        expect((await cache.info()).entries).toBe(0);
        expectPrototypeUntouched();
      } finally {
        await cache.clear();
        await cache.close();
      }
    });
  }
});
