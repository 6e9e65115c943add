import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RunReportData } from '@memoflow/core';
import { afterAll, expect, test } from 'vitest';

const run = promisify(execFile);
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = fileURLToPath(new URL('../../packages/cli/bin/memoflow.js', import.meta.url));
/** The core package's source entry: a clone lives outside the workspace, so it imports core by path. */
const coreEntry = fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url));
const INPUTS = ['--input', 'seed=7', '--input', 'samples=2000', '--input', 'degree=3'];

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A directory of its own holding the example's pipeline, as a fresh checkout on another CI runner would. */
function clone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-ci-reuse-'));
  dirs.push(dir);
  const source = readFileSync(join(here, 'pipeline.ts'), 'utf8');
  const pipeline = source.replace("from '@memoflow/core'", `from ${JSON.stringify(coreEntry)}`);
  expect(pipeline).not.toBe(source);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'pipeline.ts'), pipeline);
  return dir;
}

/**
 * Runs the `memoflow` binary in `cwd`. The caller's MEMOFLOW_* settings and job summary are left
 * out, so each clone uses its own `.memoflow/` and no report lands in a real CI job's summary.
 */
async function memoflow(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !name.startsWith('MEMOFLOW_') && name !== 'GITHUB_STEP_SUMMARY',
  );
  const { stdout } = await run(process.execPath, [bin, ...args], {
    cwd,
    env: { ...Object.fromEntries(inherited), ...env },
  });
  return stdout;
}

const runJson = async (cwd: string): Promise<RunReportData> =>
  JSON.parse(await memoflow(cwd, ['run', 'pipeline.ts', ...INPUTS, '--json'])).report;

const statuses = (report: RunReportData): Record<string, string> =>
  Object.fromEntries(
    report.nodes.map(({ node, status, reason }) => [node, reason ? `${status} ${reason}` : status]),
  );

test('a cache exported in one clone and imported in a second clone elsewhere makes every node of the second run a hit', async () => {
  const first = clone();
  const second = clone();

  const cold = await runJson(first);
  expect(cold.backend).toBe('disk');
  expect(statuses(cold)).toEqual({
    dataset: 'miss new',
    split: 'miss new',
    model: 'miss new',
    evaluation: 'miss new',
  });

  const exported = JSON.parse(await memoflow(first, ['cache', 'export', 'cache.tar.gz', '--json']));
  expect(exported.entries).toBe(4);
  const imported = JSON.parse(
    await memoflow(second, ['cache', 'import', join(first, 'cache.tar.gz'), '--json']),
  );
  expect(imported).toEqual(exported);
  expect(existsSync(join(second, '.memoflow'))).toBe(true);

  const warm = await runJson(second);
  expect(statuses(warm)).toEqual({ dataset: 'hit', split: 'hit', model: 'hit', evaluation: 'hit' });
  // The keys hold no paths: the second clone's nodes are stored under the first clone's keys.
  expect(warm.nodes.map((node) => node.key)).toEqual(cold.nodes.map((node) => node.key));
  expect(warm.nodes.every((node) => node.bytesRead > 0 && node.bytesWritten === 0)).toBe(true);
});

test('`run --summary` appends the Markdown report, a table and a Mermaid graph, to $GITHUB_STEP_SUMMARY', async () => {
  const dir = clone();
  const summary = join(dir, 'step-summary.md');
  writeFileSync(summary, '## An earlier step\n\n');

  const stdout = await memoflow(dir, ['run', 'pipeline.ts', ...INPUTS, '--summary'], {
    GITHUB_STEP_SUMMARY: summary,
  });
  expect(stdout).toContain('4 nodes: 4 miss');

  const markdown = readFileSync(summary, 'utf8');
  expect(markdown.startsWith('## An earlier step\n\n### memoflow run\n')).toBe(true);
  expect(markdown).toContain('| node | status | reason | changed | time | saved | read | written |');
  for (const node of ['dataset', 'split', 'model', 'evaluation']) {
    expect(markdown).toMatch(new RegExp(`^\\| ${node} \\| 🔄 miss \\| new \\|`, 'm'));
  }
  const graph = markdown.slice(markdown.indexOf('```mermaid\n'));
  expect(graph).toMatch(/^```mermaid\nflowchart LR\n/);
  expect(graph).toContain('n1 --> n2');
  expect(graph).toContain('class n0,n1,n2,n3 miss');
  expect(graph.trimEnd().endsWith('```')).toBe(true);
});
