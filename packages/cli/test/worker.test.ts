/**
 * `memoflow worker` and `memoflow run --queue` against a real Redis: worker processes started
 * as users start them, runs whose misses they compute, a node's error on a worker, SIGTERM and
 * SIGINT while a job is in hand, and the usage errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { v8Serializer } from '@memoflow/core';
import { decodeEntry, MISS } from '@memoflow/core/backend-kit';
import { RedisCache } from '@memoflow/redis';
// BullMQ is a dependency of @memoflow/bullmq, not of the CLI: imported from there, to clean queues up.
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { coreEntry } from '../../core/test/support/processes.ts';
import { describeWithRedis, freePort, testPrefix } from '../../test-utils/src/redis.ts';
import {
  type CliResult,
  cliProject,
  FAILING,
  lines,
  NODES,
  PIPELINE,
  reportOf,
  statuses,
} from './support/cli.ts';

const core = JSON.stringify(coreEntry);

/** A node mapped over an array (one job per item), and a slow node to stop a worker under. */
const MAPPED = `import { func, Pipeline } from ${core};

export const numbers = func({ output: 'numbers' }, (count: number) => Array.from({ length: count }, (_, i) => i + 1));
export const squares = func({ output: 'squares', map: 'numbers' }, (numbers: number) => numbers * numbers);
export const total = func({ output: 'total' }, (squares: number[]) => squares.reduce((a, b) => a + b, 0));

export const pipeline = new Pipeline([numbers, squares, total]);
`;

const SLOW = `import { func, Pipeline } from ${core};

export const slow = func({ output: 'slow' }, async (ms: number) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return ms;
});

export const pipeline = new Pipeline([slow]);
export const other = new Pipeline([slow]);
`;

const project = cliProject({
  'pipeline.ts': PIPELINE,
  'failing.ts': FAILING,
  'mapped.ts': MAPPED,
  'slow.ts': SLOW,
});
afterAll(() => project.dispose());

const RUN = ['run', 'pipeline.ts', '--input', 'n=3', '--input', 'name=abc'];

/** The binary as users start it: SIGTERM to it reaches the worker, whether built or run from source. */
const BIN = fileURLToPath(new URL('../bin/memoflow.js', import.meta.url));

interface WorkerProcess {
  readonly child: ChildProcess;
  /** What it printed so far, line by line. */
  stdout(): string[];
  stderr(): string;
  /** Resolves with the first line (printed or to come) that matches. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null: ended by a signal) once it exits. */
  readonly exited: Promise<number | null>;
}

const processes: WorkerProcess[] = [];

