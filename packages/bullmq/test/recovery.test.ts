/**
 * Workers killed mid-job at startWorker's default lock, against a real Redis and real worker
 * processes: the killed jobs run again elsewhere, the run completes with every value right, and
 * how long that took after the kill is printed (measured, not asserted: bench/distributed.bench.ts
 * keeps the figure). Also: the lock keeper's own queue connection leaves the queue's settings alone.
 */

import type { RunReport } from '@memoflow/core';
import { describeWithRedis } from '@memoflow/test-utils';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { fanOut12 } from './fixtures/pipeline.ts';
import { testQueues } from './support/queues.ts';
import type { JobEvent, WorkerProcess } from './support/workers.ts';

const seed = 7;
const slowMs = 300;
const expectedOutputs = (width: number) =>
  Object.fromEntries(Array.from({ length: width }, (_, i) => [`slow${i}`, seed * 100 + i]));

const seconds = (ms: number) => `${(ms / 1_000).toFixed(2)} s`;

/** Resolves with the first worker of `workers` to report an event `match` accepts, and that event. */
function firstTo(workers: readonly WorkerProcess[], match: (event: JobEvent) => boolean) {
  return Promise.any(workers.map((worker) => worker.next(match).then((event) => ({ worker, event }))));
}

/** A live worker in the middle of a job `match` accepts (its last line a start: it runs one job at a time), and that job. */
function midJob(workers: readonly WorkerProcess[], match: (event: JobEvent) => boolean) {
  for (const worker of workers) {
    const last = worker.events.at(-1);
    if (worker.child.exitCode === null && !worker.child.killed && last?.type === 'started' && match(last))
      return { worker, event: last };
  }
  return undefined;
}

/** Polls `find` every 10 ms until it finds something; fails after `timeoutMs`. */
async function until<T>(find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (performance.now() > deadline) throw new Error(`nothing found within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every node of the run computed by a worker, and stored: its value is in the cache under its key. */
async function expectAllStored(report: RunReport, has: (key: string) => Promise<boolean>) {
  expect(report.nodes.map((node) => node.status).every((status) => status === 'miss')).toBe(true);
  for (const node of report.nodes) {
    expect(node.worker).toBeDefined();
    expect(await has(node.key!)).toBe(true);
  }
}

describeWithRedis('workers killed mid-job, at the default lock', (url) => {
  const { setUp } = testQueues(url);

  test("a worker SIGKILLed mid-job: its job runs on the other worker, every node is computed, the run's outputs are right", async () => {
    const { runner, cache, start } = setUp('kill-default');
    const workers = await start(2, 'pipeline.ts', 'fanOut12', 'default');
    const started = performance.now();
    const running = runner.run(fanOut12, { seed, slowMs });
    const { worker: holder, event } = await firstTo(workers, (e) => e.type === 'started');
    holder.child.kill('SIGKILL');
    const killedAt = performance.now();
    const survivor = workers.find((worker) => worker !== holder)!;

    const { outputs, report } = await running;
    const doneAt = performance.now();
    expect(outputs).toEqual(expectedOutputs(12));
    await expectAllStored(report, (key) => cache.has(key));
    const rerun = survivor.events.find((e) => e.type === 'completed' && e.key === event.key);
    expect(rerun).toBeDefined();
    expect(report.nodes.find((node) => node.key === event.key)?.worker).toMatch(
      new RegExp(`:${survivor.child.pid}$`),
    );
    console.info(
      `recovery at the default lock: the killed job (${event.node}) completed on the other worker ${seconds(rerun!.at - killedAt)} after the kill; the run completed ${seconds(doneAt - killedAt)} after the kill, ${seconds(doneAt - started)} after it started`,
    );
  });

  test('workers SIGKILLed mid-job again and again (one job twice): the run completes with every value right', async () => {
    const { runner, cache, start, workers } = setUp('kill-stress');
    await start(6, 'pipeline.ts', 'fanOut12', 'default');
    const started = performance.now();
    // Jobs of a second: a kill lands mid-job however slowly this machine reads the workers' lines.
    const running = runner.run(fanOut12, { seed, slowMs: 1_000 });
    const kills: { worker: WorkerProcess; key: string }[] = [];
    const kill = async (match: (event: JobEvent) => boolean) => {
      const { worker, event } = await until(() => midJob(workers, match));
      worker.child.kill('SIGKILL');
      kills.push({ worker, key: event.key! });
    };
    const killedBefore = (event: JobEvent) => kills.some((kill) => kill.key === event.key);
    // Four workers, each in the middle of a job of its own; then the first job again where it runs next.
    for (let i = 0; i < 4; i++) await kill((event) => !killedBefore(event));
    const twice = kills[0]!.key;
    await kill((event) => event.key === twice);

    const { outputs, report } = await running;
    expect(outputs).toEqual(expectedOutputs(12));
    await expectAllStored(report, (key) => cache.has(key));
    expect(workers.flatMap((worker) => worker.events).filter((event) => event.type === 'failed')).toEqual([]);
    // Each kill hit a job its worker never finished.
    for (const { worker, key } of kills)
      expect(worker.events.filter((event) => event.key === key).map((event) => event.type)).toEqual([
        'started',
      ]);
    expect(kills.filter((kill) => kill.key === twice)).toHaveLength(2);
    console.info(
      `stress at the default lock: ${kills.length} workers killed mid-job (${new Set(kills.map((kill) => kill.key)).size} jobs, one of them twice); the run completed ${seconds(performance.now() - started)} after it started, all 12 values right`,
    );
  }, 120_000);

  test("a worker's lock keeper leaves the queue's settings as the coordinator made them", async () => {
    const { runner, queue, start } = setUp('keeper-meta');
    await start(1, 'pipeline.ts', 'fanOut12', 'default');
    await runner.run(fanOut12, { seed, slowMs: 0 });
    const raw = new Redis(url);
    try {
      // The executor's event stream keeps 200,000 entries: a queue made with BullMQ's defaults would trim at 10,000.
      expect(await raw.hget(`bull:${queue}:meta`, 'opts.maxLenEvents')).toBe('200000');
    } finally {
      raw.disconnect();
    }
  });
});
