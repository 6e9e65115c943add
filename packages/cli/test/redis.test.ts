import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeWithRedis, freePort, testPrefix } from '../../test-utils/src/redis.ts';
import {
  type CliResult,
  cliProject,
  lines,
  NODES,
  PIPELINE,
  parseJson,
  reportOf,
  statuses,
} from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

const RUN = ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc'];

describeWithRedis('memoflow with --redis', (url) => {
  const redis = ['--redis', url, '--prefix', testPrefix('cli')];
  let cleared = false;
  afterAll(async () => {
    if (!cleared) await project.cli(['cache', 'clear', '--yes', ...redis]);
  });

  test('a second run reads every node from Redis', async () => {
    const first = await project.cli([...RUN, ...redis, '--json']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(statuses(reportOf(first))).toEqual({ doubled: 'miss', label: 'miss', padded: 'miss' });
    const second = await project.cli([...RUN, ...redis, '--json']);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const report = reportOf(second);
    expect(report.backend).toBe('redis');
    expect(statuses(report)).toEqual({ doubled: 'hit', label: 'hit', padded: 'hit' });
  });

  test('cache info counts the entries under the prefix, as a table and as JSON', async () => {
    const [human, json] = await Promise.all([
      project.cli(['cache', 'info', ...redis]),
      project.cli(['cache', 'info', ...redis, '--json']),
    ]);
    expect(human).toMatchObject({ code: 0, stderr: '' });
    expect(human.stdout).toContain(`Cache    redis at ${url}\nEntries  3\n`);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    const info = parseJson(json);
    expect(info).toMatchObject({ backend: 'redis', entries: 3 });
    expect(Object.keys(info.nodes).sort()).toEqual([...NODES].sort());
  });

  test('MEMOFLOW_SIGNING_KEY signs the entries: a run with another key reads none of them', async () => {
    const signed = ['--redis', url, '--prefix', testPrefix('cli-signed')];
    const withKey = (key: string) => ({ env: { MEMOFLOW_SIGNING_KEY: key } });
    try {
      await project.cli([...RUN, ...signed], withKey('the first signing key, long enough'));
      const [same, other] = await Promise.all([
        project.cli([...RUN, ...signed, '--json'], withKey('the first signing key, long enough')),
        project.cli(
          [...RUN, ...signed, '--json', '--read-only'],
          withKey('another signing key, long enough'),
        ),
      ]);
      expect(Object.values(statuses(reportOf(same)))).toEqual(['hit', 'hit', 'hit']);
      expect(Object.values(statuses(reportOf(other)))).toEqual(['miss', 'miss', 'miss']);
    } finally {
      await project.cli(['cache', 'clear', '--yes', ...signed]);
    }
  });

  test('cache clear --yes empties the prefix', async () => {
    const clear = await project.cli(['cache', 'clear', '--yes', ...redis]);
    cleared = true;
    expect(clear).toEqual({ code: 0, stdout: 'removed every entry\n', stderr: '' });
    const info = await project.cli(['cache', 'info', ...redis, '--json']);
    expect(parseJson(info)).toMatchObject({ entries: 0 });
  });
});

describe('memoflow with a Redis that does not answer', () => {
  let unreachable: string;
  let info: CliResult;
  let run: CliResult;
  beforeAll(async () => {
    unreachable = `redis://127.0.0.1:${await freePort()}`;
    [info, run] = await Promise.all([
      project.cli(['cache', 'info', '--redis', unreachable]),
      project.cli([...RUN, '--redis', unreachable]),
    ]);
  });

  test('cache info: exit 1 and one line naming the server', () => {
    expect(info.code).toBe(1);
    expect(info.stdout).toBe('');
    expect(lines(info.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^memoflow: .*${unreachable}.*unreachable`)),
    ]);
  });

  test('run computes every node without it (exit 0) and warns once, on one line', () => {
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('3 nodes: 3 miss');
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(
        new RegExp(`^memoflow: Redis at ${unreachable} is unreachable.*running without it`),
      ),
    ]);
  });
});
