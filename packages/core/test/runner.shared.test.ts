/**
 * Concurrent runs in one process share a node's in-flight computation when its key and cache are
 * the same, as concurrent calls of one func() do: each node body runs once however many runs
 * need it at the same time.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { CacheBackend } from '../src/backends/contract.ts';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { MemoryCache } from '../src/backends/memory/memory-cache.ts';
import { NodeFailedError } from '../src/errors.ts';
import { func } from '../src/memo/func.ts';
import { Pipeline } from '../src/pipeline/pipeline.ts';
import { Runner } from '../src/run/runner.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-shared-runs-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const RUNS = 100;
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** `rows` → `doubled` (mapped over `rows`, cached per item) → `total`, and `label`; each body counts its calls. */
function countedPipeline() {
  const calls = new Map<string, number>();
  const ran = (name: string) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const rows = func({ output: 'rows' }, async (size: number) => {
    ran('rows');
    await tick();
    return Array.from({ length: size }, (_, i) => i + 1);
  });
  const doubled = func({ output: 'doubled', map: 'rows' }, async (rows: number) => {
    ran(`doubled[${rows}]`);
    await tick();
    return rows * 2;
  });
  const total = func({ output: 'total' }, (doubled: number[]) => {
    ran('total');
    return doubled.reduce((sum, value) => sum + value, 0);
  });
  const label = func({ output: 'label' }, async (size: number, total: number) => {
    ran('label');
    await tick();
    return `${size} rows, total ${total}`;
  });
  return { pipeline: new Pipeline([rows, doubled, total, label]), calls };
}

const backends: [string, () => CacheBackend][] = [
  ['MemoryCache', () => new MemoryCache()],
  ['DiskCache', () => new DiskCache({ dir: join(root, `cache-${dirs++}`) })],
];

describe.each(backends)('concurrent runs on one %s', (_, create) => {
  test(`${RUNS} identical runs compute each node, and each mapped item, once`, async () => {
    const { pipeline, calls } = countedPipeline();
    const backend = create();
    const runner = new Runner({ cache: { backend } });
    const results = await Promise.all(Array.from({ length: RUNS }, () => runner.run(pipeline, { size: 4 })));
    expect(Object.fromEntries(calls)).toEqual({
      rows: 1,
      'doubled[1]': 1,
      'doubled[2]': 1,
      'doubled[3]': 1,
      'doubled[4]': 1,
      total: 1,
      label: 1,
    });
    for (const { outputs } of results) expect(outputs).toEqual({ label: '4 rows, total 20' });
    // One run computed each node; the others report hits.
    for (const node of ['rows', 'doubled', 'total', 'label']) {
      const statuses = results.map(({ report }) => report.nodes.find((line) => line.node === node)!.status);
      expect(statuses.filter((status) => status === 'miss')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'hit')).toHaveLength(RUNS - 1);
    }
    await backend.close();
  });

  test('runs with different inputs do not share, and each gets its own outputs', async () => {
    const { pipeline, calls } = countedPipeline();
    const backend = create();
    const runner = new Runner({ cache: { backend } });
    const sizes = Array.from({ length: 10 }, (_, i) => i + 1);
    const results = await Promise.all(sizes.map((size) => runner.run(pipeline, { size })));
    expect(calls.get('rows')).toBe(sizes.length);
    expect(calls.get('label')).toBe(sizes.length);
    // Items are keyed by content: `doubled[1]` is the same item in every run.
    for (const size of sizes) expect(calls.get(`doubled[${size}]`)).toBe(1);
    results.forEach(({ outputs }, i) => {
      const size = sizes[i]!;
      expect(outputs).toEqual({ label: `${size} rows, total ${size * (size + 1)}` });
    });
    await backend.close();
  });
});

describe('concurrent runs that share a computation', () => {
  test("a failing node's error reaches every run sharing it, each with its own report", async () => {
    const calls = new Map<string, number>();
    const cause = new Error('the source is down');
    const fetchRows = func({ output: 'fetched' }, async (source: string) => {
      calls.set(source, (calls.get(source) ?? 0) + 1);
      await tick();
      throw cause;
    });
    const counted = func({ output: 'counted' }, (fetched: unknown[]) => fetched.length);
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const pipeline = new Pipeline([fetchRows, counted]);
    const settled = await Promise.allSettled(
      Array.from({ length: RUNS }, () => runner.run(pipeline, { source: 'db' })),
    );
    expect(calls.get('db')).toBe(1);
    const errors = settled.map((outcome) => {
      expect(outcome.status).toBe('rejected');
      return (outcome as PromiseRejectedResult).reason as NodeFailedError;
    });
    for (const error of errors) {
      expect(error).toBeInstanceOf(NodeFailedError);
      expect(error).toMatchObject({ code: 'NODE_FAILED', node: 'fetched', cause });
      expect(error.message).toContain('the source is down');
      expect(error.report?.nodes.map((line) => line.status)).toEqual(['failed', 'skipped']);
    }
    expect(new Set(errors).size).toBe(RUNS);
    expect(new Set(errors.map((error) => error.report)).size).toBe(RUNS);
    // A failure is not kept: the next run computes again.
    await expect(runner.run(pipeline, { source: 'db' })).rejects.toThrow(NodeFailedError);
    expect(calls.get('db')).toBe(2);
  });

  test('runs on two caches do not share', async () => {
    const { pipeline, calls } = countedPipeline();
    const runners = [
      new Runner({ cache: { backend: new MemoryCache() } }),
      new Runner({ cache: { backend: new MemoryCache() } }),
    ];
    await Promise.all(runners.map((runner) => runner.run(pipeline, { size: 2 })));
    expect(calls.get('rows')).toBe(2);
    expect(calls.get('doubled[1]')).toBe(2);
  });
});
