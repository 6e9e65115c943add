/**
 * Pipeline runs: an all-hit run of a large DAG (chains and fan-outs) on MemoryCache and
 * DiskCache, against a bare executor (topological sort + p-limit, no caching) running the same
 * DAG of trivial functions; per-item map hits; and how scheduling scales from 10k to 100k nodes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { DiskCache, func, MemoryCache, Pipeline, Runner } from '../packages/core/src/index.ts';
import { formatNs, median } from './_harness.ts';

/** Chains of 100 nodes, each chain hanging off node 0: a fan-out of chains. */
const parentOf = (i: number) => (i % 100 === 1 ? 0 : i - 1);

function dag(size: number): Pipeline {
  const nodes = [func({ output: 'n0', inputs: ['seed'] }, (seed: number) => seed + 1)];
  for (let i = 1; i < size; i++) {
    nodes.push(func({ output: `n${i}`, inputs: [`n${parentOf(i)}`] }, (x: number) => x + 1));
  }
  return new Pipeline(nodes);
}

/** The baseline: the same DAG of trivial functions, topologically ordered, run through p-limit. */
async function bareExecutor(size: number, concurrency: number): Promise<void> {
  const limit = pLimit(concurrency);
  const results: Promise<number>[] = new Array(size);
  results[0] = limit(() => 1);
  for (let i = 1; i < size; i++) {
    results[i] = results[parentOf(i)]!.then((x) => limit(() => x + 1));
  }
  await Promise.all(results);
}

async function timeRuns(runs: number, run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - started));
  }
  return median(samples);
}

const perNode = (ns: number, nodes: number) => formatNs(ns / nodes);
const concurrency = 4;

// 10,000 nodes, all hits, MemoryCache vs the bare executor.
const small = dag(10_000);
const memory = new Runner({ concurrency, cache: { backend: new MemoryCache({ maxEntries: 1_000_000 }) } });
await memory.run(small, { seed: 0 });
const memoryHit = await timeRuns(9, () => memory.run(small, { seed: 0 }));
const bare = await timeRuns(9, () => bareExecutor(10_000, concurrency));

// 10,000 nodes, all hits, DiskCache.
const dir = mkdtempSync(join(tmpdir(), 'memoflow-bench-pipeline-'));
let diskHit: number;
try {
  const disk = new Runner({ concurrency, cache: { backend: new DiskCache({ dir }) } });
  await disk.run(small, { seed: 0 });
  diskHit = await timeRuns(5, () => disk.run(small, { seed: 0 }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// 100,000 nodes, all hits: scheduling must stay linear.
const large = dag(100_000);
await memory.run(large, { seed: 0 });
const largeHit = await timeRuns(5, () => memory.run(large, { seed: 0 }));
// The same scaling for the bare executor: what the runtime itself costs at this size.
const bareLarge = await timeRuns(5, () => bareExecutor(100_000, concurrency));

// Per-item map over 100,000 items, all hits.
const features = func(
  { output: 'features', map: 'records' },
  (records: { id: number; name: string }) => records.id * 2,
);
const records = Array.from({ length: 100_000 }, (_, id) => ({ id, name: `record ${id}` }));
const mapRunner = new Runner({ concurrency, cache: { backend: new MemoryCache({ maxEntries: 1_000_000 }) } });
await mapRunner.run(new Pipeline([features]), { records });
const mapHit = await timeRuns(5, () => mapRunner.run(new Pipeline([features]), { records }));

console.log('\n### Pipeline runs, all hits (median)\n');
console.log('| case | total | per node or item | goal |');
console.log('|---|---:|---:|---|');
console.log(
  `| 10,000 nodes, MemoryCache | ${formatNs(memoryHit)} | ${perNode(memoryHit, 10_000)} | ≤ 20 µs |`,
);
console.log(
  `| 10,000 nodes, bare topo-sort + p-limit, no cache | ${formatNs(bare)} | ${perNode(bare, 10_000)} | |`,
);
console.log(`| ratio MemoryCache run / bare executor | ${(memoryHit / bare).toFixed(2)}x | | ≤ 5x |`);
console.log(`| 10,000 nodes, DiskCache | ${formatNs(diskHit)} | ${perNode(diskHit, 10_000)} | ≤ 100 µs |`);
console.log(`| 100,000 nodes, MemoryCache | ${formatNs(largeHit)} | ${perNode(largeHit, 100_000)} | |`);
console.log(`| ratio 100,000 / 10,000 nodes | ${(largeHit / memoryHit).toFixed(2)}x | | ≤ 12x |`);
console.log(
  `| ratio 100,000 / 10,000 nodes, bare executor | ${(bareLarge / bare).toFixed(2)}x | | (baseline) |`,
);
console.log(
  `| map over 100,000 items, MemoryCache | ${formatNs(mapHit)} | ${perNode(mapHit, 100_000)} | ≤ 10 µs |`,
);
