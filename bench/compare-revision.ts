/**
 * This checkout against another revision of itself, in one run: memory hit, disk hit, a 10,000-node
 * all-hit run and a Redis frontier lookup. Shows whether a change (a refactoring, say) slowed a hot
 * path. Each workload runs in a fresh process per tree, the trees alternating round by round so
 * both see the same machine; the figure is the median of the rounds' medians.
 *
 * Usage: `node --conditions=memoflow-source --import tsx bench/compare-revision.ts <revision> [rounds]`
 * (from the repository root; the revision is checked out as a git worktree in a temp folder and
 * installed from the local pnpm store).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNs, median } from './_harness.ts';

const [revision, roundsArg] = process.argv.slice(2);
if (revision === undefined) throw new Error('usage: compare-revision.ts <revision> [rounds]');
const rounds = Number(roundsArg ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const current = join(here, '..');
const child = join(here, '_revision-child.ts');
const workloads = ['memory hit', 'disk hit', '10k-node run', 'redis frontier'];

const other = join(mkdtempSync(join(tmpdir(), 'memoflow-revision-')), 'tree');
execFileSync('git', ['worktree', 'add', '--detach', other, revision], { cwd: current, stdio: 'ignore' });
try {
  execFileSync('npx', ['-y', 'pnpm@10', 'install', '--offline', '--frozen-lockfile'], {
    cwd: other,
    stdio: 'ignore',
  });
  const trees = { [revision]: other, current };
  const samples = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      // Alternate which tree goes first, so neither always runs on a warmer machine.
      const order = round % 2 === 0 ? Object.entries(trees) : Object.entries(trees).reverse();
      for (const [name, root] of order) {
        const output = execFileSync(
          process.execPath,
          ['--conditions=memoflow-source', '--import', 'tsx', child, root, workload],
          { cwd: current, encoding: 'utf8' },
        );
        const { medianNs } = JSON.parse(output.trim().split('\n').at(-1)!) as { medianNs: number };
        const key = `${workload}\0${name}`;
        samples.set(key, [...(samples.get(key) ?? []), medianNs]);
      }
    }
  }
  console.log(`\n| workload | ${revision} | current | current / ${revision} |\n|---|---|---|---|`);
  for (const workload of workloads) {
    const before = median(samples.get(`${workload}\0${revision}`)!);
    const after = median(samples.get(`${workload}\0current`)!);
    console.log(
      `| ${workload} | ${formatNs(before)} | ${formatNs(after)} | ${(after / before).toFixed(3)} |`,
    );
  }
  console.log(`\nmedian of ${rounds} rounds, each a fresh process per tree and workload`);
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', other], { cwd: current, stdio: 'ignore' });
  rmSync(join(other, '..'), { recursive: true, force: true });
}
