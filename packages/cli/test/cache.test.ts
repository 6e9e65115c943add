import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ANSI,
  canDriveTty,
  cliProject,
  lines,
  memoflowOnTty,
  NODES,
  PIPELINE,
  parseJson,
  reportOf,
  statuses,
} from './support/cli.ts';

const project = cliProject({ 'pipeline.ts': PIPELINE });
afterAll(() => project.dispose());

const RUN = ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc'];

/** Each entry's key, by node, as the filling run reported them. */
let keys: Record<string, string>;
let copies = 0;

/**
 * A copy of the cache one run filled, in a directory of its own: tests run at once, and no test
 * sees another's changes. The filled original is never opened again.
 */
const filledCache = (): string => {
  const dir = `cache-${++copies}`;
  project.copyDir('filled', dir);
  return dir;
};

/** A cache whose one value over 4 KiB (node `padded`) has had its blob file overwritten. */
const damagedCache = (): string => {
  const dir = filledCache();
  const blobs = project.files(`${dir}/v4/blobs`);
  expect(blobs).toHaveLength(1);
  writeFileSync(project.path(blobs[0]!), 'not what was written');
  return dir;
};

beforeAll(async () => {
  const run = await project.cli([...RUN, '--cache-dir', 'filled', '--json']);
  expect(run).toMatchObject({ code: 0, stderr: '' });
  const report: { nodes: { node: string; key: string }[] } = reportOf(run);
  keys = Object.fromEntries(report.nodes.map((node) => [node.node, node.key]));
});

