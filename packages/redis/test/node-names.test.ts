/**
 * Node names that are Object.prototype properties (`__proto__`, `constructor`, `toString`)
 * stored in a real Redis: info() and prune() count them like any other name, signed or not,
 * and leave Object.prototype as it was.
 */
import {
  describeWithRedis,
  expectNodeCounts,
  expectPrototypeUntouched,
  fillNodes,
  restorePrototypeAfterEach,
  testPrefix,
} from '@memoflow/test-utils';
import { expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const NAMES = ['__proto__', 'constructor', 'toString'];
restorePrototypeAfterEach();
const fill = (cache: Parameters<typeof fillNodes>[0]) => fillNodes(cache, NAMES);
const expectCounts = (nodes: Parameters<typeof expectNodeCounts>[0]) => expectNodeCounts(nodes, NAMES);

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
