/**
 * What recording a run's history costs: a 10,000-node all-hit run with `history` on against the
 * same run with `history: false`, on one cache, the two interleaved run by run; the median of
 * each and their ratio (goal ≤ 1.05). On MemoryCache (the record kept in memory) and on DiskCache
 * (a ~2 MB file written to `<dir>/runs/` and the history pruned to `keep` on every run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CacheBackend, DiskCache, MemoryCache, Runner } from '../packages/core/src/index.ts';
import { formatNs, median } from './_harness.ts';
import { dag } from './_pipeline-dag.ts';

const NODES = 10_000;
const pipeline = dag(NODES);
const concurrency = 4;

/** Median ns of an all-hit run with history and without, interleaved on `backend`. */
async function recordingCost(backend: CacheBackend, runs: number): Promise<{ on: number; off: number }> {
  const recording = new Runner({ concurrency, cache: { backend }, history: { keep: 100 } });
  const plain = new Runner({ concurrency, cache: { backend }, history: false });
  await plain.run(pipeline, { seed: 0 });
  // Warm-up of both paths (the JIT, the index in memory, the runs directory).
  for (let i = 0; i < 3; i++) {
    await recording.run(pipeline, { seed: 0 });
    await plain.run(pipeline, { seed: 0 });
  }
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Alternating which goes first, so neither always runs after the other's garbage.
    const pair =
      i % 2 === 0 ? ([recording, on, plain, off] as const) : ([plain, off, recording, on] as const);
    for (const [runner, samples] of [pair.slice(0, 2), pair.slice(2)] as [Runner, number[]][]) {
      const started = process.hrtime.bigint();
      await runner.run(pipeline, { seed: 0 });
      samples.push(Number(process.hrtime.bigint() - started));
    }
  }
  return { on: median(on), off: median(off) };
}

const memory = await recordingCost(new MemoryCache({ maxEntries: 1_000_000 }), 21);
const dir = mkdtempSync(join(tmpdir(), 'memoflow-bench-history-'));
let disk: { on: number; off: number };
try {
  disk = await recordingCost(new DiskCache({ dir }), 15);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log('\n### Recording run history, 10,000-node all-hit run (median, interleaved)\n');
console.log('| cache | without history | with history | ratio | goal |');
console.log('|---|---:|---:|---:|---|');
for (const [name, { on, off }] of [
  ['MemoryCache', memory],
  ['DiskCache', disk],
] as const) {
  console.log(`| ${name} | ${formatNs(off)} | ${formatNs(on)} | ${(on / off).toFixed(3)} | ≤ 1.05 |`);
}
