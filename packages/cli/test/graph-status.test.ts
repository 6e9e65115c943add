import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliResult, cliProject, PIPELINE } from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

const hasGraphviz = spawnSync('dot', ['-V']).status === 0;

/** The Mermaid class each node id is put in, by `class <ids> <state>` lines. */
const classesOf = (mermaid: string): Record<string, string> =>
  Object.fromEntries(
    [...mermaid.matchAll(/^ {2}class ([\w,]+) (\w+)$/gm)].flatMap(([, ids, state]) =>
      ids!.split(',').map((id) => [id, state!]),
    ),
  );

describe('memoflow graph --status', () => {
  let beforeAnyRun: CliResult;
  let mermaid: CliResult;
  let dot: CliResult;
  let summary: string;
  beforeAll(async () => {
    beforeAnyRun = await project.cli(['graph', 'pipeline.ts', '--status']);
    // The first run computes every node; the second, with another name, only `label` and `padded`.
    expect((await project.cli(['run', 'pipeline.ts', '--input', 'n=2', '--input', 'name=a'])).code).toBe(0);
    expect((await project.cli(['run', 'pipeline.ts', '--input', 'n=2', '--input', 'name=b'])).code).toBe(0);
    project.write('summary.md', '');
    [mermaid, dot] = await Promise.all([
      project.cli(['graph', 'pipeline.ts', '--status', '--summary'], {
        env: { GITHUB_STEP_SUMMARY: project.path('summary.md') },
      }),
      project.cli(['graph', 'pipeline.ts', '--status', '--format', 'dot']),
    ]);
    summary = readFileSync(project.path('summary.md'), 'utf8');
  });

  test('without a recorded run, says so on stderr and draws the plain graph', async () => {
    const plain = await project.cli(['graph', 'pipeline.ts']);
    expect(beforeAnyRun).toEqual({
      code: 0,
      stdout: plain.stdout,
      stderr: 'memoflow: no run is recorded in this cache yet: the graph is drawn without states\n',
    });
    expect(plain.stdout).not.toContain('classDef');
  });

  test('Mermaid: a classDef per state, each node in the class of its state in the last run', () => {
    expect(mermaid).toMatchObject({ code: 0, stderr: '' });
    expect(mermaid.stdout).toMatch(/^ {2}classDef hit fill:#dafbe1,stroke:#2da44e,color:#1f2328$/m);
    expect(mermaid.stdout).toMatch(/^ {2}classDef miss fill:#fff8c5,stroke:#d4a72c,color:#1f2328$/m);
    // toMermaid() numbers the nodes n0, n1, n2 in the pipeline's order: doubled, label, padded.
    expect(classesOf(mermaid.stdout)).toEqual({ n0: 'hit', n1: 'miss', n2: 'miss' });
  });

  test('DOT: each node filled by its state, with its state, time and size in its label', () => {
    expect(dot).toMatchObject({ code: 0, stderr: '' });
    expect(dot.stdout).toMatch(/^digraph /);
    expect(dot.stdout).toMatch(
      /^ {2}"doubled" \[style=filled, fillcolor="#dafbe1", color="#2da44e", label="doubled\\nhit · \d+ ms · \d+ B"\];$/m,
    );
    expect(dot.stdout).toMatch(
      /^ {2}"padded" \[style=filled, fillcolor="#fff8c5", color="#d4a72c", label="padded\\nmiss · \d+ ms · 8\.0 KiB"\];$/m,
    );
    expect(dot.stdout.trimEnd().endsWith('}')).toBe(true);
  });

  test.skipIf(!hasGraphviz)('DOT with states is drawn by Graphviz as SVG', async () => {
    const svg = await project.cli(['graph', 'pipeline.ts', '--status', '--format', 'svg']);
    expect(svg.code).toBe(0);
    expect(svg.stdout).toContain('<svg');
    expect(svg.stdout).toContain('#dafbe1');
  });

  test('--summary appends the coloured Mermaid graph to the GitHub job summary', () => {
    expect(summary).toBe(`\n### Pipeline pipeline.ts\n\n\`\`\`mermaid\n${mermaid.stdout}\`\`\`\n`);
  });
});
