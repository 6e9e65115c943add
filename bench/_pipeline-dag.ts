/** The benchmark DAG: chains of 100 nodes, each hanging off node 0 (a fan-out of chains). */
import pLimit from 'p-limit';
import { func, Pipeline, type PipelineEntry } from '../packages/core/src/index.ts';

export const parentOf = (i: number): number => (i % 100 === 1 ? 0 : i - 1);

/** The DAG as a memoflow pipeline of trivial nodes. */
export function dag(size: number): Pipeline {
  const nodes: PipelineEntry[] = [func({ output: 'n0', inputs: ['seed'] }, (seed: number) => seed + 1)];
  for (let i = 1; i < size; i++) {
    nodes.push(func({ output: `n${i}`, inputs: [`n${parentOf(i)}`] }, (x: number) => x + 1));
  }
  return new Pipeline(nodes);
}

/** The baseline: the same DAG of trivial functions, topologically ordered, run through p-limit. */
export async function bareExecutor(size: number, concurrency: number): Promise<void> {
  const limit = pLimit(concurrency);
  const results: Promise<number>[] = new Array(size);
  results[0] = limit(() => 1);
  for (let i = 1; i < size; i++) {
    results[i] = results[parentOf(i)]!.then((x) => limit(() => x + 1));
  }
  await Promise.all(results);
}
