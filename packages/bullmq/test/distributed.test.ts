/**
 * Distributed runs against a real Redis and real worker processes: the same results and keys as
 * a local run, a worker killed while it holds a job, a second coordinator that finds everything
 * stored, a worker deployed with other code, a node's error across processes, and a cancelled
 * run's waiting jobs.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  MemoryCache,
  NodeFailedError,
  Runner,
  type RunReport,
  SignatureMismatchError,
  TieredCache,
} from '@memoflow/core';
import { RedisCache } from '@memoflow/redis';
import { describeWithRedis, freePort, testPrefix } from '@memoflow/test-utils';
import { Queue } from 'bullmq';
import { expect, test } from 'vitest';
import { BullMQExecutor } from '../src/index.ts';
import { failing, pipeline, spinning } from './fixtures/pipeline.ts';
import { testQueues } from './support/queues.ts';
import { fixture, stopAll, tsx } from './support/workers.ts';

const execFileAsync = promisify(execFile);
const inputs = { count: 5, factor: 3, slowMs: 10 };
/** 1² + … + 5² = 55, times 3. */
const expected = { scaled: { value: 165, at: 'scaled' } };

const keysOf = (report: RunReport) => Object.fromEntries(report.nodes.map((node) => [node.node, node.key]));

describeWithRedis('distributed runs on BullMQ', (url) => {
  const { cleanups, setUp } = testQueues(url);

  test('the same pipeline run locally and on 3 worker processes: the same outputs and the same keys', async () => {
    const local = await new Runner({ cache: { backend: new MemoryCache() } }).run(pipeline, inputs);
    const { runner, start } = setUp('same');
    const workers = await start(3);
    const distributed = await runner.run(pipeline, inputs);

    expect(distributed.outputs).toEqual(expected);
    expect(distributed.outputs).toEqual(local.outputs);
    expect(keysOf(distributed.report)).toEqual(keysOf(local.report));
    expect(distributed.report.nodes.map((node) => node.status)).toEqual(['miss', 'miss', 'miss', 'miss']);
    // Every miss ran on a worker: numbers, 5 items of squares, total, scaled.
    const completed = workers.flatMap((worker) =>
      worker.events.filter((event) => event.type === 'completed'),
    );
    expect(completed).toHaveLength(8);
    const pids = new Set(workers.map((worker) => `:${worker.child.pid}`));
    for (const node of distributed.report.nodes.filter((node) => node.node !== 'squares'))
      expect([...pids].some((pid) => node.worker?.endsWith(pid))).toBe(true);
  });

  test('a coordinator with a TieredCache (memory over the shared Redis) and workers on the Redis alone', async () => {
    const { executor, cache, start } = setUp('tiered');
    await start(2);
    const memory = new MemoryCache();
    const runner = new Runner({ executor, cache: { backend: new TieredCache([memory, cache]) } });
    const first = await runner.run(pipeline, inputs);
    expect(first.outputs).toEqual(expected);
    expect(first.report.nodes.map((node) => node.status)).toEqual(['miss', 'miss', 'miss', 'miss']);
    // The second run: all hits, from the memory tier or through it from Redis; no job.
    const again = await runner.run(pipeline, inputs);
    expect(again.outputs).toEqual(expected);
    expect(again.report.nodes.map((node) => node.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    // And another coordinator with an empty memory tier finds everything in Redis.
    const fresh = new Runner({ executor, cache: { backend: new TieredCache([new MemoryCache(), cache]) } });
    expect((await fresh.run(pipeline, inputs)).report.nodes.map((node) => node.status)).toEqual([
      'hit',
      'hit',
      'hit',
      'hit',
    ]);
  });

  test('a worker killed (SIGKILL) while it holds a job: the job runs again on another worker and the run completes', async () => {
    const { runner, start } = setUp('sigkill');
    const workers = await start(2);
    const running = runner.run(pipeline, { ...inputs, slowMs: 1_500 });
    const holder = await Promise.race(
      workers.map((worker) =>
        worker.next((event) => event.type === 'started' && event.node === 'scaled').then(() => worker),
      ),
    );
    holder.child.kill('SIGKILL');
    const survivor = workers.find((worker) => worker !== holder)!;

    const { outputs, report } = await running;
    expect(outputs).toEqual({ scaled: { value: 165, at: 'scaled' } });
    expect(report.nodes.find((node) => node.node === 'scaled')?.worker).toMatch(
      new RegExp(`:${survivor.child.pid}$`),
    );
    expect(survivor.events.some((event) => event.type === 'completed' && event.node === 'scaled')).toBe(true);
  });

  test('a node that computes synchronously for longer than the lock keeps its job: it runs once', async () => {
    const { executor, cache, start } = setUp('spin');
    // The fixture worker's lock lasts 1 s; the node holds its worker's event loop for 3 s.
    const workers = await start(2, 'pipeline.ts', 'spinning');
    const runner = new Runner({ executor, cache: { backend: cache } });
    const { outputs } = await runner.run(spinning, { count: 3, spinMs: 3_000 });
    expect(outputs).toEqual({ spun: 14 });
    const starts = workers.flatMap((worker) =>
      worker.events.filter((event) => event.type === 'started' && event.node === 'spun'),
    );
    expect(starts).toHaveLength(1);
  });

  test('a second run from another coordinator process: all hits, no job enqueued', async () => {
    const { runner, start, queue, prefix, workers } = setUp('second');
    await start(2);
    await runner.run(pipeline, inputs);
    // No worker is left: a job enqueued now would never finish, and the coordinator would hang.
    await stopAll(workers);

    const { stdout } = await execFileAsync(
      process.execPath,
      [
        '--conditions=memoflow-source',
        '--import',
        tsx,
        fixture('coordinator.ts'),
        url,
        queue,
        prefix,
        JSON.stringify(inputs),
      ],
      { timeout: 30_000 },
    );
    const second = JSON.parse(stdout) as { outputs: unknown; report: { nodes: { status: string }[] } };
    expect(second.outputs).toEqual(expected);
    expect(second.report.nodes.map((node) => node.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    const jobs = new Queue(queue, { connection: { url } });
    cleanups.push(() => jobs.close());
    expect(await jobs.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 0,
      failed: 0,
    });
  });

  test('a worker started with a changed node function refuses that node with a clear error, and stores nothing for it', async () => {
    const { runner, start, cache } = setUp('changed');
    const [worker] = await start(1, 'pipeline-changed.ts');
    const error = await runner.run(pipeline, inputs).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NodeFailedError);
    const failed = error as NodeFailedError;
    expect(failed.node).toBe('scaled');
    expect(failed.cause).toBeInstanceOf(SignatureMismatchError);
    expect(failed.cause).toMatchObject({ code: 'SIGNATURE_MISMATCH', node: 'scaled', differs: ['code'] });
    expect(failed.message).toMatch(
      /^Node `scaled` failed: refused by worker [^:]+:\d+: its code \(the run's \w+…, this worker's \w+…\) differs from the run's.*Deploy the run's pipeline module/,
    );
    // The nodes whose code is the same ran on that worker; the changed one stored nothing.
    expect(worker!.events.filter((event) => event.type === 'completed')).toHaveLength(7);
    const scaledKey = failed.report!.nodes.find((node) => node.node === 'scaled')!.key!;
    expect(await cache.has(scaledKey)).toBe(false);
  });

  test("a node's error crosses processes with its name, message and stack, as a NodeFailedError", async () => {
    const { start, executor, cache } = setUp('fails');
    await start(1, 'pipeline.ts', 'failing');
    const runner = new Runner({ executor, cache: { backend: cache } });
    const error = await runner
      .run(failing, { count: 3, failWith: 'on purpose' })
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(NodeFailedError);
    const failed = error as NodeFailedError;
    expect(failed.node).toBe('fails');
    expect(failed.message).toBe('Node `fails` failed: asked to fail: on purpose');
    expect(failed.cause).toMatchObject({ name: 'RangeError', message: 'asked to fail: on purpose' });
    // The worker's stack: thrown in the fixture, in another process.
    expect((failed.cause as Error).stack).toMatch(
      /RangeError: asked to fail: on purpose\n\s+at .*pipeline\.ts/,
    );
    expect(failed.report?.nodes.map((node) => node.status)).toEqual(['miss', 'miss', 'miss', 'failed']);
  });

  test('cancelling a run removes its waiting jobs; a queue no worker listens on is said once', async () => {
    const { queue, cache } = setUp('cancel');
    const warnings: string[] = [];
    const executor = new BullMQExecutor({ connection: { url }, queue, onWarning: (m) => warnings.push(m) });
    cleanups.push(() => executor.close());
    const runner = new Runner({ executor, cache: { backend: cache } });
    const jobs = new Queue(queue, { connection: { url } });
    cleanups.push(() => jobs.close());
    const controller = new AbortController();
    // No worker: the first job waits.
    const running = runner.run(pipeline, inputs, { signal: controller.signal });
    const rejected = expect(running).rejects.toThrow('stop now');
    await expect.poll(() => jobs.getWaitingCount(), { timeout: 10_000 }).toBe(1);
    await expect
      .poll(() => warnings, { timeout: 10_000 })
      .toEqual([
        `memoflow: no worker takes jobs from the BullMQ queue \`${queue}\`: the run waits until one does. Start one with \`memoflow worker <pipeline module> --redis <url> --queue ${queue}\`.`,
      ]);
    controller.abort(new Error('stop now'));
    await rejected;
    await expect.poll(() => jobs.getWaitingCount(), { timeout: 10_000 }).toBe(0);
  });

  test('a queue whose Redis does not answer fails the run within connectTimeout, naming the server', async () => {
    // The run's cache is the tests' Redis; only the queue's is unreachable. No queue is made there.
    const cache = new RedisCache({ url, prefix: testPrefix('unreachable') });
    cleanups.push(async () => {
      await cache.clear();
      await cache.close();
    });
    const port = await freePort();
    const executor = new BullMQExecutor({
      connection: { url: `redis://:secret@127.0.0.1:${port}` },
      connectTimeout: 500,
    });
    cleanups.push(() => executor.close());
    const started = performance.now();
    const error = (await new Runner({ executor, cache: { backend: cache } })
      .run(pipeline, inputs)
      .catch((caught: unknown) => caught)) as NodeFailedError;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.cause).toMatchObject({ code: 'BACKEND' });
    expect(error.message).toBe(
      `Node \`numbers\` failed: The BullMQ queue \`memoflow\` on redis://127.0.0.1:${port} is unreachable: no answer within 500 ms`,
    );
  });
});
