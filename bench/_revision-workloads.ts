/**
 * The workloads of compare-revision.ts, each built against the packages of one checkout (`root`):
 * a case for the harness, and what to close afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchCase } from './_harness.ts';

/** One workload on one tree: its case, and a clean-up for after the measurement. */
export interface TreeCase {
  benchCase: BenchCase;
  close(): Promise<void>;
}

type Workload = (root: string, name: string) => Promise<TreeCase>;

/**
 * Workloads measured a fresh process per sample rather than interleaved in one process. Two
 * trees in one process disturb each other's heap: on the 10,000-node run, two checkouts of the
 * same revision measured 1.14 and 1.21 apart that way (on their built packages).
 */
export const PER_PROCESS: ReadonlySet<string> = new Set(['10k-node run']);

const load = (root: string, path: string) => import(pathToFileURL(join(root, path)).href);
const coreOf = (root: string) => load(root, 'packages/core/src/index.ts');
const nothing = async () => {};

export const workloads: Record<string, Workload> = {
  /** func() + MemoryCache, a hit on two primitive arguments. */
  async 'memory hit'(root, name) {
    const core = await coreOf(root);
    const memoized = core.func(
      { cache: new core.MemoryCache() },
      async (n: number, s: string) => n + s.length,
    );
    await memoized(42, 'abc');
    return { benchCase: { name, fn: () => memoized(42, 'abc') }, close: nothing };
  },
  /** func() + DiskCache, a hit on a 1 KB record. */
  async 'disk hit'(root, name) {
    const core = await coreOf(root);
    const dir = mkdtempSync(join(tmpdir(), 'memoflow-revision-'));
    const cache = new core.DiskCache({ dir });
    const record = async (id: number) => ({ id, name: `record ${id}`, payload: 'x'.repeat(1000) });
    const memoized = core.func({ cache }, record);
    await memoized(1);
    const close = async () => {
      await cache.close();
      rmSync(dir, { recursive: true, force: true });
    };
    return { benchCase: { name, fn: () => memoized(1) }, close };
  },
  /** An all-hit run of 10,000 trivial nodes (chains of 100 off one root) on a MemoryCache. */
  async '10k-node run'(root, name) {
    const core = await coreOf(root);
    const nodes = [core.func({ output: 'n0', inputs: ['seed'] }, (seed: number) => seed + 1)];
    for (let i = 1; i < 10_000; i++) {
      const parent = i % 100 === 1 ? 0 : i - 1;
      nodes.push(core.func({ output: `n${i}`, inputs: [`n${parent}`] }, (x: number) => x + 1));
    }
    const pipeline = new core.Pipeline(nodes);
    const backend = new core.MemoryCache({ maxEntries: 1_000_000 });
    const runner = new core.Runner({ concurrency: 4, cache: { backend } });
    await runner.run(pipeline, { seed: 0 });
    return { benchCase: { name, fn: () => runner.run(pipeline, { seed: 0 }) }, close: nothing };
  },
  /** RedisCache.getMany of a 1,000-key frontier of 256-byte values, under a prefix of this tree's own. */
  async 'redis frontier'(root, name) {
    const { RedisCache } = await load(root, 'packages/redis/src/index.ts');
    const prefix = `memoflow-bench-revision-${process.pid}-${name}:`;
    const cache = new RedisCache({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
    const keys = Array.from({ length: 1_000 }, (_, i) => (i + 1).toString(16).padStart(64, '0'));
    const bytes = new Uint8Array(256).fill(7);
    for (const key of keys) await cache.setBlob(key, bytes, { node: 'bench' });
    const close = async () => {
      await cache.clear();
      await cache.close();
    };
    return { benchCase: { name, fn: () => cache.getMany(keys) }, close };
  },
};
