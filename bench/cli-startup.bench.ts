/**
 * The installed CLI's start-up, side by side with `node -e 0`: the workspace is built and packed
 * as it is published (test/packaging), `@memoflow/core` and `@memoflow/cli` are installed from the
 * tarballs with npm into an empty app, and each case runs in a fresh process, round by round so
 * every case sees the same machine state. An all-hit run is a second `memoflow run` of a 20-node
 * pipeline whose results the first run stored.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { packWorkspace } from '../test/packaging/workspace-pack.ts';
import { median } from './_harness.ts';

const ROUNDS = 9;
const NODES = 20;

/** A chain of `NODES` nodes: n0 takes the input `seed`, each next one the output before it. */
function pipelineModule(): string {
  const lines = ["import { func, Pipeline } from '@memoflow/core';", ''];
  for (let index = 0; index < NODES; index++) {
    const input = index === 0 ? 'seed' : `n${index - 1}`;
    lines.push(
      `const n${index} = func({ output: 'n${index}' }, (${input}: number): number => ${input} * 2 + ${index});`,
    );
  }
  lines.push(
    '',
    `export default new Pipeline([${Array.from({ length: NODES }, (_, i) => `n${i}`).join(', ')}]);`,
  );
  return `${lines.join('\n')}\n`;
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' / ');

const packed = await packWorkspace();
try {
  const app = join(packed.dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  const tarballs = packed.packages
    .filter(({ name }) => name === '@memoflow/core' || name === '@memoflow/cli')
    .map(({ tarball }) => tarball);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: app, stdio: 'ignore' });
  const source = pipelineModule();
  writeFileSync(join(app, 'pipeline.ts'), source);
  // The same program without its annotations, for plain Node.
  writeFileSync(join(app, 'pipeline.mjs'), source.replace(/: number/g, ''));
  const memoflow = join(app, 'node_modules/.bin/memoflow');
  const runArgs = (file: string) => [memoflow, 'run', file, '--input', 'seed=1'];
  for (const file of ['pipeline.ts', 'pipeline.mjs'])
    execFileSync(process.execPath, runArgs(file), { cwd: app });

  const cases: Array<{ name: string; args: string[] }> = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'memoflow --help', args: [memoflow, '--help'] },
    { name: `memoflow run, ${NODES} nodes all hits, .mjs`, args: runArgs('pipeline.mjs') },
    { name: `memoflow run, ${NODES} nodes all hits, .ts`, args: runArgs('pipeline.ts') },
  ];
  const times = new Map(cases.map(({ name }) => [name, [] as number[]]));
  const loadBefore = load();
  for (let round = 0; round < ROUNDS; round++) {
    for (const { name, args } of cases) {
      const started = performance.now();
      execFileSync(process.execPath, args, { cwd: app, stdio: 'ignore' });
      times.get(name)!.push(performance.now() - started);
    }
  }
  const baseline = median(times.get('node -e 0')!);
  const goals: Record<string, number> = { 'memoflow --help': 2, [cases[3]!.name]: 3 };
  console.log(`\n### Installed CLI start-up, wall time of a fresh process (median of ${ROUNDS})\n`);
  console.log('| case | median | range | ratio to `node -e 0` | goal |');
  console.log('|---|---:|---:|---:|---|');
  for (const { name } of cases) {
    const values = times.get(name)!;
    const goal = goals[name] === undefined ? '' : `≤ ${goals[name]}x`;
    console.log(
      `| ${name} | ${median(values).toFixed(0)} ms | ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} ms | ${(median(values) / baseline).toFixed(2)}x | ${goal} |`,
    );
  }
  console.log(`\nLoad average (1 / 5 / 15 min): ${loadBefore} before, ${load()} after.`);
} finally {
  packed.dispose();
}
