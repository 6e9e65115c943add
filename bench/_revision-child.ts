/**
 * One sample of compare-revision.ts's per-process workloads: builds `workload` against the packages
 * of the checkout at `root`, warms it up, times `calls` calls one by one and prints the median
 * nanoseconds per call as JSON on its last line.
 *
 * Usage: `node --conditions=memoflow-source --import tsx bench/_revision-child.ts <root> <workload> [calls]`
 */
import { median } from './_harness.ts';
import { workloads } from './_revision-workloads.ts';

const WARM_UP_CALLS = 10;

const [root, name, callsArg] = process.argv.slice(2);
const build = name === undefined ? undefined : workloads[name];
if (root === undefined || build === undefined) {
  throw new Error(
    `usage: _revision-child.ts <root> <workload> [calls], workload one of: ${Object.keys(workloads).join(', ')}`,
  );
}
const calls = Number(callsArg ?? 40);
const tree = await build(root, 'child');
try {
  for (let i = 0; i < WARM_UP_CALLS; i++) await tree.benchCase.fn();
  const times: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = process.hrtime.bigint();
    await tree.benchCase.fn();
    times.push(Number(process.hrtime.bigint() - start));
  }
  console.log(JSON.stringify({ medianNs: median(times) }));
} finally {
  await tree.close();
}
process.exit(0);
