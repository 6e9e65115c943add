import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ANSI,
  type CliResult,
  cliProject,
  FAILING,
  lines,
  NO_PIPELINE,
  NODES,
  PIPELINE,
  parseJson,
  statuses,
} from './support/cli.ts';

const project = cliProject({
  'pipeline.ts': PIPELINE,
  'failing.ts': FAILING,
  'nothing.ts': NO_PIPELINE,
  'inputs.json': JSON.stringify({ n: 5, name: 'from-file' }),
});
afterAll(() => project.dispose());

/** What the pipeline's nodes were given, in the order they ran. */
const seen = (): Record<string, unknown>[] =>
  lines(project.read('seen.jsonl')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('memoflow run', () => {
  let first: CliResult;
  let second: CliResult;
  let seenOnFirstRun: Record<string, unknown>[];
  beforeAll(async () => {
    first = await project.cli(['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc']);
    seenOnFirstRun = seen();
    second = await project.cli([
      'run',
      'pipeline.ts',
      '--input',
      'n=3',
      '--input',
      'name=abc',
      '--json',
      '--summary',
    ]);
  });

  test('computes every node on the first run', () => {
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).not.toMatch(ANSI);
    for (const node of NODES) expect(first.stdout).toMatch(new RegExp(`^${node} +✗ miss +new`, 'm'));
    expect(first.stdout).toContain('3 nodes: 3 miss');
  });

  test('reads every node from the cache on the second run (--json)', () => {
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const report = parseJson(second);
    expect(statuses(report)).toEqual({ doubled: 'hit', label: 'hit', padded: 'hit' });
    expect(report.backend).toBe('disk');
    expect(report.edges).toEqual([
      ['doubled', 'label'],
      ['label', 'padded'],
    ]);
    expect(seen()).toEqual(seenOnFirstRun);
  });

  test('--input values are JSON when they parse (3 is a number) and strings when not (abc)', () => {
    expect(seenOnFirstRun).toEqual([{ n: 3 }, { name: 'abc' }]);
  });

  test('--inputs reads a JSON file, --input wins over it, and --output runs only what that output needs', async () => {
    project.write('seen.jsonl', '');
    const result = await project.cli([
      'run',
      'pipeline.ts',
      '--inputs',
      'inputs.json',
      '--input',
      'name=from-flag',
      '--output',
      'label',
      '--json',
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(statuses(parseJson(result))).toEqual({ doubled: 'miss', label: 'miss' });
    expect(seen()).toEqual([{ n: 5 }, { name: 'from-flag' }]);
  });

  test('--summary appends the Markdown report to $GITHUB_STEP_SUMMARY', async () => {
    const summary = project.path('step-summary.md');
    writeFileSync(summary, '## An earlier step\n\n');
    const withSummary = await project.cli(
      ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc', '--summary'],
      { env: { GITHUB_STEP_SUMMARY: summary } },
    );
    expect(withSummary).toMatchObject({ code: 0, stderr: '' });
    expect(withSummary.stdout).toContain('3 nodes: 3 hit');
    const markdown = project.read('step-summary.md');
    expect(markdown.startsWith('## An earlier step\n\n### memoflow run\n')).toBe(true);
    expect(markdown).toContain('| node | status |');
    for (const node of NODES) expect(markdown).toContain(`| ${node} | ✅ hit |`);
    expect(markdown).toContain('```mermaid');
  });

  test('--summary without $GITHUB_STEP_SUMMARY does nothing', () => {
    // The second run above had --summary and no GITHUB_STEP_SUMMARY: only the JSON report on stdout.
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(() => parseJson(second)).not.toThrow();
  });

  test('a node that throws: exit 1, one line naming the node and the error, no stack trace', async () => {
    const result = await project.cli(['run', 'failing.ts', '--input', 'n=-1']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^memoflow: .*`checked`.*n must not be negative, got -1/),
    ]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  test('a node that throws, with --debug: the stack of the error the node threw', async () => {
    const result = await project.cli(['run', 'failing.ts', '--input', 'n=-1', '--debug']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)[0]).toMatch(/^memoflow: .*n must not be negative, got -1/);
    expect(result.stderr).toMatch(/RangeError: n must not be negative, got -1\n\s+at .*failing\.ts/);
  });
});

describe('memoflow run: mistakes in what was asked exit 2 with one line and run nothing', () => {
  const cases: [title: string, args: string[], message: RegExp][] = [
    ['a module that does not exist', ['run', 'missing.ts'], /^memoflow: no module at missing\.ts/],
    [
      'a module that exports no pipeline',
      ['run', 'nothing.ts'],
      /^memoflow: nothing\.ts exports no pipeline \(it exports answer\)/,
    ],
    [
      'an --input without =',
      ['run', 'pipeline.ts', '--input', 'n'],
      /^memoflow: --input "n" is not name=value/,
    ],
    [
      'a missing input, named with the flag that gives it',
      ['run', 'pipeline.ts', '--input', 'n=1'],
      /^memoflow: missing input `name` \(needed by `label`\): pass --input name=…/,
    ],
    [
      'an unknown --output',
      ['run', 'pipeline.ts', '--input', 'n=1', '--input', 'name=x', '--output', 'nope'],
      /^memoflow: .*output `nope`.*`doubled`, `label`, `padded`/i,
    ],
  ];
  let results: CliResult[];
  // One batch of processes for all of them: start-up is most of each one's time.
  beforeAll(async () => {
    project.write('seen.jsonl', '');
    results = await Promise.all(cases.map(([, args]) => project.cli(args)));
  });

  cases.forEach(([title, , message], i) => {
    test(title, () => {
      const result = results[i]!;
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toEqual([expect.stringMatching(message)]);
    });
  });

  test('none of them ran a node', () => {
    expect(seen()).toEqual([]);
  });
});
