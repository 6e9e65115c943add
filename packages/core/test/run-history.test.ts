import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { RUN_ID_PATTERN, RunList } from '../src/backend-kit.ts';
import {
  type CacheBackend,
  ConfigError,
  DiskCache,
  func,
  historyOf,
  MemoryCache,
  NodeFailedError,
  Pipeline,
  Runner,
  type RunRecord,
  TieredCache,
} from '../src/index.ts';
import { runFixture } from './fixtures/_disk-children.ts';
import { basic, forgetRuns } from './support/counted-nodes.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-history-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  forgetRuns();
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A record as a Runner makes it, for stores tested on their own. */
function recordAt(startedAt: number, suffix = 'ab12', statuses = ['hit', 'miss'] as const): RunRecord {
  const time = new Date(startedAt).toISOString().replace(/[-:.]/g, '');
  return {
    id: `${time}-${suffix}`,
    startedAt,
    durationMs: 12,
    source: 'library',
    report: {
      nodes: statuses.map((status, i) => ({ node: `n${i}`, status, bytesRead: 0, bytesWritten: 0 })),
      edges: [],
      backend: 'test',
      startedAt,
      durationMs: 12,
    },
    outputs: ['n1'],
  };
}

describe('a Runner records its runs', () => {
  test('each run, with its report, outputs and counts, newest first (on by default)', async () => {
    const cache = new MemoryCache();
    const runner = new Runner({ cache: { backend: cache } });
    await runner.run(basic, { size: 5, threshold: 2 });
    await runner.run(basic, { size: 5, threshold: 3 }, { outputs: ['total'] });
    const runs = await historyOf(cache)!.listRuns();
    expect(runs).toHaveLength(2);
    expect(runs[0]!.id > runs[1]!.id).toBe(true);
    for (const run of runs) expect(run.id).toMatch(RUN_ID_PATTERN);
    expect(runs[1]).toMatchObject({ source: 'library', counts: { hit: 0, miss: 4, failed: 0 } });
    expect(runs[0]!.counts).toMatchObject({ hit: 1, miss: 2 });
    const latest = await historyOf(cache)!.getRun(runs[0]!.id);
    expect(latest!.outputs).toEqual(['total']);
    const clean = latest!.report.nodes.find((node) => node.node === 'clean');
    expect(clean).toMatchObject({ status: 'miss', reason: 'inputs', changed: ['input `threshold`'] });
    expect(clean!.key).toMatch(/^[0-9a-f]{16,}$/);
  });

  test('`history: false` records nothing; `keep` bounds the history; `pipeline` labels it', async () => {
    const cache = new MemoryCache();
    await new Runner({ cache: { backend: cache }, history: false }).run(basic, { size: 1, threshold: 0 });
    expect(await historyOf(cache)!.listRuns()).toEqual([]);
    const runner = new Runner({ cache: { backend: cache }, history: { keep: 2, pipeline: 'basic' } });
    for (let size = 1; size <= 4; size++) await runner.run(basic, { size, threshold: 0 });
    const runs = await historyOf(cache)!.listRuns();
    expect(runs.map((run) => run.pipeline)).toEqual(['basic', 'basic']);
    expect(runs).toHaveLength(2);
  });

  test('a run that failed in a node is recorded with the failure', async () => {
    const cache = new MemoryCache();
    const boom = func({ output: 'boom' }, (size: number) => {
      if (size > 0) throw new Error('no');
      return size;
    });
    const runner = new Runner({ cache: { backend: cache } });
    await expect(runner.run(new Pipeline([boom]), { size: 1 })).rejects.toBeInstanceOf(NodeFailedError);
    const [run] = await historyOf(cache)!.listRuns();
    expect(run!.counts.failed).toBe(1);
    const record = await historyOf(cache)!.getRun(run!.id);
    expect(record!.report.nodes[0]!.error).toMatchObject({ message: expect.stringContaining('no') });
  });

  test('a history that cannot be written warns once and never fails the run', async () => {
    const cache = new MemoryCache();
    vi.spyOn(cache.runs, 'appendRun').mockRejectedValue(new Error('store down'));
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const runner = new Runner({ cache: { backend: cache } });
    const { outputs } = await runner.run(basic, { size: 3, threshold: 0 });
    await runner.run(basic, { size: 3, threshold: 0 });
    expect(outputs.total).toBe(3);
    const warnings = warn.mock.calls.filter((call) => String(call[0]).includes('store down'));
    expect(warnings).toHaveLength(1);
  });

  test('a cache without a history records nothing, and a bad `history` option is a ConfigError', async () => {
    const plain = new MemoryCache() as CacheBackend;
    Object.defineProperty(plain, 'runs', { value: undefined });
    expect(historyOf(plain)).toBeUndefined();
    await new Runner({ cache: { backend: plain } }).run(basic, { size: 1, threshold: 0 });
    expect(() => new Runner({ history: { keep: 0 } })).toThrow(ConfigError);
    expect(() => new Runner({ history: { keep: 0 } })).toThrow(/`keep` is 0/);
    expect(() => new Runner({ history: 'yes' as never })).toThrow(/give \{ keep: 100 \}/);
  });
});

