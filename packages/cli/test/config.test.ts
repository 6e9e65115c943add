import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliProject, type CliResult, cliProject, lines, parseJson } from './support/cli.ts';

const projects: CliProject[] = [];
/** A project of its own for each configuration: package.json is part of what is read. */
const projectWith = (files: Record<string, string>): CliProject => {
  const project = cliProject(files);
  projects.push(project);
  return project;
};
afterAll(() => {
  for (const project of projects) project.dispose();
});

const SETTINGS = ['backend', 'dir', 'redis', 'prefix', 'concurrency', 'readOnly', 'env', 'history'];

const bare = projectWith({});
const json = projectWith({ 'memoflow.config.json': JSON.stringify({ concurrency: 2, dir: 'json-cache' }) });
const ts = projectWith({
  'memoflow.config.ts': `const concurrency: number = 3;\nexport default { concurrency, prefix: 'from-ts:' };\n`,
});
const manifest = projectWith({
  'package.json': JSON.stringify({ type: 'module', memoflow: { concurrency: 6, readOnly: true } }),
});
const unknown = projectWith({ 'memoflow.config.json': JSON.stringify({ concurency: 2 }) });

describe('memoflow config', () => {
  let defaults: CliResult;
  let defaultsJson: CliResult;
  let fromJson: CliResult;
  let fromTs: CliResult;
  let fromManifest: CliResult;
  let envOverFile: CliResult;
  let flagOverEnv: CliResult;
  let unknownSetting: CliResult;
  beforeAll(async () => {
    [defaults, defaultsJson, fromJson, fromTs, fromManifest, envOverFile, flagOverEnv, unknownSetting] =
      await Promise.all([
        bare.cli(['config']),
        bare.cli(['config', '--json']),
        json.cli(['config', '--json']),
        ts.cli(['config', '--json']),
        manifest.cli(['config', '--json']),
        json.cli(['config', '--json'], { env: { MEMOFLOW_CONCURRENCY: '7' } }),
        json.cli(['config', '--json', '--concurrency', '9', '--redis', 'redis://cache.internal:6379'], {
          env: { MEMOFLOW_CONCURRENCY: '7' },
        }),
        unknown.cli(['config']),
      ]);
  });

  test('with nothing configured: every setting, its default, and `default` as its source', () => {
    expect(defaults).toMatchObject({ code: 0, stderr: '' });
    expect(lines(defaults.stdout)).toEqual([
      expect.stringMatching(/^setting +value +from$/),
      `backend      disk${' '.repeat(bare.path('.memoflow').length - 4)}  default`,
      `dir          ${bare.path('.memoflow')}  default`,
      expect.stringMatching(/^redis +\(none\) +default$/),
      expect.stringMatching(/^prefix +memoflow: +default$/),
      expect.stringMatching(new RegExp(`^concurrency +${availableParallelism()} +default$`)),
      expect.stringMatching(/^readOnly +false +default$/),
      expect.stringMatching(/^env +\(none\) +default$/),
      expect.stringMatching(/^history +100 +default$/),
    ]);
  });

  test('--json: the values and where each came from', () => {
    expect(defaultsJson).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(defaultsJson);
    expect(values).toEqual({
      backend: 'disk',
      dir: bare.path('.memoflow'),
      prefix: 'memoflow:',
      // The Runner's own default, so the CLI runs a pipeline as the library does.
      concurrency: availableParallelism(),
      readOnly: false,
      env: [],
      history: 100,
    });
    expect(Object.keys(sources)).toEqual(SETTINGS);
    expect(Object.values(sources)).toEqual(SETTINGS.map(() => 'default'));
  });

  test('memoflow.config.json: its values, relative paths from the project', () => {
    expect(fromJson).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(fromJson);
    expect(values).toMatchObject({ concurrency: 2, dir: json.path('json-cache') });
    expect(sources).toMatchObject({ concurrency: 'memoflow.config.json', dir: 'memoflow.config.json' });
    expect(sources.prefix).toBe('default');
  });

  test('memoflow.config.ts: its default export, TypeScript and all', () => {
    expect(fromTs).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(fromTs);
    expect(values).toMatchObject({ concurrency: 3, prefix: 'from-ts:' });
    expect(sources).toMatchObject({ concurrency: 'memoflow.config.ts', prefix: 'memoflow.config.ts' });
  });

  test('the "memoflow" key of package.json', () => {
    expect(fromManifest).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(fromManifest);
    expect(values).toMatchObject({ concurrency: 6, readOnly: true });
    expect(sources).toMatchObject({
      concurrency: 'package.json "memoflow"',
      readOnly: 'package.json "memoflow"',
    });
  });

  test('MEMOFLOW_CONCURRENCY wins over the file', () => {
    expect(envOverFile).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(envOverFile);
    expect(values).toMatchObject({ concurrency: 7, dir: json.path('json-cache') });
    expect(sources).toMatchObject({ concurrency: 'MEMOFLOW_CONCURRENCY', dir: 'memoflow.config.json' });
  });

  test('--concurrency wins over the environment; --redis means the Redis backend', () => {
    expect(flagOverEnv).toMatchObject({ code: 0, stderr: '' });
    const { values, sources } = parseJson(flagOverEnv);
    expect(values).toMatchObject({ concurrency: 9, backend: 'redis', redis: 'redis://cache.internal:6379' });
    expect(sources).toMatchObject({
      concurrency: 'flag --concurrency',
      redis: 'flag --redis',
      backend: 'flag --redis (a Redis URL)',
    });
  });

  test('an unknown setting in the file: exit 2, one line naming it and the settings there are', () => {
    expect(unknownSetting.code).toBe(2);
    expect(unknownSetting.stdout).toBe('');
    expect(lines(unknownSetting.stderr)).toEqual([
      `memoflow: memoflow.config.json has an unknown setting "concurency": the settings are ${SETTINGS.join(', ')}`,
    ]);
  });
});
