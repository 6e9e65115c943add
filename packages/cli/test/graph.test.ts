import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliResult, cliProject, lines, NODES, PIPELINE } from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

const hasGraphviz = spawnSync('dot', ['-V']).status === 0;

describe('memoflow graph', () => {
  let mermaid: CliResult;
  let dot: CliResult;
  let svgWithoutGraphviz: CliResult;
  let png: CliResult;
  beforeAll(async () => {
    // A PATH with nothing on it: no `dot`, wherever Graphviz is installed.
    mkdirSync(project.path('empty-bin'));
    [mermaid, dot, svgWithoutGraphviz, png] = await Promise.all([
      project.cli(['graph', 'pipeline.ts']),
      project.cli(['graph', 'pipeline.ts', '--format', 'dot']),
      project.cli(['graph', 'pipeline.ts', '--format', 'svg'], { env: { PATH: project.path('empty-bin') } }),
      project.cli(['graph', 'pipeline.ts', '--format', 'png']),
    ]);
  });

  test('prints Mermaid by default: the nodes, and the inputs as their own shapes', () => {
    expect(mermaid).toMatchObject({ code: 0, stderr: '' });
    expect(mermaid.stdout).toMatch(/^flowchart LR\n/);
    for (const name of [...NODES, 'n', 'name']) expect(mermaid.stdout).toContain(`"${name}"`);
  });

  test('--format dot prints a digraph with every node and edge', () => {
    expect(dot).toMatchObject({ code: 0, stderr: '' });
    expect(dot.stdout).toMatch(/^digraph /);
    for (const node of NODES) expect(dot.stdout).toContain(`"${node}"`);
    expect(dot.stdout).toContain('"doubled" -> "label"');
    expect(dot.stdout).toContain('"label" -> "padded"');
  });

  test('--format svg without Graphviz: exit 2 and one line that names the graphviz package', () => {
    expect(svgWithoutGraphviz.code).toBe(2);
    expect(svgWithoutGraphviz.stdout).toBe('');
    expect(lines(svgWithoutGraphviz.stderr)).toEqual([
      expect.stringMatching(/^memoflow: .*install the graphviz package/),
    ]);
  });

  test.skipIf(!hasGraphviz)('--format svg with Graphviz prints an SVG', async () => {
    const svg = await project.cli(['graph', 'pipeline.ts', '--format', 'svg']);
    expect(svg).toMatchObject({ code: 0, stderr: '' });
    expect(svg.stdout).toContain('<svg');
    for (const node of NODES) expect(svg.stdout).toContain(node);
  });

  test('an unknown --format: exit 2, the choices named', () => {
    expect(png.code).toBe(2);
    expect(png.stdout).toBe('');
    expect(png.stderr).toMatch(/^memoflow: .*'png'.*mermaid, dot, svg/);
  });
});
