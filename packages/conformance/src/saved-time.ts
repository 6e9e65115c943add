/**
 * What a mapped node's hits saved, on a backend that can say (`peek`, or `computeTimes`). Both are
 * optional in the contract and a backend without them reports no saved time for items, so this is
 * not part of `describeCacheBackend`: a backend that has one calls it.
 */
import { type CacheBackend, func, Pipeline, Runner } from '@memoflow/core';
import { expect, test } from 'vitest';
import { sleep, useBackends } from './_backend.ts';

/** The backends one saved-time test runs on; each is cleared and closed after it. */
export interface SavedTimeBackends {
  /** The backend the cold run fills: fresh and empty, with storage no other test uses. */
  filled: CacheBackend;
  /**
   * The backend the all-hit run reads, holding what `filled` stored: another instance on the same
   * storage (a second RedisCache on the prefix), or a TieredCache with an empty memory tier over it.
   * @default filled (the same instance; the same Runner runs both)
   */
  reread?: CacheBackend;
}

const ITEMS = 20;
/** Each item sleeps 5, 10 or 15 ms, so the items' stored times differ. */
const itemSleepMs = (item: number) => 5 + (item % 3) * 5;

/**
 * Registers a test: a node mapped over 20 items runs cold on `filled`, then all-hit on `reread`;
 * the hit run reports as saved the sum of the items' stored `computeMs` (as `entries()` lists
 * them), at least what the items slept, and more than the cold node's own wall time.
 */
export function savedTimeTests(
  name: string,
  create: () => SavedTimeBackends | Promise<SavedTimeBackends>,
): void {
  const { open } = useBackends();
  test(`${name}: an all-hit run's per-item hits save what the items took when computed`, async () => {
    const made = await create();
    const filled = await open(made.filled);
    const reread = made.reread === undefined ? filled : await open(made.reread);
    const features = func({ output: 'features', map: 'records' }, async (records: number) => {
      await sleep(itemSleepMs(records));
      return records * 2;
    });
    const pipeline = new Pipeline([features]);
    const runner = new Runner({ concurrency: 4, cache: { backend: filled } });
    const records = Array.from({ length: ITEMS }, (_, i) => i);
    const cold = await runner.run(pipeline, { records });
    expect(cold.report.nodes[0]).toMatchObject({ status: 'miss', items: { total: 20, misses: 20 } });

    let stored = 0;
    for await (const entry of reread.entries({ node: 'features' })) stored += entry.computeMs ?? 0;
    const hotRunner = reread === filled ? runner : new Runner({ concurrency: 4, cache: { backend: reread } });
    const hot = await hotRunner.run(pipeline, { records });
    const node = hot.report.nodes[0]!;
    expect(node).toMatchObject({ status: 'hit', items: { total: 20, hits: 20, misses: 0 } });
    expect(node.savedMs).toBeCloseTo(stored, 6);
    // The stored times are the items' own (each at least its sleep), not the node's wall time.
    const slept = records.reduce((sum, i) => sum + itemSleepMs(i), 0);
    expect(node.savedMs).toBeGreaterThanOrEqual(slept - 20);
    expect(node.savedMs!).toBeGreaterThan(cold.report.nodes[0]!.computeMs!);
    expect(hot.report.toText()).toMatch(/saved /);
  });
}
