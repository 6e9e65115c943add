/**
 * One workload of compare-revision.ts, against the packages of the checkout at `root`: prints
 * the median nanoseconds of its batches as JSON. Usage: `_revision-child.ts <root> <workload>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare, median } from './_harness.ts';

const [root, workload] = process.argv.slice(2);
if (root === undefined || workload === undefined)
  throw new Error('usage: _revision-child.ts <root> <workload>');
const load = (path: string) => import(pathToFileURL(join(root, path)).href);
const core = await load('packages/core/src/index.ts');

/** Median ns of `runs` awaited calls of `run`, after one warm-up. */
async function timeRuns(runs: number, run: () => Promise<unknown>): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started));
  }
  return median(samples);
}

const workloads: Record<string, () => Promise<number>> = {
  /** func() + MemoryCache, a hit on two primitive arguments. */
  async 'memory hit'() {
    const memoized = core.func(
      { cache: new core.MemoryCache() },
      async (n: number, s: string) => n + s.length,
    );
    await memoized(42, 'abc');
    const [result] = await compare([{ name: 'hit', fn: () => memoized(42, 'abc') }], { rounds: 40 });
    return result!.medianNs;
  },
  /** func() + DiskCache, a hit on a 1 KB record. */
  async 'disk hit'() {
    const dir = mkdtempSync(join(tmpdir(), 'memoflow-revision-'));
    try {
      const cache = new core.DiskCache({ dir });
      const record = async (id: number) => ({ id, name: `record ${id}`, payload: 'x'.repeat(1000) });
      const memoized = core.func({ cache }, record);
      await memoized(1);
      const [result] = await compare([{ name: 'hit', fn: () => memoized(1) }], { rounds: 40 });
      await cache.close();
      return result!.medianNs;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
  /** An all-hit run of 10,000 trivial nodes (chains of 100 off one root) on a MemoryCache. */
  async '10k-node run'() {
    const nodes = [core.func({ output: 'n0', inputs: ['seed'] }, (seed: number) => seed + 1)];
    for (let i = 1; i < 10_000; i++) {
      const parent = i % 100 === 1 ? 0 : i - 1;
      nodes.push(core.func({ output: `n${i}`, inputs: [`n${parent}`] }, (x: number) => x + 1));
    }
    const pipeline = new core.Pipeline(nodes);
    const runner = new core.Runner({
      concurrency: 4,
      cache: { backend: new core.MemoryCache({ maxEntries: 1_000_000 }) },
    });
    await runner.run(pipeline, { seed: 0 });
    return timeRuns(9, () => runner.run(pipeline, { seed: 0 }));
  },
  /** RedisCache.getMany of a 1,000-key frontier of 256-byte values. */
  async 'redis frontier'() {
    const { RedisCache } = await load('packages/redis/src/index.ts');
    const prefix = `memoflow-bench-revision-${process.pid}:`;
    const cache = new RedisCache({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
    try {
      const keys = Array.from({ length: 1_000 }, (_, i) => (i + 1).toString(16).padStart(64, '0'));
      const bytes = new Uint8Array(256).fill(7);
      for (const key of keys) await cache.setBlob(key, bytes, { node: 'bench' });
      const [result] = await compare([{ name: 'frontier', fn: () => cache.getMany(keys) }], { rounds: 30 });
      return result!.medianNs;
    } finally {
      await cache.clear();
      await cache.close();
    }
  },
};

const run = workloads[workload];
if (run === undefined)
  throw new Error(`unknown workload ${workload}: one of ${Object.keys(workloads).join(', ')}`);
console.log(JSON.stringify({ medianNs: await run() }));
