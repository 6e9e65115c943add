import {
  expectNodeCounts,
  expectPrototypeUntouched,
  fillNodes,
  PROTOTYPE_NAMES,
  restorePrototypeAfterEach,
} from '@memoflow/test-utils';
import { describe, expect, test } from 'vitest';
import type { CacheBackend } from '../src/backends/contract.ts';
import { MemoryCache } from '../src/backends/memory/memory-cache.ts';
import { TieredCache } from '../src/backends/tiered/tiered-cache.ts';
import { func } from '../src/memo/func.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { Runner } from '../src/run/runner.ts';

const NAMES = PROTOTYPE_NAMES;
restorePrototypeAfterEach();
const fill = (cache: Parameters<typeof fillNodes>[0]) => fillNodes(cache, NAMES);
const expectCounts = (nodes: Parameters<typeof expectNodeCounts>[0]) => expectNodeCounts(nodes, NAMES);

const backends: [string, () => CacheBackend][] = [
  ['MemoryCache', () => new MemoryCache()],
  ['TieredCache', () => new TieredCache([new MemoryCache(), new MemoryCache()])],
];

describe.each(backends)('node names that are Object.prototype properties, in %s', (_, create) => {
  test('info() counts each such node, and Object.prototype stays untouched', async () => {
    const cache = create();
    await fill(cache);
    const info = await cache.info();
    expectCounts(info.nodes);
    for (const node of NAMES) expect(info.nodes[node]!.hits).toBe(1);
    expect(info.entries).toBe(1 + 2 + 3 + 4 + 1);
    expectPrototypeUntouched();
  });

  test('prune() counts what it removes per such node, and Object.prototype stays untouched', async () => {
    const cache = create();
    await fill(cache);
    const dry = await cache.prune({ maxEntries: 0, dryRun: true });
    expectCounts(dry.nodes);
    const pruned = await cache.prune({ maxEntries: 0 });
    expectCounts(pruned.nodes);
    expect(pruned.entries).toBe(11);
    expect((await cache.info()).entries).toBe(0);
    expectPrototypeUntouched();
  });
});

describe('a pipeline whose nodes are named like Object.prototype properties', () => {
  const bodies = () => {
    const proto = func({ output: '__proto__', inputs: ['x'] }, (x: number) => x + 1);
    const named = func({ output: 'toString', inputs: ['__proto__'] }, (p: number) => p * 2);
    const built = func(
      { output: 'constructor', inputs: ['toString', '__proto__'] },
      (t: number, p: number) => t + p,
    );
    const own = func(
      { output: 'hasOwnProperty' },
      ({ constructor: value }: { constructor: number }) => value * 10,
    );
    return new Pipeline([proto, named, built, own]);
  };

  test('runs return every such output and explain a changed upstream by its name', async () => {
    const pipeline = bodies();
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const outputs = ['__proto__', 'toString', 'constructor', 'hasOwnProperty'] as const;
    const first = await runner.run(pipeline, { x: 1 }, { outputs });
    expect(Object.keys(first.outputs).sort()).toEqual([...outputs].sort());
    expect(Object.getOwnPropertyDescriptor(first.outputs, '__proto__')?.value).toBe(2);
    expect(first.outputs).toMatchObject({ toString: 4, constructor: 6, hasOwnProperty: 60 });

    const second = await runner.run(pipeline, { x: 2 }, { outputs });
    const byNode = new Map(second.report.nodes.map((node) => [node.node, node]));
    expect(byNode.get('toString')).toMatchObject({ reason: 'deps', changed: ['upstream `__proto__`'] });
    expect(byNode.get('constructor')?.changed).toEqual(
      expect.arrayContaining(['upstream `__proto__`', 'upstream `toString`']),
    );
    expect(second.outputs).toMatchObject({ toString: 6, constructor: 9, hasOwnProperty: 90 });
    expectPrototypeUntouched();
  });
});

test("func() keeps an input labelled like Object.prototype's properties in its stored signature", async () => {
  const cache = new MemoryCache();
  const twice = func(
    { cache, output: 'twice', inputs: ['__proto__', 'toString'] },
    (a: number, b: number) => a + b,
  );
  expect(await twice(1, 2)).toBe(3);
  const stored = await cache.getMeta('twice');
  expect(Object.keys(stored?.inputParts ?? {}).sort()).toEqual(['__proto__', 'toString']);
  expectPrototypeUntouched();
});
