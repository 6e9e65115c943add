/** `memoflow explain`: a dry run, node by node, that computes nothing and stores nothing. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { coreEntry } from '../../core/test/support/processes.ts';
import { ANSI, cliProject, lines, NODES, PIPELINE, parseJson, reportOf } from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

interface Explained {
  nodes: { node: string; status: string; reason?: string; changed?: string[]; key?: string }[];
}
const byNode = (report: Explained) => Object.fromEntries(report.nodes.map((node) => [node.node, node]));
const inputs = (n: number) => ['--input', `n=${n}`, '--input', 'name=abc'];

let before: Explained;
let runKeys: Record<string, string>;
beforeAll(async () => {
  before = parseJson<Explained>(await project.cli(['explain', 'pipeline.ts', ...inputs(3), '--json']));
  const run: { nodes: { node: string; key: string }[] } = reportOf(
    await project.cli(['run', 'pipeline.ts', ...inputs(3), '--json']),
  );
  runKeys = Object.fromEntries(run.nodes.map((node) => [node.node, node.key]));
});

test('on an empty cache every node would miss as new, and nothing ran or was stored', async () => {
  expect(before.nodes.map((node) => [node.node, node.status, node.reason])).toEqual(
    NODES.map((node) => [node, 'miss', 'new']),
  );
  // The run after it was the first to call a node function.
  expect(lines(project.read('seen.jsonl'))).toHaveLength(2);
  // The root's key is the one the run then used.
  expect(byNode(before).doubled?.key).toBe(runKeys.doubled);
});

test('after a run every node would hit, with the run’s keys; a changed input names itself and what it holds up', async () => {
  const [same, changed, table] = await Promise.all([
    project.cli(['explain', 'pipeline.ts', ...inputs(3), '--json']),
    project.cli(['explain', 'pipeline.ts', ...inputs(4), '--json']),
    project.cli(['explain', 'pipeline.ts', ...inputs(4)]),
  ]);
  const hits = byNode(parseJson<Explained>(same));
  for (const node of NODES) expect([hits[node]?.status, hits[node]?.key]).toEqual(['hit', runKeys[node]]);
  const after = byNode(parseJson<Explained>(changed));
  expect(after.doubled).toMatchObject({ status: 'miss', reason: 'inputs', changed: ['input `n`'] });
  expect(after.label?.status).toBe('unknown');
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/doubled\s+✗ miss\s+inputs: input `n`/);
  expect(table.stdout).not.toMatch(ANSI);
  // Still two calls: explaining ran nothing.
  expect(lines(project.read('seen.jsonl'))).toHaveLength(2);
});

test('--node shows one node; an unknown node is a usage error naming the nodes there are', async () => {
  const [one, unknown] = await Promise.all([
    project.cli(['explain', 'pipeline.ts', ...inputs(3), '--node', 'label', '--json']),
    project.cli(['explain', 'pipeline.ts', ...inputs(3), '--node', 'nope']),
  ]);
  expect(parseJson<Explained>(one).nodes.map((node) => node.node)).toEqual(['label']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr.trim()).toBe(
    `memoflow: no node "nope" in pipeline.ts: its nodes are ${NODES.join(', ')}`,
  );
});

test('--env (or MEMOFLOW_ENV) makes an environment variable count in every signature', async () => {
  const VAR = 'MEMOFLOW_TEST_MODEL';
  const args = ['run', 'pipeline.ts', '--input', 'n=9', '--input', 'name=env', '--json'];
  const first = await project.cli([...args, '--env', VAR], { env: { [VAR]: 'one' } });
  const [same, changed, config] = await Promise.all([
    project.cli(args, { env: { [VAR]: 'one', MEMOFLOW_ENV: VAR } }),
    project.cli(['explain', 'pipeline.ts', '--input', 'n=9', '--input', 'name=env', '--env', VAR, '--json'], {
      env: { [VAR]: 'two' },
    }),
    project.cli(['config', '--json'], { env: { MEMOFLOW_ENV: `${VAR}, OTHER` } }),
  ]);
  expect((reportOf(first) as Explained).nodes.map((node) => node.status)).toEqual(['miss', 'miss', 'miss']);
  expect((reportOf(same) as Explained).nodes.map((node) => node.status)).toEqual(['hit', 'hit', 'hit']);
  expect(byNode(parseJson<Explained>(changed)).doubled).toMatchObject({
    status: 'miss',
    reason: 'env',
    changed: [`env \`${VAR}\``],
  });
  expect(parseJson(config)).toMatchObject({
    values: { env: [VAR, 'OTHER'] },
    sources: { env: 'MEMOFLOW_ENV' },
  });
});

test('a node whose code reads the clock or is cut by dependencyDepth: explain names the line, the fix and what the cut left out', async () => {
  const clocked = cliProject({
    'helpers.ts': 'export const half = (n: number) => n / 2;\n',
    'pipeline.ts': `import { func, Pipeline } from ${JSON.stringify(coreEntry)};
import { half } from './helpers.ts';
export const stamped = func({ output: 'stamped', dependencyDepth: 0 }, (n: number) => half(n) + Date.now() * 0);
export default new Pipeline([stamped]);
`,
  });
  try {
    const table = await clocked.cli(['explain', 'pipeline.ts', '--input', 'n=2']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(
      /stamped: not hashed: .*pipeline\.ts:3: it calls `Date\.now\(\)`: .*pass the time as an argument/,
    );
    expect(table.stdout).toContain('stamped: dependencyDepth left out ./helpers.ts#half');
    const json = parseJson<{ nodes: { unseen?: string[]; cut?: string[] }[] }>(
      await clocked.cli(['explain', 'pipeline.ts', '--input', 'n=2', '--json']),
    );
    expect(json.nodes[0]).toMatchObject({
      cut: ['./helpers.ts#half'],
      unseen: [expect.stringContaining('Date.now()')],
    });
  } finally {
    clocked.dispose();
  }
});
