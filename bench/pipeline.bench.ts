/**
 * Pipeline runs: an all-hit run of a 10,000-node DAG (chains and fan-outs) on MemoryCache and
 * DiskCache, against a bare executor (topological sort + p-limit, no caching) running the same
 * DAG of trivial functions; and per-item map hits. Scaling to 100,000 nodes: pipeline-scale.bench.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCache, func, MemoryCache, Pipeline, Runner } from '../packages/core/src/index.ts';
import { formatNs, median } from './_harness.ts';
import { bareExecutor, dag } from './_pipeline-dag.ts';

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
console.log(
  `| map over 100,000 items, MemoryCache | ${formatNs(mapHit)} | ${perNode(mapHit, 100_000)} | ≤ 10 µs |`,
);