describe('MemoryCache history', () => {
  test('keeps the newest `keep`, lists newest first with a limit, gets by id', async () => {
    const history = new MemoryCache().runs;
    for (let i = 0; i < 5; i++) await history.appendRun(recordAt(Date.UTC(2026, 0, 1, 0, 0, i)), 3);
    const runs = await history.listRuns();
    expect(runs.map((run) => run.startedAt)).toEqual([4, 3, 2].map((s) => Date.UTC(2026, 0, 1, 0, 0, s)));
    expect(await history.listRuns({ limit: 1 })).toHaveLength(1);
    expect((await history.getRun(runs[0]!.id))!.outputs).toEqual(['n1']);
    expect(await history.getRun(recordAt(Date.UTC(2026, 0, 1)).id)).toBeUndefined();
    await expect(history.appendRun({ ...recordAt(0), id: '../x' }, 3)).rejects.toThrow(/run id/);
  });

  test('drops older runs beyond `maxNodes` node lines in all, always keeping the newest', async () => {
    const history = new RunList(5);
    for (let i = 0; i < 4; i++) await history.appendRun(recordAt(Date.UTC(2026, 0, 1, 0, 0, i)), 100);
    // Two nodes a record: the newest two fit in 5 node lines.
    expect((await history.listRuns()).map((run) => run.startedAt)).toEqual(
      [3, 2].map((s) => Date.UTC(2026, 0, 1, 0, 0, s)),
    );
    const tiny = new RunList(1);
    await tiny.appendRun(recordAt(Date.UTC(2026, 0, 1)), 100);
    expect(await tiny.listRuns()).toHaveLength(1);
  });
});

describe('DiskCache history', () => {
  test('one file per run in <dir>/runs, pruned to `keep`, read back by another instance', async () => {
    const dir = tempDir();
    const cache = new DiskCache({ dir });
    for (let i = 0; i < 4; i++) await cache.runs.appendRun(recordAt(Date.UTC(2026, 0, 1, 0, 0, i)), 3);
    const files = readdirSync(join(dir, 'runs'));
    expect(files).toHaveLength(3);
    for (const file of files) expect(file).toMatch(/^\d{8}T\d{9}Z-ab12\.json$/);
    const other = new DiskCache({ dir });
    const runs = await other.runs.listRuns();
    expect(runs.map((run) => run.counts)).toEqual(
      Array(3).fill(expect.objectContaining({ hit: 1, miss: 1 })),
    );
    const record = await other.runs.getRun(runs[2]!.id);
    expect(record).toEqual(recordAt(Date.UTC(2026, 0, 1, 0, 0, 1)));
    // The file is one JSON document.
    expect(JSON.parse(readFileSync(join(dir, 'runs', files[0]!), 'utf8')).id).toBe(files[0]!.slice(0, -5));
  });

  test('a damaged file is skipped with one warning, never a crash', async () => {
    const dir = tempDir();
    const cache = new DiskCache({ dir });
    const good = recordAt(Date.UTC(2026, 0, 1));
    const bad = recordAt(Date.UTC(2026, 0, 2));
    await cache.runs.appendRun(good, 10);
    await cache.runs.appendRun(bad, 10);
    writeFileSync(join(dir, 'runs', `${bad.id}.json`), '{"id":"trunc');
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    expect((await cache.runs.listRuns()).map((run) => run.id)).toEqual([good.id]);
    expect(await cache.runs.getRun(bad.id)).toBeUndefined();
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toContain(`${bad.id}.json`);
  });

  test('a read-only cache records nothing; an id that is not a run id finds nothing', async () => {
    const dir = tempDir();
    await new DiskCache({ dir, readOnly: true }).runs.appendRun(recordAt(Date.UTC(2026, 0, 1)), 10);
    expect(await new DiskCache({ dir }).runs.listRuns()).toEqual([]);
    expect(await new DiskCache({ dir }).runs.getRun('../../etc/passwd')).toBeUndefined();
  });

  test('a Runner on a DiskCache records into .memoflow-style <dir>/runs', async () => {
    const dir = tempDir();
    const runner = new Runner({ cache: { backend: new DiskCache({ dir }) } });
    await runner.run(basic, { size: 2, threshold: 0 });
    await runner.run(basic, { size: 2, threshold: 0 });
    const runs = await new DiskCache({ dir }).runs.listRuns();
    expect(runs.map((run) => run.counts.hit)).toEqual([4, 0]);
  });
});

describe('DiskCache history across processes', () => {
  test('two processes appending at once lose nothing among the newest `keep`, and keep no more', async () => {
    const dir = tempDir();
    const [runs, keep] = [150, 100];
    const written = await Promise.all(
      [0, 1].map((writer) =>
        runFixture<{ ids: string[] }>('history-appender.ts', [dir, writer, 2, runs, keep]),
      ),
    );
    const all = written.flatMap(({ ids }) => ids).sort();
    expect(all).toHaveLength(2 * runs);
    const newest = all.slice(-keep).reverse();
    const history = new DiskCache({ dir }).runs;
    expect((await history.listRuns()).map((run) => run.id)).toEqual(newest);
    expect(readdirSync(join(dir, 'runs')).filter((name) => name.endsWith('.json'))).toHaveLength(keep);
    for (const id of newest.slice(0, 5)) expect((await history.getRun(id))!.id).toBe(id);
  });
});

describe('TieredCache history', () => {
  test('is the slowest writable tier’s; a read-only tier’s is read, never written', async () => {
    const fast = new MemoryCache();
    const slow = new DiskCache({ dir: tempDir() });
    const tiered = new TieredCache([fast, slow]);
    expect(historyOf(tiered)).toBe(slow.runs);
    await new Runner({ cache: { backend: tiered } }).run(basic, { size: 1, threshold: 0 });
    expect(await slow.runs.listRuns()).toHaveLength(1);
    expect(await fast.runs.listRuns()).toHaveLength(0);

    const shared = new MemoryCache();
    await shared.runs.appendRun(recordAt(Date.UTC(2026, 0, 1)), 10);
    const reading = new TieredCache([{ backend: shared, readOnly: true }]);
    expect(await historyOf(reading)!.listRuns()).toHaveLength(1);
    await historyOf(reading)!.appendRun(recordAt(Date.UTC(2026, 0, 2)), 10);
    expect(await shared.runs.listRuns()).toHaveLength(1);
  });
});
