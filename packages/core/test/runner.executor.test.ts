/**
 * The Runner's executor seam, with an executor that performs tasks in this process through the
 * same `performTask` a BullMQ worker calls: which nodes become tasks, what a task carries (plain
 * JSON, values by reference), and what a worker refuses.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { type Executor, errorFromJSON, errorToJSON, type NodeTask, performTask } from '../src/executor.ts';
import {
  type CacheBackend,
  ConfigError,
  func,
  MemoryCache,
  NodeFailedError,
  Pipeline,
  Runner,
  SignatureMismatchError,
} from '../src/index.ts';
import { basic, count, forgetRuns, ran } from './support/counted-nodes.ts';

afterEach(forgetRuns);

/** Performs every task here, as a worker would, keeping the tasks as the JSON a queue carries. */
class InProcessExecutor implements Executor {
  readonly name = 'in-process';
  readonly tasks: NodeTask[] = [];
  constructor(
    private readonly pipeline: Pipeline,
    private readonly backend: CacheBackend,
    readonly itemsPerTask?: number,
  ) {}

  execute(tasks: readonly NodeTask[]) {
    return tasks.map(async (sent) => {
      const task = JSON.parse(JSON.stringify(sent)) as NodeTask;
      this.tasks.push(task);
      try {
        return await performTask(this.pipeline, task, { backend: this.backend, worker: 'here:1' });
      } catch (error) {
        throw errorFromJSON(errorToJSON(error));
      }
    });
  }
}

function distributed(pipeline: Pipeline, options: { perItemCaching?: boolean } = {}) {
  const backend = new MemoryCache();
  const executor = new InProcessExecutor(pipeline, backend);
  const runner = new Runner({ executor, cache: { backend, ...options } });
  return { backend, executor, runner };
}

const doubled = func({ output: 'doubled', map: 'clean' }, (clean: number) => {
  ran('doubled');
  return clean * 2;
});
const uncached = func({ output: 'uncached', cache: false }, (doubled: number[]) => {
  ran('uncached');
  return doubled.length;
});
const summary = func({ output: 'summary' }, (doubled: number[], uncached: number) => {
  ran('summary');
  return { sum: doubled.reduce((a, b) => a + b, 0), count: uncached };
});
const mapped = new Pipeline([basic, doubled, uncached, summary]);

