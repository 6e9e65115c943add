/**
 * The CLI as users run it: compiled, installed in a project's node_modules (support/installed.ts)
 * and run by plain `node`, without tsx or the memoflow-source condition. Pipeline modules import
 * `@memoflow/core` by name, so they share the CLI's copy as an installed project does.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeWithRedis, testPrefix } from '../../test-utils/src/redis.ts';
import { type CliProject, lines, parseJson, reportOf, statuses } from './support/cli.ts';
import { type BuiltPackages, buildPackages } from './support/installed.ts';

/** Two nodes; with `typed`, TypeScript that Node cannot run without a compiler. */
const pipeline = (typed: boolean): string => {
  const number = typed ? ': number' : '';
  return `import { func, Pipeline } from '@memoflow/core';

export const doubled = func({ output: 'doubled' }, (n${number}) => n * 2);

export const label = func({ output: 'label' }, (doubled${number}) => \`twice: \${doubled}\`);

export default new Pipeline([doubled, label]);
`;
};

const FAILING = `import { func, Pipeline } from '@memoflow/core';

export const checked = func({ output: 'checked' }, (n: number): number => {
  if (n < 0) throw new RangeError(\`n must not be negative, got \${n}\`);
  return n;
});

export default new Pipeline([checked]);
`;

const MODULES = {
  'pipeline.ts': pipeline(true),
  'pipeline.mts': pipeline(true),
  'pipeline.js': pipeline(false),
  'pipeline.mjs': pipeline(false),
  'failing.ts': FAILING,
};

/** A URL no server answers at: the errors under test come before any connection. */
const NOWHERE = 'redis://127.0.0.1:1';

let built: BuiltPackages;
const projects: CliProject[] = [];
const installed = (...args: Parameters<BuiltPackages['project']>): CliProject => {
  const project = built.project(...args);
  projects.push(project);
  return project;
};

beforeAll(async () => {
  built = await buildPackages(['cli', 'core', 'redis', 'bullmq']);
}, 300_000);

afterAll(() => {
  for (const project of projects) project.dispose();
  built?.dispose();
});

describe('pipeline modules of every extension, from the built CLI', () => {
  test.each(['ts', 'mts', 'js', 'mjs'])(
    '.%s: the first run computes, the second reads every node',
    async (extension) => {
      const project = installed(['cli', 'core'], MODULES);
      const args = ['run', `pipeline.${extension}`, '--input', 'n=3', '--json'];
      const first = await project.cli(args);
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(statuses(reportOf(first))).toEqual({ doubled: 'miss', label: 'miss' });
      expect(parseJson(first).outputs).toEqual({ label: 'twice: 6' });
      const second = await project.cli(args);
      expect(second).toMatchObject({ code: 0, stderr: '' });
      expect(statuses(reportOf(second))).toEqual({ doubled: 'hit', label: 'hit' });
    },
  );

  test('JavaScript modules never load tsx: they run with tsx not installed, TypeScript does not', async () => {
    const project = installed(['cli', 'core'], MODULES, ['tsx']);
    const [js, mjs, ts] = await Promise.all(
      ['pipeline.js', 'pipeline.mjs', 'pipeline.ts'].map((module) =>
        project.cli(['run', module, '--input', 'n=3', '--output', 'doubled']),
      ),
    );
    for (const result of [js!, mjs!]) {
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toMatch(/\nOutputs\n {2}doubled: 6\n$/);
    }
    expect(ts!.code).toBe(2);
    expect(lines(ts!.stderr)).toEqual([
      expect.stringMatching(/^memoflow: cannot load pipeline\.ts: Cannot find package 'tsx' imported from /),
    ]);
  });

  test('memoflow.config.ts is compiled as pipeline modules are', async () => {
    const project = installed(['cli', 'core'], {
      'memoflow.config.ts': 'const concurrency: number = 3;\nexport default { concurrency };\n',
    });
    const result = await project.cli(['config', '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(parseJson(result)).toMatchObject({
      values: { concurrency: 3 },
      sources: { concurrency: 'memoflow.config.ts' },
    });
  });

  test('a node of a .ts module that throws, with --debug: the stack leads to the line in the .ts file', async () => {
    const project = installed(['cli', 'core'], MODULES);
    const result = await project.cli(['run', 'failing.ts', '--input', 'n=-1', '--debug']);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)[0]).toMatch(/^memoflow: .*`checked`.*n must not be negative, got -1/);
    expect(result.stderr).toMatch(/RangeError: n must not be negative, got -1\n\s+at .*failing\.ts:4:/);
  });
});

describe('@memoflow/redis and @memoflow/bullmq are optional: a command that needs one says how to install it', () => {
  test('without either: a Redis cache, run --queue and worker exit 2 naming the packages; a disk run works', async () => {
    const project = installed(['cli', 'core'], MODULES);
    const [cache, queue, worker, disk] = await Promise.all([
      project.cli(['cache', 'info', '--redis', NOWHERE]),
      project.cli(['run', 'pipeline.mjs', '--input', 'n=3', '--redis', NOWHERE, '--queue', 'jobs']),
      project.cli(['worker', 'pipeline.mjs', '--redis', NOWHERE]),
      project.cli(['run', 'pipeline.mjs', '--input', 'n=3']),
    ]);
    expect(cache).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'memoflow: the Redis backend needs @memoflow/redis, which is not installed: npm install @memoflow/redis\n',
    });
    expect(queue).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'memoflow: run --queue needs @memoflow/redis and @memoflow/bullmq, which are not installed: npm install @memoflow/redis @memoflow/bullmq\n',
    });
    expect(worker).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'memoflow: memoflow worker needs @memoflow/redis and @memoflow/bullmq, which are not installed: npm install @memoflow/redis @memoflow/bullmq\n',
    });
    expect(disk).toMatchObject({ code: 0, stderr: '' });
  });

  test('with @memoflow/redis only: run --queue names @memoflow/bullmq alone', async () => {
    const project = installed(['cli', 'core', 'redis'], MODULES);
    const queue = await project.cli([
      'run',
      'pipeline.mjs',
      '--input',
      'n=3',
      '--redis',
      NOWHERE,
      '--queue',
      'jobs',
    ]);
    expect(queue).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'memoflow: run --queue needs @memoflow/bullmq, which is not installed: npm install @memoflow/bullmq\n',
    });
  });

  test('a package installed but broken (its own dependency missing) is not told to be installed: its error passes through', async () => {
    const project = installed(['cli', 'core', 'redis'], MODULES, ['redis']);
    const result = await project.cli(['cache', 'info', '--redis', NOWHERE]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    // Node's own message (it may add a hint on a line of its own), not memoflow's install advice.
    expect(lines(result.stderr)[0]).toMatch(
      /^memoflow: Cannot find package 'redis' imported from .*@memoflow\/redis\/dist\//,
    );
    expect(result.stderr).not.toContain('npm install');
  });

  describeWithRedis('installed', (url) => {
    test('with @memoflow/redis installed, the Redis backend loads and answers', async () => {
      const project = installed(['cli', 'core', 'redis'], MODULES);
      const result = await project.cli([
        'cache',
        'info',
        '--json',
        '--redis',
        url,
        '--prefix',
        testPrefix('cli-installed'),
      ]);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(parseJson(result)).toMatchObject({ backend: 'redis', entries: 0 });
    });
  });
});
