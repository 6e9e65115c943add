/** RedisCache's run history on a real Redis: what a Runner records, read-only caches, and writers appending at once. */
import { func, historyOf, Pipeline, Runner, type RunRecord } from '@memoflow/core';
import { describeWithRedis, testPrefix } from '@memoflow/test-utils';
import { afterAll, expect, test } from 'vitest';
import { RedisCache } from '../src/index.ts';

const doubled = func({ output: 'doubled' }, (size: number) => size * 2);
const pipeline = new Pipeline([doubled]);

function recordAt(startedAt: number, suffix: string): RunRecord {
  const nodes = [{ node: 'doubled', status: 'hit' as const, bytesRead: 0, bytesWritten: 0 }];
  const id = `${new Date(startedAt).toISOString().replace(/[-:.]/g, '')}-${suffix}`;
  const report = { nodes, edges: [], backend: 'redis', startedAt, durationMs: 1 };
  return { id, startedAt, durationMs: 1, source: 'cli', report, outputs: ['doubled'] };
}

describeWithRedis('RedisCache run history', (url) => {
  const opened: RedisCache[] = [];
  const open = (prefix: string, readOnly = false) => {
    const cache = new RedisCache({ url, prefix, readOnly });
    opened.push(cache);
    return cache;
  };
  afterAll(async () => {
    for (const cache of opened.reverse()) {
      // A read-only one refuses clear(): its prefix is cleared through the writable one.
      await cache.clear().catch(() => {});
      await cache.close();
    }
  });

  test('a Runner records each run under the prefix; another instance reads it back', async () => {
    const prefix = testPrefix('runs');
    const runner = new Runner({
      cache: { backend: open(prefix) },
      history: { keep: 5, pipeline: 'p.ts#pipeline' },
    });
    await runner.run(pipeline, { size: 1 });
    await runner.run(pipeline, { size: 1 });
    const reader = open(prefix);
    const runs = await historyOf(reader)!.listRuns();
    expect(runs.map((run) => [run.pipeline, run.counts.hit, run.counts.miss])).toEqual([
      ['p.ts#pipeline', 1, 0],
      ['p.ts#pipeline', 0, 1],
    ]);
    const record = await reader.runs.getRun(runs[1]!.id);
    expect(record!.report.nodes[0]).toMatchObject({ node: 'doubled', status: 'miss', reason: 'new' });
  });

  test('a read-only cache records nothing', async () => {
    const prefix = testPrefix('runs-read-only');
    await open(prefix, true).runs.appendRun(recordAt(Date.UTC(2026, 0, 1), 'aaaa'), 10);
    expect(await open(prefix).runs.listRuns()).toEqual([]);
  });

  test('writers appending at once lose nothing among the newest `keep`, and leave no record beyond it', async () => {
    const prefix = testPrefix('runs-concurrent');
    const [a, b] = [open(prefix), open(prefix)];
    const records = Array.from({ length: 40 }, (_, i) =>
      recordAt(Date.UTC(2026, 0, 1, 0, 0, i), i.toString(16).padStart(4, '0')),
    );
    await Promise.all(records.map((record, i) => (i % 2 === 0 ? a : b).runs.appendRun(record, 25)));
    const kept = (await a.runs.listRuns()).map((run) => run.id);
    expect(kept).toEqual(
      records
        .slice(-25)
        .map((record) => record.id)
        .reverse(),
    );
    for (const record of records.slice(0, 15)) expect(await b.runs.getRun(record.id)).toBeUndefined();
  });
});