describe('a Runner with an executor', () => {
  test('every miss becomes a task; outputs and keys are those of a local run', async () => {
    const local = await new Runner({ cache: { backend: new MemoryCache() } }).run(basic, {
      size: 5,
      threshold: 2,
    });
    const { executor, runner } = distributed(basic);
    const remote = await runner.run(basic, { size: 5, threshold: 2 });
    expect(remote.outputs).toEqual(local.outputs);
    expect(remote.report.nodes.map((node) => node.key)).toEqual(local.report.nodes.map((node) => node.key));
    expect(executor.tasks.map((task) => task.node)).toEqual(['rows', 'unrelated', 'clean', 'total']);
    expect(remote.report.nodes.every((node) => node.worker === 'here:1')).toBe(true);
    expect(remote.report.toText().split('\n')[0]).toMatch(/^node +status +reason +time +written +worker$/);
    expect(remote.report.toText().split('\n')[1]).toMatch(/^rows .* here:1$/);
    // Upstream values travel by reference: `clean`'s task names where `rows` is, not its value.
    const cleanTask = executor.tasks.find((task) => task.node === 'clean')!;
    expect(cleanTask.upstream).toEqual({
      rows: { key: remote.report.nodes[0]!.key, outputHash: expect.any(String) },
    });

    const again = await runner.run(basic, { size: 5, threshold: 2 });
    expect(again.report.nodes.map((node) => node.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
    expect(executor.tasks).toHaveLength(4);
  });

  test('a mapped node is one task per missing item; a node with its own cache runs here, and its value reaches the workers by content', async () => {
    const { executor, runner } = distributed(mapped);
    const first = await runner.run(mapped, { size: 4, threshold: 1 });
    expect(first.outputs).toEqual({ total: 6, unrelated: 8, summary: { sum: 12, count: 3 } });
    // Few items: a task each.
    expect(
      executor.tasks
        .filter((task) => task.node === 'doubled')
        .map((task) => task.items?.map((item) => item.index)),
    ).toEqual([[0], [1], [2]]);
    expect(executor.tasks.some((task) => task.node === 'uncached')).toBe(false);
    const summaryTask = executor.tasks.find((task) => task.node === 'summary')!;
    expect(Object.keys(summaryTask.upstream).sort()).toEqual(['doubled', 'uncached']);

    executor.tasks.length = 0;
    forgetRuns();
    const grown = await runner.run(mapped, { size: 5, threshold: 1 });
    expect(grown.outputs.summary).toEqual({ sum: 20, count: 4 });
    // One more item: one item task; the items already stored are hits.
    expect(executor.tasks.filter((task) => task.node === 'doubled')).toHaveLength(1);
    expect(count('doubled')).toBe(1);
  });

  test('a value computed on a worker is read back only when this process needs it', async () => {
    const backend = new MemoryCache();
    const read: string[] = [];
    // The run's view of the cache counts what the run reads; the worker reads the cache itself.
    const counted = new Proxy(backend, {
      get: (target, property) => {
        if (property === 'getMany')
          return (keys: string[]) => {
            read.push(...keys);
            return target.getMany(keys);
          };
        const value = Reflect.get(target, property);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const executor = new InProcessExecutor(basic, backend);
    const { report, outputs } = await new Runner({ executor, cache: { backend: counted } }).run(basic, {
      size: 5,
      threshold: 2,
    });
    expect(outputs).toEqual({ total: 9, unrelated: 10 });
    const keyOf = (name: string) => report.nodes.find((node) => node.node === name)!.key;
    // `rows` and `clean` only feed nodes that ran on the worker: their values stayed in the cache.
    expect(read.sort()).toEqual([keyOf('total'), keyOf('unrelated')].sort());
  });

  test("a mapped node's items travel in tasks of several (itemsPerTask); an item that throws is named", async () => {
    const backend = new MemoryCache();
    const executor = new InProcessExecutor(mapped, backend, 2);
    const runner = new Runner({ executor, cache: { backend } });
    const { outputs, report } = await runner.run(mapped, { size: 6, threshold: 1 });
    expect(outputs.summary).toEqual({ sum: 30, count: 5 });
    const batches = executor.tasks.filter((task) => task.node === 'doubled');
    expect(batches.map((task) => task.items!.map((item) => item.index))).toEqual([[0, 1], [2, 3], [4]]);
    const doubledReport = report.nodes.find((node) => node.node === 'doubled')!;
    expect(doubledReport.items).toEqual({ total: 5, hits: 0, misses: 5 });

    const picky = func({ output: 'picky', map: 'clean' }, (clean: number) => {
      if (clean === 4) throw new RangeError('4 is not welcome');
      return clean;
    });
    const failing = new Pipeline([basic, picky]);
    const error = (await new Runner({
      executor: new InProcessExecutor(failing, backend, 2),
      cache: { backend },
    })
      .run(failing, { size: 6, threshold: 1 })
      .catch((e: unknown) => e)) as NodeFailedError;
    // clean is [1, 2, 3, 4, 5]: 4 is item 3, in the second task of two.
    // As a local run says it.
    expect(error.message).toBe('Node `picky` on item 3 of `clean` failed: 4 is not welcome');
    expect(error.cause).toMatchObject({ name: 'RangeError', item: 3 });
  });

  test('large inputs travel through the cache, once, rather than in every task', async () => {
    const measured = func(
      { output: 'measured' },
      (samples: number[], scale: number) => samples.length * scale,
    );
    const pipeline = new Pipeline([measured]);
    const { executor, runner } = distributed(pipeline);
    const samples = Array.from({ length: 50_000 }, (_, i) => i / 7);
    const { outputs } = await runner.run(pipeline, { samples, scale: 2 });
    expect(outputs).toEqual({ measured: 100_000 });
    const [task] = executor.tasks;
    expect(task).toMatchObject({ inputs: '', inputsKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(task).length).toBeLessThan(2_000);
    // Small inputs stay in the task.
    const small = distributed(pipeline);
    await small.runner.run(pipeline, { samples: [1, 2], scale: 2 });
    expect(small.executor.tasks[0]!.inputsKey).toBeUndefined();
  });

  test('a mapped node cached whole (perItemCaching: false) is one task', async () => {
    const { executor, runner } = distributed(mapped, { perItemCaching: false });
    const { outputs } = await runner.run(mapped, { size: 4, threshold: 1 });
    expect(outputs.summary).toEqual({ sum: 12, count: 3 });
    expect(executor.tasks.filter((task) => task.node === 'doubled')).toEqual([
      expect.not.objectContaining({ items: expect.anything() }),
    ]);
  });

  test('an executor without a shared cache is a CONFIG error', () => {
    const executor = new InProcessExecutor(basic, new MemoryCache());
    expect(() => new Runner({ executor })).toThrow(ConfigError);
    expect(() => new Runner({ executor, cache: { enabled: false, backend: new MemoryCache() } })).toThrow(
      /needs `cache.backend`: a cache its workers share/,
    );
  });

  test("a node's error comes back as the run's NodeFailedError, its cause rebuilt with name, message and stack", async () => {
    const broken = func({ output: 'broken' }, (total: number) => {
      if (total > 0) throw new RangeError(`total ${total} is too big`);
      return total;
    });
    const pipeline = new Pipeline([basic, broken]);
    const { runner } = distributed(pipeline);
    const error = (await runner
      .run(pipeline, { size: 3, threshold: 0 })
      .catch((e: unknown) => e)) as NodeFailedError;
    expect(error).toBeInstanceOf(NodeFailedError);
    expect(error.message).toBe('Node `broken` failed: total 3 is too big');
    expect(error.cause).toMatchObject({ name: 'RangeError', message: 'total 3 is too big' });
    expect((error.cause as Error).stack).toContain('runner.executor.test.ts');
  });
});

describe('performTask', () => {
  async function oneTask() {
    const { executor, runner, backend } = distributed(basic);
    await runner.run(basic, { size: 5, threshold: 2 }, { outputs: ['rows'] });
    const task = executor.tasks[0]!;
    await backend.clear();
    return { task, backend };
  }

  test('refuses a task whose code hash is not its own, naming what differs', async () => {
    const { task, backend } = await oneTask();
    const error = await performTask(
      basic,
      { ...task, key: 'f'.repeat(64), codeHash: 'e'.repeat(64) },
      { backend },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignatureMismatchError);
    expect(error).toMatchObject({ code: 'SIGNATURE_MISMATCH', node: 'rows', differs: ['code'] });
    expect(await backend.has('f'.repeat(64))).toBe(false);
  });

  test('a key that the same code and env do not derive is refused as an inputs mismatch', async () => {
    const { task, backend } = await oneTask();
    const error = await performTask(basic, { ...task, key: 'f'.repeat(64) }, { backend }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ differs: ['inputs'] });
  });

  test('a task delivered twice computes once: the second finds the result stored', async () => {
    const { task, backend } = await oneTask();
    forgetRuns();
    const first = await performTask(basic, task, { backend });
    const second = await performTask(basic, task, { backend });
    expect(count('rows')).toBe(1);
    expect(second).toMatchObject({ outputHash: first.outputHash, bytes: first.bytes, computeMs: 0 });
  });

  test('a task of another format, or for a node the pipeline lacks, is refused with what to do', async () => {
    const { task, backend } = await oneTask();
    await expect(performTask(basic, { ...task, v: 2 } as unknown as NodeTask, { backend })).rejects.toThrow(
      /format 2 reached a worker that reads format 1: run the same memoflow version/,
    );
    await expect(performTask(basic, { ...task, node: 'nope' }, { backend })).rejects.toThrow(ConfigError);
  });
});
