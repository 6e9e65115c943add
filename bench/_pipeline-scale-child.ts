/** One scaling measurement in a fresh process: `<memoflow|bare> <size>` prints the median ms of an all-hit run. */
import { MemoryCache, Runner } from '../packages/core/src/index.ts';
import { median } from './_harness.ts';
import { bareExecutor, dag } from './_pipeline-dag.ts';

const [kind, sizeText] = process.argv.slice(2);
const size = Number(sizeText);
const concurrency = 4;
let run: () => Promise<unknown>;
if (kind === 'memoflow') {
  const pipeline = dag(size);
  const runner = new Runner({ concurrency, cache: { backend: new MemoryCache({ maxEntries: 1_000_000 }) } });
  await runner.run(pipeline, { seed: 0 });
  run = () => runner.run(pipeline, { seed: 0 });
} else run = () => bareExecutor(size, concurrency);
const samples: number[] = [];
for (let i = 0; i < 7; i++) {
  const started = performance.now();
  await run();
  samples.push(performance.now() - started);
}
console.log(median(samples));
