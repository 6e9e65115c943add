import { randomBytes } from 'node:crypto';
import type { CacheBackend, RunHistoryStore, RunRecord } from '@memoflow/core/backend-kit';
import { describe, expect, test } from 'vitest';
import { type BackendFactory, randomKey, randomNode, useBackend } from './_backend.ts';

/**
 * The run history (`runs`), for a backend that keeps one; each test is skipped on a backend
 * without one (the history is optional in the contract).
 */
export function historyTests(create: BackendFactory): void {
  describe('history', () => {
    const { backend } = useBackend(create);
    /** The backend's history, or the test skipped. */
    const historyOr = (skip: (note: string) => void): RunHistoryStore => {
      const runs = (backend() as CacheBackend).runs;
      if (runs === undefined) skip('this backend keeps no run history');
      return runs!;
    };

    test('a record reads back equal; the listing has its summary with counts per status', async ({
      skip,
    }) => {
      const history = historyOr(skip);
      const record = runRecord(Date.UTC(2026, 0, 1), { pipeline: 'pipeline.ts#pipeline' });
      await history.appendRun(record, 10);
      expect(await history.getRun(record.id)).toEqual(record);
      expect(await history.listRuns()).toEqual([
        {
          id: record.id,
          startedAt: record.startedAt,
          durationMs: record.durationMs,
          pipeline: 'pipeline.ts#pipeline',
          source: 'library',
          counts: { hit: 1, miss: 1, disabled: 0, failed: 1, skipped: 0 },
        },
      ]);
    });

    test('keeps the newest `keep` runs, lists them newest first, `limit` of them when asked', async ({
      skip,
    }) => {
      const history = historyOr(skip);
      const records = [3, 1, 4, 2, 5].map((second) => runRecord(Date.UTC(2026, 0, 1, 0, 0, second)));
      for (const record of records) await history.appendRun(record, 3);
      const ids = records.map((record) => record.id).sort();
      expect((await history.listRuns()).map((run) => run.id)).toEqual(ids.slice(-3).reverse());
      expect((await history.listRuns({ limit: 2 })).map((run) => run.id)).toEqual(ids.slice(-2).reverse());
      expect(await history.getRun(ids[0]!)).toBeUndefined();
    });

    test('an id not kept, or not a run id, finds nothing', async ({ skip }) => {
      const history = historyOr(skip);
      expect(await history.getRun(runRecord(Date.UTC(2026, 0, 1)).id)).toBeUndefined();
      expect(await history.getRun('../../not-a-run')).toBeUndefined();
      expect(await history.listRuns()).toEqual([]);
    });

    test('clear() removes the runs with the entries', async ({ skip }) => {
      const history = historyOr(skip);
      await history.appendRun(runRecord(Date.UTC(2026, 0, 1)), 10);
      await backend().clear();
      expect(await history.listRuns()).toEqual([]);
    });
  });
}

/** A record as a Runner makes it: a hit, a miss and a failed node. */
function runRecord(startedAt: number, more: Partial<RunRecord> = {}): RunRecord {
  const id = `${new Date(startedAt).toISOString().replace(/[-:.]/g, '')}-${randomBytes(2).toString('hex')}`;
  const [a, b, c] = [randomNode(), randomNode(), randomNode()];
  return {
    id,
    startedAt,
    durationMs: 1234.5,
    source: 'library',
    report: {
      nodes: [
        { node: a, status: 'hit', key: randomKey(), savedMs: 20, bytesRead: 10, bytesWritten: 0 },
        {
          node: b,
          status: 'miss',
          reason: 'inputs',
          changed: ['input `threshold`'],
          key: randomKey(),
          computeMs: 30,
          bytesRead: 0,
          bytesWritten: 12,
          items: { total: 3, hits: 1, misses: 2 },
        },
        { node: c, status: 'failed', bytesRead: 0, bytesWritten: 0, error: { name: 'Error', message: 'no' } },
      ],
      edges: [
        [a, b],
        [b, c],
      ],
      backend: 'test',
      startedAt,
      durationMs: 1234.5,
    },
    outputs: [c],
    ...more,
  };
}
