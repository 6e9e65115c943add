import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { coreEntry } from '../../core/test/support/processes.ts';
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
  reportOf,
  statuses,
} from './support/cli.ts';

/**
 * Outputs JSON has no form for (a bigint, a Map, a Set, bytes, undefined) and one it cannot hold
 * (a cycle); the module and its node print to stdout, as pipelines do.
 */
const VALUES = `import { func, Pipeline } from ${JSON.stringify(coreEntry)};

console.log('loading values.ts');

export const values = func({ output: 'values' }, (n: number) => {
  console.log(\`computing values of \${n}\`);
  return { big: 2n ** 64n, map: new Map([['a', n]]), set: new Set([n]), bytes: new Uint8Array([n]) };
});

export const nothing = func({ output: 'nothing' }, (n: number): undefined => undefined);

export const cyclic = func({ output: 'cyclic' }, (n: number) => {
  const node: { n: number; self?: unknown } = { n };
  node.self = node;
  return node;
});

export default new Pipeline([values, nothing, cyclic]);
`;

const project = cliProject({
  'pipeline.ts': PIPELINE,
  'failing.ts': FAILING,
  'nothing.ts': NO_PIPELINE,
  'values.ts': VALUES,
  'inputs.json': JSON.stringify({ n: 5, name: 'from-file' }),
});
afterAll(() => project.dispose());

/** A run of PIPELINE with every input given. */
const RUN = ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc'];

/** What the pipeline's nodes were given, in the order they ran. */
const seen = (): Record<string, unknown>[] =>
  lines(project.read('seen.jsonl')).map((line) => JSON.parse(line) as Record<string, unknown>);

describe('memoflow run', () => {
  let first: CliResult;
  let second: CliResult;
  let seenOnFirstRun: Record<string, unknown>[];
  beforeAll(async () => {
    first = await project.cli(RUN);
    seenOnFirstRun = seen();
    second = await project.cli([...RUN, '--json', '--summary']);
  });

  test('computes every node on the first run', () => {
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).not.toMatch(ANSI);
    for (const node of NODES) expect(first.stdout).toMatch(new RegExp(`^${node} +✗ miss +new`, 'm'));
    expect(first.stdout).toContain('3 nodes: 3 miss');
  });

  test('prints the outputs after the report, each cut to a screenful', () => {
    // padded is 8,192 characters: the first 500 are shown.
    expect(first.stdout).toMatch(
      /\n3 nodes: 3 miss — .*\n\nOutputs\n {2}padded: 'abc: 6\.{494}'\.\.\. 7692 more characters\n$/,
    );
  });

  test('--json prints one document, { outputs, report }, with each output whole', () => {
    const document = parseJson(second);
    expect(Object.keys(document)).toEqual(['outputs', 'report']);
    expect(document.outputs).toEqual({ padded: 'abc: 6'.padEnd(8192, '.') });
  });

  test('reads every node from the cache on the second run (--json)', () => {
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const report = reportOf(second);
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
    expect(statuses(reportOf(result))).toEqual({ doubled: 'miss', label: 'miss' });
    expect(parseJson(result).outputs).toEqual({ label: 'from-flag: 10' });
    expect(seen()).toEqual([{ n: 5 }, { name: 'from-flag' }]);
  });

  test('--output, repeated: each output asked for is printed, in the order the nodes ran', async () => {
    const result = await project.cli([...RUN, '--output', 'label', '--output', 'doubled']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/\n\nOutputs\n {2}doubled: 6\n {2}label: 'abc: 6'\n$/);
  });

  test('values JSON has no form for: shown as Node shows them, and converted in --json', async () => {
    const asked = ['--output', 'values', '--output', 'nothing'];
    const human = await project.cli(['run', 'values.ts', '--input', 'n=3', ...asked]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    const outputs = human.stdout.slice(human.stdout.indexOf('\nOutputs\n'));
    expect(outputs).toContain('big: 18446744073709551616n');
    expect(outputs).toContain("map: Map(1) { 'a' => 3 }");
    expect(outputs).toContain('set: Set(1) { 3 }');
    expect(outputs).toContain('bytes: Uint8Array(1) [ 3 ]');
    expect(outputs).toMatch(/^ {2}nothing: undefined$/m);

    const json = await project.cli(['run', 'values.ts', '--input', 'n=4', ...asked, '--json']);
    expect(json.code).toBe(0);
    expect(parseJson(json).outputs).toEqual({
      values: { big: '18446744073709551616', map: { a: 4 }, set: [4], bytes: [4] },
      nothing: null,
    });
  });

  test('--json: what the pipeline prints goes to stderr, so stdout holds the document alone', async () => {
    const result = await project.cli(['run', 'values.ts', '--input', 'n=5', '--output', 'values', '--json']);
    expect(result.code).toBe(0);
    expect(statuses(reportOf(result))).toEqual({ values: 'miss' });
    expect(lines(result.stderr)).toEqual(['loading values.ts', 'computing values of 5']);
  });

  test('--json with an output JSON cannot hold: exit 1, one line naming the output', async () => {
    const result = await project.cli(['run', 'values.ts', '--input', 'n=1', '--output', 'cyclic', '--json']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(lines(result.stderr)).toEqual([
      'loading values.ts',
      expect.stringMatching(
        /^memoflow: output `cyclic` cannot be printed as JSON \(Converting circular structure to JSON\): run without --json to see it, or choose other outputs with --output$/,
      ),
    ]);
  });

  test('--summary appends the Markdown report to $GITHUB_STEP_SUMMARY', async () => {
    const summary = project.path('step-summary.md');
    writeFileSync(summary, '## An earlier step\n\n');
    const withSummary = await project.cli([...RUN, '--summary'], { env: { GITHUB_STEP_SUMMARY: summary } });
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
      'an --input the pipeline does not take, with the inputs it does',
      ['run', 'pipeline.ts', '--input', 'n=1', '--input', 'name=x', '--input', 'nmae=y'],
      /^memoflow: --input nmae=…: pipeline\.ts has no input `nmae`: its inputs are `n`, `name`$/,
    ],
    [
      'an --input named after an output',
      ['run', 'pipeline.ts', '--input', 'n=1', '--input', 'name=x', '--input', 'doubled=2'],
      /^memoflow: --input doubled=…: pipeline\.ts has no input `doubled` \(`doubled` is the output of a node\): its inputs are `n`, `name`$/,
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
