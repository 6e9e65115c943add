/** A queue, a shared cache, an executor and worker processes of a test's own, removed after it. */

import { Runner } from '@memoflow/core';
import { RedisCache } from '@memoflow/redis';
import { testPrefix } from '@memoflow/test-utils';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { BullMQExecutor } from '../../src/index.ts';
import { fixture, startWorkerProcess, stopAll, type WorkerProcess } from './workers.ts';

/** Registers the cleanup after each test (call it inside a describe); `setUp` makes a test's queue. */
export function testQueues(url: string) {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  });

  function setUp(scope: string) {
    const queue = testPrefix(scope).replaceAll(':', '-');
    const prefix = testPrefix(scope);
    const cache = new RedisCache({ url, prefix });
    const executor = new BullMQExecutor({ connection: { url }, queue });
    const workers: WorkerProcess[] = [];
    cleanups.push(async () => {
      await stopAll(workers);
      await executor.close();
      await cache.clear();
      await cache.close();
      // obliterate() leaves the queue's meta key behind when the queue never held a job.
      const raw = new Redis(url);
      const keys = await raw.keys(`bull:${queue}:*`);
      if (keys.length > 0) await raw.unlink(...keys);
      raw.disconnect();
    });
    const start = async (
      count: number,
      module = 'pipeline.ts',
      exportName = 'pipeline',
      lockDuration?: number | 'default',
    ) => {
      const starting = await Promise.allSettled(
        Array.from({ length: count }, () =>
          startWorkerProcess({ module: fixture(module), url, queue, prefix, exportName, lockDuration }),
        ),
      );
      // Those that started are stopped after the test even when another did not.
      const started = starting.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      workers.push(...started);
      const failed = starting.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
      return started;
    };
    const runner = new Runner({ executor, cache: { backend: cache } });
    return { queue, prefix, cache, executor, runner, start, workers };
  }

  return { cleanups, setUp };
}
