/**
 * Node signatures (`<prefix>m:<node>`, what misses are explained from) written by someone else
 * into a real Redis: malformed ones, and with a signing key unsigned or wrongly signed ones, are
 * ignored with one warning naming the key, and runs and runner.explain go on as if none was
 * recorded.
 */

import { func, Pipeline, Runner } from '@memoflow/core';
import { describeWithRedis, testPrefix } from '@memoflow/test-utils';
import { createClient } from 'redis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const pipeline = new Pipeline([
  func({ output: 'rows', inputs: ['size'] }, (size: number) => Array.from({ length: size }, (_, i) => i)),
  func({ output: 'total', inputs: ['rows'] }, (rows: number[]) => rows.reduce((sum, row) => sum + row, 0)),
  func({ output: 'label', inputs: ['total'] }, (total: number) => `total ${total}`),
]);
const NODES = ['rows', 'total', 'label'] as const;
const signingKey = 'a signing key of 32 bytes or so';

/** A signature of the right shape, with `change` applied. */
const shaped = (node: string, change: Record<string, unknown> = {}) =>
  JSON.stringify({
    node,
    key: 'ab'.repeat(32),
    codeHash: 'c'.repeat(64),
    envHash: 'e'.repeat(64),
    inputsHash: 'i'.repeat(64),
    depsHash: 'd'.repeat(64),
    timestamp: 1,
    envParts: { 'npm:left-pad': 'left-pad@1.3.0' },
    ...change,
  });

/** Stored texts that are not a signature of node `rows`, and why. */
const FORGED: [string, string][] = [
  ['not JSON', 'this is not json'],
  ['an array', '[]'],
  ['null', 'null'],
  ['fields missing', '{"node":"rows"}'],
  ['another node', shaped('total')],
  ['a key that is a number', shaped('rows', { key: 5 })],
  ['a part that is a number', shaped('rows', { envParts: { 'npm:left-pad': 5 } })],
  ['parts that are an array', shaped('rows', { codeParts: ['<self>'] })],
  ['a timestamp that is text', shaped('rows', { timestamp: 'yesterday' })],
  ['a part named __proto__ that is a number', '{"node":"rows","depsParts":{"__proto__":1}}'],
];

describeWithRedis('RedisCache node signatures written by others', (url) => {
  const raw = createClient({ url });
  beforeAll(() => raw.connect());
  afterAll(() => raw.destroy());

  /** A cache on a prefix of its own, a Runner over it, and the warnings it gave. */
  function setup(options: { signingKey?: string } = {}) {
    const prefix = testPrefix('node-signatures');
    const warnings: string[] = [];
    const cache = new RedisCache({ url, prefix, ...options, onWarning: (line) => warnings.push(line) });
    const runner = new Runner({ cache: { backend: cache } });
    const explain = async (size: number) =>
      Object.fromEntries((await runner.explain(pipeline, { size })).nodes.map((node) => [node.node, node]));
    const run = async (size: number) => {
      const { outputs, report } = await runner.run(pipeline, { size }, { outputs: NODES });
      return { outputs, nodes: Object.fromEntries(report.nodes.map((node) => [node.node, node])) };
    };
    const done = async () => {
      await cache.clear();
      await cache.close();
    };
    return { prefix, cache, warnings, explain, run, done };
  }

  test('a malformed signature is treated as absent: explain and the run say `new`, with one warning naming its key', async () => {
    const { prefix, warnings, explain, run, done } = setup();
    try {
      await run(2);
      for (const [i, [what, text]] of FORGED.entries()) {
        await raw.set(`${prefix}m:rows`, text);
        const before = warnings.length;
        const size = 3 + i;
        expect((await explain(size)).rows, what).toMatchObject({ status: 'miss', reason: 'new' });
        const { outputs, nodes } = await run(size);
        expect(nodes.rows, what).toMatchObject({ status: 'miss', reason: 'new' });
        expect(outputs.label, what).toBe(`total ${(size * (size - 1)) / 2}`);
        expect(warnings.slice(before), what).toEqual([expect.stringContaining(`\`${prefix}m:rows\``)]);
      }
      // The runs stored real signatures again: the next miss is explained, with no warning.
      const before = warnings.length;
      expect((await run(100)).nodes.rows).toMatchObject({ status: 'miss', reason: 'inputs' });
      expect(warnings.length).toBe(before);
    } finally {
      await done();
    }
  });

  test('every node of a pipeline with a forged signature: the run succeeds, one warning per key', async () => {
    const { prefix, warnings, explain, run, done } = setup();
    try {
      await run(3);
      await raw.set(`${prefix}m:rows`, shaped('rows', { envParts: { 'npm:left-pad': 5 } }));
      await raw.set(`${prefix}m:total`, shaped('total', { codeParts: { '<self>': { nested: true } } }));
      await raw.set(`${prefix}m:label`, shaped('label', { inputParts: null }));
      expect(Object.values(await explain(4)).map((node) => node.reason)).toEqual(['new', 'new', 'new']);
      const { outputs, nodes } = await run(4);
      expect(outputs.label).toBe('total 6');
      expect(Object.values(nodes).map((node) => node.reason)).toEqual(['new', 'new', 'new']);
      expect(warnings.sort()).toEqual(
        [...NODES].sort().map((node) => expect.stringContaining(`\`${prefix}m:${node}\``)),
      );
    } finally {
      await done();
    }
  });

  test('with a signing key, signatures are signed; an unsigned, altered or foreign-signed one is ignored with a warning', async () => {
    const { prefix, cache, warnings, explain, run, done } = setup({ signingKey });
    const foreign = new RedisCache({ url, prefix, signingKey: 'another signing key, as long as it' });
    try {
      await run(3);
      const stored = String(await raw.get(`${prefix}m:rows`));
      expect(stored).toMatch(/^hmac-sha256:[0-9a-f]{64}\n\{/);
      // A signed signature is read back: the next miss is explained by what changed.
      expect((await run(4)).nodes.rows).toMatchObject({ reason: 'inputs', changed: ['input `size`'] });
      expect(warnings).toEqual([]);

      const unsigned = String(await raw.get(`${prefix}m:rows`)).split('\n')[1]!;
      await raw.set(`${prefix}m:rows`, unsigned);
      const total = String(await raw.get(`${prefix}m:total`));
      await raw.set(`${prefix}m:total`, total.replace(/"timestamp":\d/, '"timestamp":9'));
      const label = await cache.getMeta('label');
      await foreign.setMeta(label!);

      expect(Object.values(await explain(5)).map((node) => node.reason)).toEqual(['new', 'new', 'new']);
      const { outputs, nodes } = await run(5);
      expect(outputs.label).toBe('total 10');
      expect(Object.values(nodes).map((node) => node.reason)).toEqual(['new', 'new', 'new']);
      expect(warnings.sort()).toEqual([
        expect.stringMatching(/m:label`.*HMAC tag is wrong/),
        expect.stringMatching(/m:rows`.*no HMAC tag/),
        expect.stringMatching(/m:total`.*HMAC tag is wrong/),
      ]);
    } finally {
      await foreign.close();
      await done();
    }
  });
});
