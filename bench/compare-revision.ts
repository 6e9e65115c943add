/**
 * This checkout against another revision of itself, in one run: memory hit, disk hit, a 10,000-node
 * all-hit run and a Redis frontier lookup. Shows whether a change (a refactoring, say) slowed a hot
 * path. Both trees' packages are loaded into this one process (each from its own files, so two
 * separate module graphs), and the harness interleaves their cases batch by batch, so both see the
 * same machine, the same moment and the same process; the figure is the median of the batches.
 * Each workload runs twice, each tree built first once: the ratio combines the two orders.
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
import { compare, formatNs } from './_harness.ts';
import { type TreeCase, workloads } from './_revision-workloads.ts';

const [revision, roundsArg] = process.argv.slice(2);
if (revision === undefined) throw new Error('usage: compare-revision.ts <revision> [rounds]');
const rounds = Number(roundsArg ?? 40);
const current = fileURLToPath(new URL('..', import.meta.url));

/** Medians of the workload on both trees, `first` built (and measured) first; `after` is the current tree's. */
async function measure(
  build: (root: string, name: string) => Promise<TreeCase>,
  first: [string, string],
  second: [string, string],
): Promise<{ before: number; after: number }> {
  const trees: TreeCase[] = [await build(...first), await build(...second)];
  try {
    // Batches of ~10 ms, interleaved: first, second, first, second, …
    const results = await compare(
      trees.map((tree) => tree.benchCase),
      { rounds },
    );
    const ns = (name: string) => results.find((result) => result.name === name)!.medianNs;
    return { before: ns(revision!), after: ns('current') };
  } finally {
    for (const tree of trees) await tree.close();
  }
}

const other = join(mkdtempSync(join(tmpdir(), 'memoflow-revision-')), 'tree');
execFileSync('git', ['worktree', 'add', '--detach', other, revision], { cwd: current, stdio: 'ignore' });
try {
  execFileSync('npx', ['-y', 'pnpm@10', 'install', '--offline', '--frozen-lockfile'], {
    cwd: other,
    stdio: 'ignore',
  });
  console.log(
    `\n| workload | ${revision} | current | ratio, ${revision} built first | ratio, current built first | current / ${revision} |\n|---|---|---|---|---|---|`,
  );
  for (const [workload, build] of Object.entries(workloads)) {
    // In one process the tree built second measures slower (its objects come on top of the
    // first's), so each workload runs in both orders and the two ratios are combined.
    const beforeFirst = await measure(build, [other, revision], [current, 'current']);
    const currentFirst = await measure(build, [current, 'current'], [other, revision]);
    const ratio = Math.sqrt(
      (beforeFirst.after / beforeFirst.before) * (currentFirst.after / currentFirst.before),
    );
    console.log(
      `| ${workload} | ${formatNs(beforeFirst.before)} | ${formatNs(beforeFirst.after)} | ${(beforeFirst.after / beforeFirst.before).toFixed(3)} | ${(currentFirst.after / currentFirst.before).toFixed(3)} | ${ratio.toFixed(3)} |`,
    );
  }
  console.log(
    `\nmedian of ${rounds} interleaved batches per tree, both trees in one process, in both orders`,
  );
} finally {
  execFileSync('git', ['worktree', 'remove', '--force', other], { cwd: current, stdio: 'ignore' });
  rmSync(join(other, '..'), { recursive: true, force: true });
}
process.exit(0);
