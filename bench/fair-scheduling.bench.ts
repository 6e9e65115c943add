/**
 * When an independent node starts while two mapped nodes have 400 items queued: one
 * first-in-first-out queue for nodes and items (p-limit, the runner's limiter before) against the
 * runner's FairLimiter, side by side on the same work, then through a real Runner. Items take
 * 10 ms, nodes 60 ms, 4 slots: the scenario (300 ms nodes, 200 items each) scaled down.
 */
import pLimit from 'p-limit';
import { func, MemoryCache, Pipeline, Runner } from '../packages/core/src/index.ts';
import { FairLimiter } from '../packages/core/src/run/fair-limiter.ts';

const concurrency = 4;
const itemMs = 10;
const nodeMs = 60;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the scenario on a limiter given as `(owner, task) => promise`; returns when `independent` started, in ms. */
async function timeToStart(limit: (owner: string, task: () => Promise<unknown>) => Promise<unknown>) {
  const start = performance.now();
  let started = 0;
  const items = ['m1', 'm2'].flatMap((owner) =>
    Array.from({ length: 200 }, () => limit(owner, () => sleep(itemMs))),
  );
  await limit('first', () => sleep(nodeMs));
  await limit('independent', async () => {
    started = performance.now() - start;
    await sleep(nodeMs);
  });
  await Promise.all(items);
  return { started, total: performance.now() - start };
}

const fifo = pLimit(concurrency);
const before = await timeToStart((_, task) => fifo(task));
const fair = new FairLimiter(concurrency);
const after = await timeToStart((owner, task) => fair.run(owner, task));

/** The same through a Runner: `first`, then `independent`, beside m1 and m2 over 200 items. */
class Timeline {
  start = 0;
  independent = 0;
}
const timeline = new Timeline();
const item = (records: number) => sleep(itemMs).then(() => records);
const pipeline = new Pipeline([
  func({ output: 'm1', map: 'records' }, item),
  func({ output: 'm2', map: 'records' }, (records: number) => sleep(itemMs).then(() => -records)),
  func({ output: 'first' }, (seed: number) => sleep(nodeMs).then(() => seed + 1)),
  func({ output: 'independent' }, async (first: number) => {
    timeline.independent = performance.now() - timeline.start;
    await sleep(nodeMs);
    return first + 1;
  }),
]);
const runner = new Runner({ concurrency, cache: { backend: new MemoryCache() } });
timeline.start = performance.now();
const { report } = await runner.run(pipeline, { seed: 1, records: Array.from({ length: 200 }, (_, i) => i) });

const ms = (value: number) => `${value.toFixed(0)} ms`;
console.log('\n### An independent node beside 400 queued items (4 slots)\n');
console.log('| case | independent node starts | whole run | goal |');
console.log('|---|---:|---:|---|');
console.log(`| one FIFO queue (p-limit) | ${ms(before.started)} | ${ms(before.total)} | |`);
console.log(`| FairLimiter | ${ms(after.started)} | ${ms(after.total)} | ≤ 500 ms |`);
console.log(`| Runner (FairLimiter) | ${ms(timeline.independent)} | ${ms(report.durationMs)} | ≤ 500 ms |`);