describe.concurrent('memoflow cache', () => {
  test('info: where, entries, size, oldest and newest, a row per node, the most recent entries', async () => {
    const dir = filledCache();
    const result = await project.cli(['cache', 'info', '--cache-dir', dir]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const out = result.stdout;
    expect(out).not.toMatch(ANSI);
    expect(out).toContain(`Cache    disk at ${project.path(dir)}\n`);
    expect(out).toContain('Entries  3\n');
    expect(out).toMatch(/^Size {5}8\.\d KiB$/m);
    expect(out).toMatch(/^Oldest {3}\d{4}-\d\d-\d\d \d\d:\d\d \((doubled|label|padded)\)$/m);
    expect(out).toMatch(/^Newest {3}\d{4}-\d\d-\d\d \d\d:\d\d \((doubled|label|padded)\)$/m);
    expect(out).toMatch(/^node +entries +size$/m);
    expect(out).toMatch(/^padded +1 +8\.0 KiB$/m);
    expect(out).toMatch(/^label +1 +\d+ B$/m);
    expect(out).toMatch(/^doubled +1 +\d+ B$/m);
    const recent = out.slice(out.indexOf('Most recent\n'));
    expect(lines(recent)).toHaveLength(5);
    expect(recent).toMatch(/^key +node +size +created +last used$/m);
    for (const node of NODES) expect(recent).toContain(`${keys[node]!.slice(0, 12)}  ${node}`);
  });

  test('info --json: the CacheInfo of the cache', async () => {
    const dir = filledCache();
    const result = await project.cli(['cache', 'info', '--cache-dir', dir, '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const info = parseJson(result);
    expect(info).toMatchObject({ backend: 'disk', location: project.path(dir), entries: 3 });
    expect(Object.keys(info.nodes).sort()).toEqual([...NODES].sort());
    for (const node of NODES) expect(info.nodes[node]).toMatchObject({ entries: 1 });
    expect(info.bytes).toBe(NODES.reduce((sum, node) => sum + info.nodes[node].bytes, 0));
    expect(info.nodes.padded.bytes).toBeGreaterThan(8192);
    expect(info.recent.map((entry: { key: string }) => entry.key).sort()).toEqual(Object.values(keys).sort());
    expect(info.recent[0]).toEqual({
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      node: expect.any(String),
      bytes: expect.any(Number),
      createdAt: expect.any(Number),
      lastAccess: expect.any(Number),
      hits: expect.any(Number),
      computeMs: expect.any(Number),
    });
    expect(info.oldest.key).toBe(keys[info.oldest.node]);
    expect(info.newest.key).toBe(keys[info.newest.node]);
    expect(info.oldest.createdAt).toBeLessThanOrEqual(info.newest.createdAt);
  });

  test('ls --node lists that node’s entries only, as a table and as JSON', async () => {
    const dir = filledCache();
    const [table, json] = await Promise.all([
      project.cli(['cache', 'ls', '--node', 'padded', '--cache-dir', dir]),
      project.cli(['cache', 'ls', '--node', 'padded', '--cache-dir', dir, '--json']),
    ]);
    expect(table).toMatchObject({ code: 0, stderr: '' });
    expect(lines(table.stdout)).toEqual([
      expect.stringMatching(/^key +node +size +created +last used$/),
      expect.stringMatching(new RegExp(`^${keys.padded!.slice(0, 12)}  padded  8\\.0 KiB  \\d{4}-`)),
    ]);
    expect(json).toMatchObject({ code: 0, stderr: '' });
    expect(parseJson(json)).toEqual([expect.objectContaining({ key: keys.padded, node: 'padded' })]);
  });

  test('prune --dry-run says what would go and removes nothing; prune --max-entries 1 removes', async () => {
    const dir = filledCache();
    const dryRun = await project.cli(['cache', 'prune', '--max-size', '1B', '--dry-run', '--cache-dir', dir]);
    expect(dryRun).toMatchObject({ code: 0, stderr: '' });
    expect(dryRun.stdout).toMatch(/^would remove 3 entries, 8\.\d KiB\n/);
    for (const node of NODES) expect(dryRun.stdout).toMatch(new RegExp(`^${node} +1 +`, 'm'));

    // Three entries left to prune (--json): the dry run removed nothing.
    const prune = await project.cli(['cache', 'prune', '--max-entries', '1', '--cache-dir', dir, '--json']);
    expect(prune).toMatchObject({ code: 0, stderr: '' });
    expect(parseJson(prune)).toMatchObject({ entries: 2 });
  });

  test('prune with human units (--max-size 1GB --max-age 7d) keeps a small, fresh cache; one removed is `1 entry`', async () => {
    const dir = filledCache();
    const [units, oneOver] = await Promise.all([
      project.cli(['cache', 'prune', '--max-size', '1GB', '--max-age', '7d', '--cache-dir', dir]),
      project.cli(['cache', 'prune', '--max-entries', '2', '--cache-dir', filledCache()]),
    ]);
    expect(units).toEqual({ code: 0, stdout: 'removed 0 entries, 0 B\n', stderr: '' });
    // One entry is `1 entry`, not `1 entries`.
    expect(oneOver).toMatchObject({ code: 0, stderr: '' });
    expect(lines(oneOver.stdout)).toEqual([
      expect.stringMatching(/^removed 1 entry, \d/),
      expect.stringMatching(/^node +entries +size$/),
      expect.stringMatching(/^(doubled|label|padded) +1 +\d/),
    ]);
  });

  test.for([
    [
      'a size with an unknown unit',
      ['prune', '--max-size', '1XB'],
      /^memoflow: --max-size "1XB" is not a size/,
    ],
    ['no limit', ['prune'], /^memoflow: prune needs a limit: --max-size, --max-age or --max-entries$/],
    [
      'export from Redis',
      ['export', 'out.tar.gz', '--redis', 'redis://127.0.0.1:6379'],
      /DiskCache.*drop --redis/,
    ],
  ] as const)('%s: exit 2, one line, the cache untouched', async ([, args, message]) => {
    const dir = filledCache();
    const before = project.files(dir);
    const result = await project.cli(['cache', ...args, '--cache-dir', dir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([expect.stringMatching(message)]);
    expect(project.files(dir)).toEqual(before);
  });

  test('clear --node removes that node’s entries; clear without a terminal does not ask', async () => {
    const dir = filledCache();
    const node = await project.cli(['cache', 'clear', '--node', 'label', '--cache-dir', dir]);
    expect(node).toEqual({ code: 0, stdout: 'removed every entry of node label\n', stderr: '' });
    const left = await project.cli(['cache', 'ls', '--cache-dir', dir, '--json']);
    expect(
      parseJson(left)
        .map((entry: { node: string }) => entry.node)
        .sort(),
    ).toEqual(['doubled', 'padded']);

    const all = await project.cli(['cache', 'clear', '--cache-dir', dir], { stdin: 'n\n' });
    expect(all).toEqual({ code: 0, stdout: 'removed every entry\n', stderr: '' });
  });

  test.skipIf(!canDriveTty)('clear on a terminal asks first, and answering n removes nothing', async () => {
    const dir = filledCache();
    const clear = await memoflowOnTty(project.dir, ['cache', 'clear', '--cache-dir', dir], { typed: 'n\n' });
    expect(clear.code).toBe(0);
    expect(clear.stdout).toContain(`Remove every entry from ${project.path(dir)}? [y/N]`);
    expect(clear.stdout).toMatch(/nothing removed\r\n$/);
    const info = await project.cli(['cache', 'info', '--cache-dir', dir, '--json']);
    expect(parseJson(info)).toMatchObject({ entries: 3 });
  });

  test.skipIf(!canDriveTty)('clear on a terminal, answered y, removes every entry', async () => {
    const dir = filledCache();
    const clear = await memoflowOnTty(project.dir, ['cache', 'clear', '--cache-dir', dir], { typed: 'y\n' });
    expect(clear.code).toBe(0);
    expect(clear.stdout).toContain(`Remove every entry from ${project.path(dir)}? [y/N]`);
    expect(clear.stdout).toMatch(/removed every entry\r\n$/);
  });

  test.skipIf(!canDriveTty)(
    'verify and export on a terminal show a progress bar; off a terminal there is none',
    async () => {
      const dir = filledCache();
      const [verify, exported, plain] = await Promise.all([
        memoflowOnTty(project.dir, ['cache', 'verify', '--cache-dir', dir]),
        memoflowOnTty(project.dir, ['cache', 'export', 'bar.tar.gz', '--cache-dir', dir]),
        project.cli(['cache', 'verify', '--cache-dir', dir]),
      ]);
      expect(verify.stdout).toMatch(/verifying .*3\/3/);
      expect(exported.stdout).toMatch(/exporting .*3\/3/);
      expect(plain.stderr).toBe('');
      expect(plain.stdout).not.toContain('verifying');
    },
  );

  test('verify on a healthy cache: exit 0, every entry checked', async () => {
    const result = await project.cli(['cache', 'verify', '--cache-dir', filledCache()]);
    expect(result).toEqual({
      code: 0,
      stdout: 'ok: 3 entries checked, 0 corrupt, 0 missing, 0 orphans removed\n',
      stderr: '',
    });
  });

  test('verify after a blob file was damaged: exit 1 (with --json too), the entry reported', async () => {
    const [human, json] = await Promise.all([
      project.cli(['cache', 'verify', '--cache-dir', damagedCache()]),
      project.cli(['cache', 'verify', '--cache-dir', damagedCache(), '--json']),
    ]);
    expect(human).toEqual({
      code: 1,
      stdout: 'damage found: 3 entries checked, 1 corrupt, 0 missing, 0 orphans removed\n',
      stderr: '',
    });
    expect(json).toMatchObject({ code: 1, stderr: '' });
    expect(parseJson(json)).toMatchObject({ ok: false, checked: 3, corrupt: [keys.padded], missing: [] });
  });

  test('export, then import into another directory: a run there is all hits', async () => {
    const dir = filledCache();
    const exported = await project.cli(['cache', 'export', `${dir}.tar.gz`, '--cache-dir', dir]);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toMatch(
      new RegExp(`^exported 3 entries \\(3 values, 8\\.\\d KiB\\) to ${dir}\\.tar\\.gz\\n$`),
    );

    const imported = await project.cli([
      'cache',
      'import',
      `${dir}.tar.gz`,
      '--cache-dir',
      `${dir}-imported`,
      '--json',
    ]);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(parseJson(imported)).toMatchObject({ entries: 3 });

    const run = await project.cli([...RUN, '--cache-dir', `${dir}-imported`, '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(statuses(reportOf(run))).toEqual({ doubled: 'hit', label: 'hit', padded: 'hit' });
  });

  test('import --max-bytes refuses an archive over the limit and imports nothing', async () => {
    const dir = filledCache();
    await project.cli(['cache', 'export', `${dir}.tar.gz`, '--cache-dir', dir]);
    const target = ['--cache-dir', `${dir}-limited`];
    const refused = await project.cli(['cache', 'import', `${dir}.tar.gz`, '--max-bytes', '1KB', ...target]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/^memoflow: .*maxBytes.*\n$/);
    const info = await project.cli(['cache', 'info', ...target, '--json']);
    expect(parseJson(info)).toMatchObject({ entries: 0 });
    const bad = await project.cli(['cache', 'import', `${dir}.tar.gz`, '--max-bytes', 'lots', ...target]);
    expect(bad).toMatchObject({ code: 2 });
    expect(bad.stderr).toMatch(/--max-bytes "lots" is not a size/);
    const allowed = await project.cli(['cache', 'import', `${dir}.tar.gz`, '--max-bytes', '1MB', ...target]);
    expect(allowed).toMatchObject({ code: 0, stderr: '' });
  });
});