/** Starts `memoflow worker …args` in the project, with no MEMOFLOW_* variable but `env`'s. */
function startWorker(args: readonly string[], env: Record<string, string> = {}): WorkerProcess {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('MEMOFLOW_')),
  );
  // A process group of its own, as a terminal gives a command: Ctrl-C signals the whole group.
  const child = spawn(process.execPath, [BIN, 'worker', ...args], {
    cwd: project.dir,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const listener of listeners) listener();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const printed = () => lines(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
  const worker: WorkerProcess = {
    child,
    stdout: printed,
    stderr: () => stderr,
    line: (pattern, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = printed().find((line) => pattern.test(line));
          if (found === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `worker ${child.pid} printed no line like ${pattern} within ${timeoutMs} ms:\n${stdout}${stderr}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!listeners.delete(check)) return;
          clearTimeout(timer);
          reject(
            new Error(
              `worker ${child.pid} exited before printing a line like ${pattern}:\n${stdout}${stderr}`,
            ),
          );
        });
        check();
      }),
    exited,
  };
  processes.push(worker);
  return worker;
}

/** The lines of a worker's jobs: `✓ …` and `✗ …`. */
const jobLines = (worker: WorkerProcess): string[] => worker.stdout().filter((line) => /^[✓✗] /.test(line));

const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Kills the worker processes still running (the binary and the worker it started), and waits for them to exit. */
async function stopProcesses(): Promise<void> {
  const running = processes.splice(0);
  for (const worker of running) {
    try {
      process.kill(-worker.child.pid!, 'SIGKILL');
    } catch {
      // The group has exited already.
    }
  }
  await Promise.all(running.map((worker) => worker.exited));
}
afterEach(stopProcesses);

describeWithRedis('memoflow worker and memoflow run --queue', (url) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    // The workers first: one still connected could write to its queue after it is removed.
    await stopProcesses();
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  });

  /** A queue and a cache prefix of the test's own, both removed after it; `redis` are the flags that name them. */
  function scope(name: string) {
    const queue = testPrefix(`cli-${name}`).replaceAll(':', '-').replace(/-$/, '');
    const prefix = testPrefix(`cli-${name}`);
    const jobs = new Queue(queue, { connection: { url } });
    const cache = new RedisCache({ url, prefix });
    cleanups.push(async () => {
      await jobs.obliterate({ force: true });
      await jobs.close();
      await cache.clear();
      await cache.close();
    });
    return { queue, prefix, jobs, cache, redis: ['--redis', url, '--prefix', prefix] };
  }

  /** Waits for the worker's ready line; resolves with the pid it names (the worker's own, under the binary). */
  const ready = async (
    worker: WorkerProcess,
    nodes: number,
    module: string,
    queue: string,
    concurrency = 1,
  ) => {
    const line = await worker.line(
      new RegExp(
        `^memoflow worker: \\S+:\\d+ takes jobs for ${nodes} nodes? of ${literal(module)} from queue ${literal(queue)} on ${literal(url.replace(/\/$/, ''))} \\(concurrency ${concurrency}\\)$`,
      ),
    );
    return /:(\d+) takes jobs/.exec(line)![1]!;
  };

  test('run --queue computes the misses on the worker; a second run hits every node and sends the worker no job', async () => {
    const { queue, redis, jobs, cache } = scope('run');
    project.write('seen.jsonl', '');
    const worker = startWorker(['pipeline.ts', ...redis, '--queue', queue]);
    const pid = await ready(worker, 3, 'pipeline.ts', queue);

    const first = await project.cli([...RUN, ...redis, '--queue', queue, '--json']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const report = reportOf(first);
    expect(report.backend).toBe('redis');
    expect(statuses(report)).toEqual({ doubled: 'miss', label: 'miss', padded: 'miss' });
    // Each miss was computed by the worker process, not by the run.
    for (const node of report.nodes) expect(node.worker).toMatch(new RegExp(`:${pid}$`));
    expect(jobLines(worker)).toEqual(
      NODES.map((node) => expect.stringMatching(new RegExp(`^✓ ${node} \\S+$`))),
    );

    // The outputs the worker stored, under the keys a local run derives.
    const local = await project.cli([...RUN, '--cache-dir', 'local-cache', '--json']);
    const keys = (result: CliResult) =>
      Object.fromEntries(
        reportOf(result).nodes.map((node: { node: string; key: string }) => [node.node, node.key]),
      );
    expect(keys(first)).toEqual(keys(local));
    const stored = async (key: string) => {
      const bytes = await cache.getBlob(key);
      return bytes ? decodeEntry(bytes, v8Serializer) : MISS;
    };
    const byNode = keys(first);
    expect(await stored(byNode.doubled)).toBe(6);
    expect(await stored(byNode.label)).toBe('abc: 6');
    expect(await stored(byNode.padded)).toBe('abc: 6'.padEnd(8192, '.'));

    const printedBefore = worker.stdout();
    const second = await project.cli([...RUN, ...redis, '--queue', queue, '--json']);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(statuses(reportOf(second))).toEqual({ doubled: 'hit', label: 'hit', padded: 'hit' });
    expect(await jobs.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
      completed: 0,
      failed: 0,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(worker.stdout()).toEqual(printedBefore);
    expect(worker.stderr()).toBe('');
  });

  test('a node mapped over an array: one job, and one line, per item', async () => {
    const { queue, redis } = scope('mapped');
    const worker = startWorker(['mapped.ts', ...redis, '--queue', queue, '--concurrency', '3']);
    await ready(worker, 3, 'mapped.ts', queue, 3);
    const run = await project.cli([
      'run',
      'mapped.ts',
      '--input',
      'count=4',
      ...redis,
      '--queue',
      queue,
      '--json',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const report = reportOf(run);
    expect(statuses(report)).toEqual({ numbers: 'miss', squares: 'miss', total: 'miss' });
    expect(report.nodes[1].items).toEqual({ total: 4, hits: 0, misses: 4 });
    const printed = jobLines(worker);
    expect(printed).toHaveLength(6);
    for (const pattern of [
      /^✓ numbers \S+$/,
      /^✓ total \S+$/,
      ...[0, 1, 2, 3].map((i) => new RegExp(`^✓ squares \\[item ${i}\\] \\S+$`)),
    ])
      expect(printed, String(pattern)).toContainEqual(expect.stringMatching(pattern));
  });

  test('a node that throws on the worker: ✗ and its message there; the run exits 1 with one line', async () => {
    const { queue, redis } = scope('failing');
    const worker = startWorker(['failing.ts', ...redis, '--queue', queue]);
    await ready(worker, 1, 'failing.ts', queue);
    const run = await project.cli(['run', 'failing.ts', '--input', 'n=-1', ...redis, '--queue', queue]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(/^memoflow: .*`checked`.*n must not be negative, got -1$/),
    ]);
    expect(jobLines(worker)).toEqual(['✗ checked: n must not be negative, got -1']);
  });

  test('SIGTERM while a job is in hand: the worker finishes it, the run gets its result, and the worker exits 0', async () => {
    const { queue, redis, jobs } = scope('sigterm');
    // --export: the worker's pipeline is another export that holds the same node.
    const worker = startWorker(['slow.ts', ...redis, '--queue', queue, '--export', 'other']);
    await ready(worker, 1, 'slow.ts', queue);
    const running = project.cli([
      'run',
      'slow.ts',
      '--input',
      'ms=1500',
      ...redis,
      '--queue',
      queue,
      '--json',
    ]);
    await expect.poll(() => jobs.getActiveCount(), { timeout: 20_000, interval: 20 }).toBe(1);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.stdout().slice(1)).toEqual([
      expect.stringMatching(/^memoflow worker: \S+ got SIGTERM: finishing the jobs in hand/),
      expect.stringMatching(/^✓ slow 1\.\d\ds$/),
      expect.stringMatching(/^memoflow worker: \S+ stopped after 1 job$/),
    ]);
    expect(worker.stderr()).toBe('');
    const run = await running;
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(statuses(reportOf(run))).toEqual({ slow: 'miss' });
  });

  test('SIGINT (Ctrl-C) on an idle worker: it stops and exits 0', async () => {
    const { queue, redis } = scope('sigint');
    const worker = startWorker(['pipeline.ts', ...redis, '--queue', queue]);
    await ready(worker, 3, 'pipeline.ts', queue);
    // Ctrl-C: the terminal signals the command's whole process group.
    process.kill(-worker.child.pid!, 'SIGINT');
    expect(await worker.exited).toBe(0);
    expect(worker.stdout().slice(1)).toEqual([
      expect.stringMatching(/^memoflow worker: \S+ got SIGINT: finishing the jobs in hand/),
      expect.stringMatching(/^memoflow worker: \S+ stopped after 0 jobs$/),
    ]);
    expect(worker.stderr()).toBe('');
  });
});

describe('memoflow worker with a Redis that does not answer', () => {
  test('exit 1 after 10 s, with one line naming the server (without its password)', async () => {
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const worker = startWorker([
      'pipeline.ts',
      '--redis',
      unreachable.replace('//', '//user:secret@'),
      '--queue',
      'nowhere',
    ]);
    expect(await worker.exited).toBe(1);
    expect(worker.stdout()).toEqual([]);
    expect(lines(worker.stderr())).toEqual([
      `memoflow: Redis at ${unreachable} did not answer within 10 s: the worker cannot reach its queue (is the server up, and the URL right?)`,
    ]);
  });
});

describe('memoflow worker and run --queue: mistakes in what was asked exit 2 with one line and run nothing', () => {
  const redis = ['--redis', 'redis://127.0.0.1:1'];
  const cases: [title: string, args: string[], message: RegExp, env?: Record<string, string>][] = [
    [
      'worker without --redis',
      ['worker', 'pipeline.ts'],
      /^memoflow: worker needs --redis <url> \(or MEMOFLOW_REDIS_URL\)/,
    ],
    [
      'run --queue without --redis',
      [...RUN, '--queue', 'q'],
      /^memoflow: --queue q needs --redis <url> \(or MEMOFLOW_REDIS_URL\)/,
    ],
    [
      'run --queue with --read-only',
      [...RUN, ...redis, '--read-only', '--queue', 'q'],
      /^memoflow: --queue q has workers write .* readOnly is set \(flag --read-only\)/,
    ],
    [
      'worker --concurrency 0',
      ['worker', 'pipeline.ts', ...redis, '--concurrency', '0'],
      /^memoflow: --concurrency "0" is not a whole number of at least 1$/,
    ],
    [
      'worker --lock-duration 1.5',
      ['worker', 'pipeline.ts', ...redis, '--lock-duration', '1.5'],
      /^memoflow: --lock-duration "1\.5" is not a whole number of at least 1$/,
    ],
    [
      'worker on a read-only configuration',
      ['worker', 'pipeline.ts', ...redis],
      /^memoflow: a worker writes its results to the cache, but readOnly is set \(MEMOFLOW_READ_ONLY\)/,
      { MEMOFLOW_READ_ONLY: '1' },
    ],
    [
      'worker --export naming no pipeline',
      ['worker', 'slow.ts', ...redis, '--export', 'slow'],
      /^memoflow: slow\.ts has no pipeline exported as `slow`: its pipelines are `other`, `pipeline`$/,
    ],
    [
      'worker on a module that does not exist',
      ['worker', 'missing.ts', ...redis],
      /^memoflow: no module at missing\.ts/,
    ],
  ];
  let results: CliResult[];
  beforeAll(async () => {
    project.write('seen.jsonl', '');
    results = await Promise.all(cases.map(([, args, , env]) => project.cli(args, { env })));
  });

  cases.forEach(([title, , message], i) => {
    test(title, () => {
      const result = results[i]!;
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toEqual([expect.stringMatching(message)]);
    });
  });

  test('none of them ran a node', () => {
    expect(project.read('seen.jsonl')).toBe('');
  });
});
