/**
 * Scheduling overhead at scale: an all-hit run of 10,000 and of 100,000 nodes, each measured in
 * a fresh process (heap state from earlier work would otherwise dominate), beside the bare
 * executor measured the same way.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const child = fileURLToPath(new URL('./_pipeline-scale-child.ts', import.meta.url));
const measure = (kind: string, size: number) =>
  Number(
    execFileSync(process.execPath, [...process.execArgv, child, kind, String(size)], {
      encoding: 'utf8',
    }).trim(),
  );

const rows = ['memoflow', 'bare'].map((kind) => {
  const small = measure(kind, 10_000);
  const large = measure(kind, 100_000);
  return { kind, small, large, ratio: large / small };
});
console.log('\n### Scaling, all-hit runs, each size in a fresh process (median ms)\n');
console.log('| executor | 10,000 nodes | 100,000 nodes | ratio | goal |');
console.log('|---|---:|---:|---:|---|');
for (const { kind, small, large, ratio } of rows) {
  const name = kind === 'memoflow' ? 'memoflow Runner, MemoryCache' : 'bare topo-sort + p-limit, no cache';
  console.log(
    `| ${name} | ${small.toFixed(1)} | ${large.toFixed(1)} | ${ratio.toFixed(2)}x | ${kind === 'memoflow' ? '≤ 12x' : '(baseline)'} |`,
  );
}
