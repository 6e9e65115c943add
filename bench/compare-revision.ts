/**
 * This checkout against another revision of itself, in one run: memory hit, disk hit, a 10,000-node
 * all-hit run and a Redis frontier lookup. Shows whether a change (a refactoring, say) slowed a hot
 * path. The revision is checked out twice: `before`, and `before′`, the control, whose ratio to
 * `before` is what the method reads as a change where there is none.
 *
 * - Interleaved workloads: both trees' packages load into this one process (two module graphs),
 *   and the harness interleaves their cases batch by batch, so both see the same machine and
 *   moment. Each runs twice, each tree built first once (the one built second measures slower),
 *   and the ratio combines the two orders. The control runs the same way against `before`.
 * - Per-process workloads (`PER_PROCESS`): each sample is a fresh process (`_revision-child.ts`),
 *   the three trees in turn, round after round; the figure is the median of the samples.
 *
 * Usage: `node --conditions=memoflow-source --import tsx bench/compare-revision.ts <revision> [rounds]`
 * (from the repository root; the checkouts are git worktrees in a temp folder, installed from the
 * local pnpm store when it has what they need).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare, formatNs, median } from './_harness.ts';
import { PER_PROCESS, type TreeCase, workloads } from './_revision-workloads.ts';

const [revision, roundsArg] = process.argv.slice(2);
if (revision === undefined) throw new Error('usage: compare-revision.ts <revision> [rounds]');
const rounds = Number(roundsArg ?? 40);
const current = fileURLToPath(new URL('..', import.meta.url));
const child = fileURLToPath(new URL('./_revision-child.ts', import.meta.url));

type Build = (root: string, name: string) => Promise<TreeCase>;

/** Medians of `build` on `a` and `b` interleaved in this process, `a` built first. */
async function interleaved(build: Build, a: string, b: string): Promise<[number, number]> {
  const trees: TreeCase[] = [];
  try {
    trees.push(await build(a, 'a'));
    trees.push(await build(b, 'b'));
    const results = await compare(
      trees.map((tree) => tree.benchCase),
      { rounds },
    );
    return [results[0]!.medianNs, results[1]!.medianNs];
  } finally {
    for (const tree of trees) await tree.close();
  }
}

/** `after / before` on one workload in one process, both orders combined; and the two medians. */
async function inProcess(build: Build, before: string, after: string) {
  const [before1, after1] = await interleaved(build, before, after);
  const [after2, before2] = await interleaved(build, after, before);
  return {
    before: median([before1, before2]),
    after: median([after1, after2]),
    ratio: Math.sqrt((after1 / before1) * (after2 / before2)),
  };
}

/** The median per-call time of `workload` on each root, one fresh process per sample, the roots in turn. */
function perProcess(workload: string, roots: string[]): number[] {
  const samples = roots.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < roots.length; turn++) {
      // Each round starts with the next root, so no tree always follows the same one.
      const index = (round + turn) % roots.length;
      const stdout = execFileSync(
        process.execPath,
        ['--conditions=memoflow-source', '--import', 'tsx', child, roots[index]!, workload],
        { cwd: current, encoding: 'utf8' },
      );
      samples[index]!.push(JSON.parse(stdout.trim().split('\n').at(-1)!).medianNs);
    }
  }
  return samples.map(median);
}

const checkouts: string[] = [];

/** A worktree of the revision, installed; removed at the end (listed in `checkouts` as soon as it exists). */
function checkout(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'memoflow-revision-')), 'tree');
  execFileSync('git', ['worktree', 'add', '--detach', dir, revision!], { cwd: current, stdio: 'ignore' });
  checkouts.push(dir);
  execFileSync('npx', ['-y', 'pnpm@10', 'install', '--prefer-offline', '--frozen-lockfile'], {
    cwd: dir,
    stdio: 'ignore',
  });
  return dir;
}

try {
  const before = checkout();
  const control = checkout();
  console.log(
    `\n| workload | how | ${revision} | current | current / ${revision} | control: ${revision}′ / ${revision} |\n|---|---|---:|---:|---:|---:|`,
  );
  for (const [workload, build] of Object.entries(workloads)) {
    if (PER_PROCESS.has(workload)) {
      const [was, now, again] = perProcess(workload, [before, current, control]);
      console.log(
        `| ${workload} | ${rounds} processes each | ${formatNs(was!)} | ${formatNs(now!)} | ${(now! / was!).toFixed(3)} | ${(again! / was!).toFixed(3)} |`,
      );
    } else {
      const measured = await inProcess(build, before, current);
      const controlled = await inProcess(build, before, control);
      console.log(
        `| ${workload} | ${rounds} batches, both orders | ${formatNs(measured.before)} | ${formatNs(measured.after)} | ${measured.ratio.toFixed(3)} | ${controlled.ratio.toFixed(3)} |`,
      );
    }
  }
} finally {
  for (const dir of checkouts) {
    execFileSync('git', ['worktree', 'remove', '--force', dir], { cwd: current, stdio: 'ignore' });
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}
process.exit(0);
