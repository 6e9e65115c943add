import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import {
  type CacheBackend,
  DiskCache,
  type ExplainReport,
  func,
  MemoryCache,
  type NodeExplanation,
  Pipeline,
  Runner,
  type RunReport,
} from '../src/index.ts';
import { basic, forgetRuns, runs } from './support/counted-nodes.ts';
import { fakePackage, type ScratchProject, scratchProject } from './support/processes.ts';
import { helpersSource, unitsPipelineSource } from './support/units-project.ts';

afterEach(() => {
  forgetRuns();
  vi.restoreAllMocks();
});

const root = mkdtempSync(join(tmpdir(), 'memoflow-dry-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDisk = () => new DiskCache({ dir: join(root, `cache-${dirs++}`) });

const byNode = (report: ExplainReport | RunReport) =>
  Object.fromEntries(report.nodes.map((node) => [node.node, node])) as Record<string, NodeExplanation>;
const keysOf = (report: ExplainReport | RunReport) => report.nodes.map(({ node, key }) => [node, key]);

/** Counts writes to a real backend; the calls still go through. */
function watchWrites(backend: CacheBackend) {
  const calls = ['setBlob', 'setMeta', 'delete', 'clear'].map((method) => vi.spyOn(backend, method as any));
  return () => calls.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
}

describe('runner.explain on an empty cache', () => {
  test('every node misses as new, nothing runs, and nothing is written: the cache directory is not even created', async () => {
    const backend = freshDisk();
    const writes = watchWrites(backend);
    const report = await new Runner({ cache: { backend } }).explain(basic, { size: 5, threshold: 2 });
    expect(report.nodes.map(({ node, status, reason }) => [node, status, reason])).toEqual([
      ['rows', 'miss', 'new'],
      ['clean', 'miss', 'new'],
      ['total', 'miss', 'new'],
      ['unrelated', 'miss', 'new'],
    ]);
    // A node downstream of a miss has no key yet: its upstream's bytes are not known.
    expect(byNode(report).clean).toEqual({
      node: 'clean',
      status: 'miss',
      reason: 'new',
      pendingUpstream: ['rows'],
    });
    expect(report.backend).toBe('disk');
    expect(report.edges).toEqual(
      expect.arrayContaining([
        ['rows', 'clean'],
        ['clean', 'total'],
      ]),
    );
    expect(Object.keys(runs)).toEqual([]);
    expect(writes()).toBe(0);
    expect((await backend.info()).entries).toBe(0);
    expect(existsSync(backend.dir)).toBe(false);
  });

  test('the keys it gives for root nodes are the keys the run then stores under', async () => {
    const runner = new Runner({ cache: { backend: freshDisk() } });
    const explained = await runner.explain(basic, { size: 5, threshold: 2 });
    const { report } = await runner.run(basic, { size: 5, threshold: 2 });
    expect(byNode(explained).rows!.key).toBe(byNode(report).rows!.key);
    expect(byNode(explained).unrelated!.key).toBe(byNode(report).unrelated!.key);
  });

  test('`outputs` limits the report to the nodes they need', async () => {
    const report = await new Runner({ cache: { backend: new MemoryCache() } }).explain(
      basic,
      { size: 5, threshold: 2 },
      { outputs: ['clean'] },
    );
    expect(report.nodes.map((n) => n.node)).toEqual(['rows', 'clean']);
  });
});

describe.each([
  ['DiskCache', freshDisk],
  ['MemoryCache', () => new MemoryCache()],
])('runner.explain after a run (%s)', (_, create) => {
  test('every node hits, with the keys of the run report, and the dry run writes nothing', async () => {
    const backend = create();
    const runner = new Runner({ cache: { backend } });
    const { report } = await runner.run(basic, { size: 5, threshold: 2 });
    const before = await backend.info();
    const metaBefore = await backend.getMeta('clean');
    const writes = watchWrites(backend);
    const explained = await runner.explain(basic, { size: 5, threshold: 2 });
    expect(explained.nodes.map((n) => n.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(keysOf(explained)).toEqual(keysOf(report));
    expect(byNode(explained).rows!.bytes).toBeGreaterThan(0);
    expect(writes()).toBe(0);
    expect((await backend.info()).entries).toBe(before.entries);
    expect(await backend.getMeta('clean')).toEqual(metaBefore);
    expect(runs).toEqual({ rows: 1, clean: 1, total: 1, unrelated: 1 });
  });

  test('a changed input: the node reading it misses with reason inputs, its children wait on it', async () => {
    const backend = create();
    const runner = new Runner({ cache: { backend } });
    await runner.run(basic, { size: 5, threshold: 2 });
    const explained = byNode(await runner.explain(basic, { size: 5, threshold: 3 }));
    expect(explained.rows!.status).toBe('hit');
    expect(explained.unrelated!.status).toBe('hit');
    expect(explained.clean).toMatchObject({
      status: 'miss',
      reason: 'inputs',
      changed: ['input `threshold`'],
    });
    expect(explained.total).toEqual({ node: 'total', status: 'unknown', pendingUpstream: ['clean'] });
    // The run agrees: the same key for the miss, and the child misses once the new bytes are known.
    const { report } = await runner.run(basic, { size: 5, threshold: 3 });
    expect(byNode(report).clean!.key).toBe(explained.clean!.key);
    expect(byNode(report).total).toMatchObject({ status: 'miss', reason: 'deps' });
  });
});

describe('agreeing with a run', () => {
  test('a child of a recomputing node is unknown, not miss: early cutoff may let it hit', async () => {
    const backend = new MemoryCache();
    const sourceV1 = func({ output: 'source' }, async (n: number) => [n, n]);
    const sourceV2 = func({ output: 'source' }, async (n: number) => [n, n].map((x) => x));
    const summed = func({ output: 'summed' }, (source: number[]) => source[0]! + source[1]!);
    const runner = new Runner({ cache: { backend } });
    await runner.run(new Pipeline([sourceV1, summed]), { n: 2 });
    const explained = await runner.explain(new Pipeline([sourceV2, summed]), { n: 2 });
    expect(explained.nodes.map(({ node, status, reason }) => [node, status, reason])).toEqual([
      ['source', 'miss', 'code'],
      ['summed', 'unknown', undefined],
    ]);
    const { report } = await runner.run(new Pipeline([sourceV2, summed]), { n: 2 });
    expect(report.nodes.map((n) => n.status)).toEqual(['miss', 'hit']);
  });

  test("a `key` function reads upstream values: the dry run decodes a hit's value to call it", async () => {
    const backend = freshDisk();
    const config = func({ output: 'config' }, async (region: string) => ({ region, retries: 3 }));
    const fetched = func(
      { output: 'fetched', key: (config: { region: string }, day: string) => `${config.region}/${day}` },
      async (config: { region: string }, day: string) => `${config.region}:${day}`,
    );
    const pipeline = new Pipeline([config, fetched]);
    const runner = new Runner({ cache: { backend } });
    const { report } = await runner.run(pipeline, { region: 'eu', day: 'mon' });
    const same = await runner.explain(pipeline, { region: 'eu', day: 'mon' });
    expect(keysOf(same)).toEqual(keysOf(report));
    expect(same.nodes.map((n) => n.status)).toEqual(['hit', 'hit']);
    const otherDay = byNode(await runner.explain(pipeline, { region: 'eu', day: 'tue' }));
    expect(otherDay.fetched).toMatchObject({ status: 'miss', reason: 'inputs', changed: ['input `key`'] });
  });

  test('an upstream input the node `ignore`s does not make it wait', async () => {
    const backend = new MemoryCache();
    const stamp = func({ output: 'stamp' }, async (seed: number) => seed);
    const labelled = func(
      { output: 'labelled', inputs: ['stamp', 'label'], ignore: ['stamp'] },
      (_stamp: number, label: string) => label,
    );
    const pipeline = new Pipeline([stamp, labelled]);
    const runner = new Runner({ cache: { backend } });
    const { report } = await runner.run(pipeline, { seed: 1, label: 'a' });
    const explained = byNode(await runner.explain(pipeline, { seed: 2, label: 'a' }));
    expect(explained.stamp).toMatchObject({ status: 'miss', reason: 'inputs' });
    expect(explained.labelled).toMatchObject({ status: 'hit', key: byNode(report).labelled!.key });
  });

  test("a node's cache option: `cache: false` is disabled, `recompute` misses, their children wait", async () => {
    const backend = new MemoryCache();
    const volatile = func({ output: 'volatile', cache: false }, (seed: number) => seed);
    const forced = func({ output: 'forced', cache: 'recompute' }, (seed: number) => seed + 1);
    const after = func({ output: 'after' }, (volatile: number, forced: number) => volatile + forced);
    const pipeline = new Pipeline([volatile, forced, after]);
    const runner = new Runner({ cache: { backend } });
    const { report } = await runner.run(pipeline, { seed: 1 });
    const explained = byNode(await runner.explain(pipeline, { seed: 1 }));
    expect(explained.volatile).toEqual({ node: 'volatile', status: 'disabled' });
    expect(explained.forced).toMatchObject({
      status: 'miss',
      reason: 'recompute',
      key: byNode(report).forced!.key,
    });
    expect(explained.after).toEqual({
      node: 'after',
      status: 'unknown',
      pendingUpstream: ['volatile', 'forced'],
    });
  });

  test("with the runner's cache disabled every node is disabled", async () => {
    const report = await new Runner({ cache: { enabled: false } }).explain(basic, { size: 1, threshold: 0 });
    expect(report.backend).toBe('none');
    expect(report.nodes.map((n) => n.status)).toEqual(['disabled', 'disabled', 'disabled', 'disabled']);
  });

  test('an evicted entry is a miss with reason evicted, under the key the run used', async () => {
    const backend = freshDisk();
    const runner = new Runner({ cache: { backend } });
    const { report } = await runner.run(basic, { size: 2, threshold: 0 }, { outputs: ['rows'] });
    await backend.delete(report.nodes[0]!.key!);
    const explained = await runner.explain(basic, { size: 2, threshold: 0 }, { outputs: ['rows'] });
    expect(explained.nodes[0]).toMatchObject({
      status: 'miss',
      reason: 'evicted',
      key: report.nodes[0]!.key,
    });
  });

  test('missing inputs reject as a run does, before anything is read', async () => {
    await expect(new Runner().explain(basic, { size: 1 })).rejects.toMatchObject({
      code: 'MISSING_INPUT',
      missing: { threshold: ['clean'] },
    });
    await expect(
      new Runner().explain(basic, { size: 1, threshold: 0 }, { outputs: ['nope'] }),
    ).rejects.toMatchObject({
      code: 'CONFIG',
    });
  });
});

describe('runner.explain on a node mapped over an array', () => {
  const features = func(
    { output: 'features', map: 'records' },
    async (records: { id: number; text: string }) => records.text.length * records.id,
  );
  const summary = func({ output: 'summary' }, (features: number[]) => features.length);
  const mapped = new Pipeline([features, summary]);
  const records = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, text: `record ${i}` }));

  test.each([
    ['DiskCache', freshDisk],
    ['MemoryCache', () => new MemoryCache()],
  ])('counts the items that would hit and miss, with the key the run records (%s)', async (_, create) => {
    const backend = create();
    const runner = new Runner({ cache: { backend } });
    await runner.run(mapped, { records: records(10) });
    const same = byNode(await runner.explain(mapped, { records: records(10).reverse() }));
    expect(same.features).toMatchObject({ status: 'hit', items: { total: 10, hits: 10, misses: 0 } });
    // Every item hits, but the output follows the new order: its bytes, hence summary's key, change.
    expect(same.summary).toMatchObject({ status: 'miss', reason: 'deps', changed: ['upstream `features`'] });
    const more = [...records(10), { id: 10, text: 'one more' }];
    const writes = watchWrites(backend);
    const explained = byNode(await runner.explain(mapped, { records: more }));
    expect(writes()).toBe(0);
    expect(explained.features).toMatchObject({
      status: 'miss',
      reason: 'inputs',
      changed: ['input `records`'],
      items: { total: 11, hits: 10, misses: 1 },
    });
    expect(explained.summary).toEqual({ node: 'summary', status: 'unknown', pendingUpstream: ['features'] });
    vi.restoreAllMocks();
    const { report } = await runner.run(mapped, { records: more });
    expect(byNode(report).features).toMatchObject({
      key: explained.features!.key,
      items: { hits: 10, misses: 1 },
    });
  });

  test('an all-hit mapped node gives its children their key: they hit with the keys of the run', async () => {
    const runner = new Runner({ cache: { backend: freshDisk() } });
    const first = await runner.run(mapped, { records: records(5) });
    const explained = await runner.explain(mapped, { records: records(5) });
    expect(explained.nodes.map((n) => n.status)).toEqual(['hit', 'hit']);
    expect(byNode(explained).summary!.key).toBe(byNode(first.report).summary!.key);
    // Hitting on every item, a mapped node has no node-level key: neither report gives one.
    const { report } = await runner.run(mapped, { records: records(5) });
    expect(keysOf(explained)).toEqual(keysOf(report));
    expect(byNode(explained).features!.key).toBeUndefined();
  });

  test('with perItemCaching off, it is looked up as one value', async () => {
    const runner = new Runner({ cache: { backend: freshDisk(), perItemCaching: false } });
    const { report } = await runner.run(mapped, { records: records(5) });
    const explained = await runner.explain(mapped, { records: records(5) });
    expect(explained.nodes.map((n) => n.status)).toEqual(['hit', 'hit']);
    expect(keysOf(explained)).toEqual(keysOf(report));
    expect(explained.nodes[0]!.items).toBeUndefined();
  });
});

/**
 * Each step is a fresh process on real files sharing one DiskCache: `MODE=run` runs the
 * pipeline, `MODE=explain` dry-runs it; between steps a helper is edited or a package upgraded.
 */
describe('runner.explain across processes, after editing code', () => {
  const helpers = helpersSource;

  const pipeline = unitsPipelineSource(`const backend = new DiskCache({ dir: '.memoflow' });
const runner = new Runner({ cache: { backend } });
const pipeline = new Pipeline([lengths, scaled, meters, total]);
const inputs = { count: Number(process.env.COUNT ?? 3) };
const nodes = process.env.MODE === 'explain'
  ? (await runner.explain(pipeline, inputs)).nodes
  : (await runner.run(pipeline, inputs)).report.nodes.map(({ node, status, reason, changed, key }) => ({ node, status, reason, changed, key }));
console.log(JSON.stringify({ nodes, entries: (await backend.info()).entries }));
`);

  let project: ScratchProject;
  const step = async (mode: 'run' | 'explain', env: Record<string, string> = {}) => {
    const [printed] = await project.runJson<{ nodes: NodeExplanation[]; entries: number }>('pipeline.ts', {
      MODE: mode,
      ...env,
    });
    const { nodes, entries } = printed!;
    return { nodes: Object.fromEntries(nodes.map((n) => [n.node, n])), entries };
  };
  const keys = (nodes: Record<string, NodeExplanation>) =>
    Object.fromEntries(Object.values(nodes).map((n) => [n.node, n.key]));

  beforeAll(() => {
    project = scratchProject({ ...fakePackage('1.0.0'), 'helpers.ts': helpers(2), 'pipeline.ts': pipeline });
  });
  afterAll(() => project.dispose());

  test('after a run in another process, every node hits with the keys that run reported', async () => {
    const first = await step('run');
    const explained = await step('explain');
    expect(Object.values(explained.nodes).map((n) => n.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(keys(explained.nodes)).toEqual(keys(first.nodes));
    expect(explained.entries).toBe(first.entries);
  });

  test('editing a helper: the node calling it misses with reason code, naming the helper', async () => {
    project.write('helpers.ts', helpers(3));
    const explained = await step('explain');
    expect(explained.nodes.lengths!.status).toBe('hit');
    expect(explained.nodes.meters!.status).toBe('hit');
    expect(explained.nodes.scaled).toMatchObject({
      status: 'miss',
      reason: 'code',
      changed: ['helper `scale` (helpers)'],
    });
    expect(explained.nodes.total).toEqual({ node: 'total', status: 'unknown', pendingUpstream: ['scaled'] });
    const ran = await step('run');
    expect(ran.nodes.scaled).toMatchObject({
      status: 'miss',
      reason: 'code',
      key: explained.nodes.scaled!.key,
    });
    expect(ran.nodes.total).toMatchObject({ status: 'miss', reason: 'deps' });
  });

  test('upgrading a package: the node importing it misses with reason env, naming the package and versions', async () => {
    for (const [path, text] of Object.entries(fakePackage('1.1.0'))) project.write(path, text);
    const explained = await step('explain');
    expect(explained.nodes.scaled!.status).toBe('hit');
    expect(explained.nodes.meters).toMatchObject({
      status: 'miss',
      reason: 'env',
      changed: ['package `fake-units` 1.0.0 → 1.1.0'],
    });
    const ran = await step('run');
    expect(ran.nodes.meters!.key).toBe(explained.nodes.meters!.key);
    // Same bytes out of meters: the run spares total by early cutoff, which the dry run could not know.
    expect(explained.nodes.total!.status).toBe('unknown');
    expect(ran.nodes.total!.status).toBe('hit');
  });
});
