/**
 * `memoflow runs`, `runs show` and `runs diff` against the history `memoflow run` records: a
 * real pipeline run cold, then again (all hits), then after an edit of one node's code.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliResult, cliProject, PIPELINE, parseJson } from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

const RUN = ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc'];
/** The id column of `memoflow runs`. */
const idsOf = (result: CliResult): string[] =>
  result.stdout
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => line.split(/\s+/)[0]!);

describe('memoflow runs', () => {
  let ids: string[];
  beforeAll(async () => {
    for (let i = 0; i < 2; i++) expect((await project.cli(RUN)).code).toBe(0);
    // The edit: `label` formats differently, so it and `padded` downstream recompute.
    project.write('pipeline.ts', PIPELINE.replace('name}: $', 'name} = $'));
    expect((await project.cli(RUN)).code).toBe(0);
    ids = (parseJson(await project.cli(['runs', '--json'])) as { id: string }[]).map((run) => run.id);
  });

  test('memoflow run records each run in .memoflow/runs, one file per run', () => {
    expect(ids).toHaveLength(3);
    expect(readdirSync(project.path('.memoflow/runs')).sort()).toEqual(ids.map((id) => `${id}.json`).sort());
  });

  test('lists the runs newest first: id, when, duration, pipeline, who, nodes per status', async () => {
    const result = await project.cli(['runs']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^id +started +duration +pipeline +by +hit +miss +failed +skipped +disabled$/);
    expect(idsOf(result)).toEqual(ids);
    expect(rows[0]).toMatch(/ pipeline\.ts#default +memoflow run +1 +2 +0 +0 +0$/);
    expect(rows[1]).toMatch(/ pipeline\.ts#default +memoflow run +3 +0 +0 +0 +0$/);
    expect(rows[2]).toMatch(/ pipeline\.ts#default +memoflow run +0 +3 +0 +0 +0$/);
    expect(idsOf(await project.cli(['runs', 'list', '--limit', '1']))).toEqual(ids.slice(0, 1));
  });

  test('--json lists summaries with counts', async () => {
    const [latest] = parseJson(await project.cli(['runs', '--json'])) as Record<string, unknown>[];
    expect(latest).toMatchObject({
      id: ids[0],
      pipeline: 'pipeline.ts#default',
      source: 'cli',
      counts: { hit: 1, miss: 2, disabled: 0, failed: 0, skipped: 0 },
    });
  });

  test('show prints a run’s report as run printed it; by id, prefix, latest or latest~N', async () => {
    const latest = await project.cli(['runs', 'show', 'latest']);
    expect(latest).toMatchObject({ code: 0, stderr: '' });
    expect(latest.stdout).toMatch(
      new RegExp(`^run ${ids[0]} · pipeline\\.ts#default · by memoflow run · started `),
    );
    expect(latest.stdout).toContain('outputs: padded');
    expect(latest.stdout).toMatch(/^label +✗ miss +code/m);
    expect(latest.stdout).toMatch(/^padded +✗ miss +deps/m);
    expect(latest.stdout).toContain('3 nodes: 1 hit, 2 miss');
    const byId = await project.cli(['runs', 'show', ids[2]!]);
    expect(byId.stdout).toContain('3 nodes: 3 miss');
    expect((await project.cli(['runs', 'show', 'latest~2'])).stdout).toBe(byId.stdout);
    const prefix = ids[1]!.slice(0, -2);
    expect((await project.cli(['runs', 'show', prefix])).stdout).toContain(`run ${ids[1]}`);
  });

  test('show --json prints the record: report, outputs, keys, times', async () => {
    const record = parseJson(await project.cli(['runs', 'show', ids[0]!, '--json']));
    expect(record).toMatchObject({ id: ids[0], source: 'cli', outputs: ['padded'] });
    const label = record.report.nodes.find((node: { node: string }) => node.node === 'label');
    expect(label).toMatchObject({
      status: 'miss',
      reason: 'code',
      key: expect.stringMatching(/^[0-9a-f]+$/),
    });
    expect(label.computeMs).toBeGreaterThanOrEqual(0);
  });

  test('diff says which nodes changed state and why (default: the two latest runs)', async () => {
    const result = await project.cli(['runs', 'diff']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^runs ${ids[1]} → ${ids[0]} · pipeline\\.ts#default\n`));
    expect(result.stdout).toMatch(/^2 nodes changed state, 1 unchanged · /m);
    expect(result.stdout).toMatch(/^node +before +after +why +time$/m);
    expect(result.stdout).toMatch(/^label +hit +miss +code: /m);
    expect(result.stdout).toMatch(/^padded +hit +miss +deps: upstream `label`/m);
    expect(result.stdout).not.toMatch(/^doubled /m);
  });

  test('diff --json: each changed node with its states, reason, changes and times', async () => {
    const diff = parseJson(await project.cli(['runs', 'diff', ids[2]!, ids[0]!, '--json']));
    expect(diff).toMatchObject({ a: ids[2], b: ids[0], unchanged: 0 });
    const byNode = Object.fromEntries(diff.nodes.map((change: { node: string }) => [change.node, change]));
    expect(byNode.doubled).toMatchObject({ before: 'miss', after: 'hit', keyChanged: false });
    expect(byNode.label).toMatchObject({ before: 'miss', after: 'miss', keyChanged: true, reason: 'code' });
    expect(byNode.label.computeMs.after).toBeGreaterThanOrEqual(0);
  });

  test('an unknown run is a usage error naming it (exit code 2)', async () => {
    for (const args of [
      ['show', 'nope'],
      ['diff', 'latest~9', 'latest'],
      ['show', '2026'],
    ]) {
      const result = await project.cli(['runs', ...args]);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^memoflow: (no run|run "2026" is ambiguous)/);
    }
    expect((await project.cli(['runs', 'show', 'nope'])).stderr).toContain('no run "nope" in ');
  });

  test('run --no-history, or history 0 in the configuration, records nothing', async () => {
    expect((await project.cli([...RUN, '--no-history'])).code).toBe(0);
    expect((await project.cli(RUN, { env: { MEMOFLOW_HISTORY: '0' } })).code).toBe(0);
    expect(parseJson(await project.cli(['runs', '--json']))).toHaveLength(3);
  });
});
