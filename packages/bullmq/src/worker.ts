/**
 * A memoflow worker: takes jobs from the queue, performs each task against its own copy of the
 * pipeline (refusing one whose key its code does not derive), writes the result to the shared
 * cache and completes the job with the output hash only.
 */
import { hostname } from 'node:os';
import { type CacheBackend, ConfigError, type Pipeline } from '@memoflow/core';
import { errorToJSON, type NodeTask, performTask, type TaskResult } from '@memoflow/core/executor';
import { type ConnectionOptions, type Job, UnrecoverableError, Worker } from 'bullmq';
import { delay } from './_connection.ts';
import { LockKeeper } from './_lock-keeper.ts';
import { DEFAULT_QUEUE, wholeNumber } from './_protocol.ts';

/**
 * A job's lock (ms). Short, because it is all a dead worker costs: its job is found and run
 * elsewhere within about 1.5 times it. Safe, because a live worker renews it from a thread of
 * its own every quarter of it whatever its nodes do: only a worker cut off from Redis for about
 * 4 s loses a job it still runs (which then runs twice; results are content-addressed).
 */
const DEFAULT_LOCK_DURATION = 5_000;

export interface WorkerOptions {
  /** The pipeline the coordinators run: the same module, deployed with the same code. */
  pipeline: Pipeline;
  /** The cache the coordinators read (a RedisCache on a server every worker reaches). */
  cache: CacheBackend;
  /** The Redis that holds the queue, as BullMQExecutor's `connection`. */
  connection: ConnectionOptions;
  /** The queue's name. @default 'memoflow' */
  queue?: string;
  /** BullMQ's key prefix in Redis. @default 'bull' */
  prefix?: string;
  /**
   * Jobs this worker runs at once. Nodes that compute in JavaScript block the process while
   * they run: for CPU-bound nodes run one worker process per core instead. @default 1
   */
  concurrency?: number;
  /**
   * How long a job stays this worker's without a sign of life (ms). Workers look for jobs whose
   * lock lapsed every quarter of this, so a worker that dies loses its job within about 1.5 times
   * this (7.5 s by default), and another worker runs it again. The lock is renewed every quarter
   * of it from a thread of its own, so a node that computes synchronously for longer keeps its
   * job. @default 5000
   */
  lockDuration?: number;
  /** Hears each job as it starts, completes or fails (for logs). */
  onEvent?: (event: WorkerEvent) => void;
}

export interface WorkerEvent {
  type: 'started' | 'completed' | 'failed';
  node: string;
  /** The task's key (the job id). */
  key: string;
  /** For a task of items of a mapped node: their positions. */
  items?: number[];
  result?: TaskResult;
  error?: Error;
}

export interface MemoflowWorker {
  /** The BullMQ worker, for its events and options. */
  readonly worker: Worker;
  /** Finishes the jobs in hand, then stops taking new ones and closes the connections. */
  close(): Promise<void>;
}

/**
 * Starts a worker on the queue; resolves once it is connected.
 *
 * @example
 * const worker = await startWorker({ pipeline, cache: new RedisCache({ url }), connection: { url } });
 * process.on('SIGTERM', () => void worker.close());
 */
export async function startWorker(options: WorkerOptions): Promise<MemoflowWorker> {
  const { pipeline, cache, onEvent } = options;
  if (pipeline === undefined || cache === undefined || options.connection === undefined) {
    throw new ConfigError(
      "startWorker needs `pipeline`, `cache` (the cache the coordinators read) and `connection` (the queue's Redis).",
    );
  }
  const concurrency = wholeNumber('startWorker', options.concurrency, 1, 'concurrency');
  const lockDuration = wholeNumber(
    'startWorker',
    options.lockDuration,
    DEFAULT_LOCK_DURATION,
    'lockDuration',
  );
  const queue = options.queue ?? DEFAULT_QUEUE;
  const name = `${hostname()}:${process.pid}`;
  const keeper = new LockKeeper({
    connection: options.connection,
    queue,
    prefix: options.prefix,
    lockDuration,
  });
  const processor = async (job: Job<NodeTask>, token?: string): Promise<TaskResult> => {
    const task = job.data;
    const event = { node: task?.node, key: task?.key, items: task?.items?.map((item) => item.index) };
    onEvent?.({ type: 'started', ...event });
    // A node computing synchronously holds this thread: the lock is kept from another.
    if (token) keeper.hold(job.id!, token);
    try {
      const result = await performTask(pipeline, task, { backend: cache, worker: name });
      onEvent?.({ type: 'completed', ...event, result });
      return result;
    } catch (error) {
      onEvent?.({ type: 'failed', ...event, error: error as Error });
      // A node's failure is the run's answer: never retried, here or on another worker.
      throw new UnrecoverableError(JSON.stringify(errorToJSON(error)));
    } finally {
      keeper.release(job.id!);
    }
  };
  const worker = new Worker<NodeTask, TaskResult>(queue, processor, {
    connection: options.connection,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    concurrency,
    lockDuration,
    // A dead worker's job is moved back by the first check after its lock lapsed. Checks are
    // shared by the workers (one per interval on the queue), and a worker whose turn fell inside
    // another's interval waits a whole one more: a check every quarter lock finds it within half a lock.
    stalledInterval: Math.max(1, Math.round(lockDuration / 4)),
    // A job survives two workers dying under it; the third fails it (and the run), so that a
    // node that kills its worker does not go on to kill the whole fleet.
    maxStalledCount: 2,
  });
  worker.on('error', () => {});
  try {
    await Promise.all([worker.waitUntilReady(), keeper.ready]);
  } catch (error) {
    // Closing a worker that never connected may wait on its server: a second at most.
    await Promise.race([worker.close(true).catch(() => {}), delay(1_000)]);
    await keeper.stop();
    throw error;
  }
  return {
    worker,
    close: async () => {
      await worker.close();
      await keeper.stop();
    },
  };
}
