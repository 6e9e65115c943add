/**
 * BullMQExecutor: a Runner's misses as BullMQ jobs. The Runner still schedules and does the
 * fan-in (BullMQ flows are trees; a pipeline is a DAG); this only enqueues the misses it is
 * handed, one job per task, and settles each when its job completes or fails.
 */
import { type BackendError, backendFailure, ConfigError } from '@memoflow/core/backend-kit';
import type { Executor, NodeTask, TaskResult } from '@memoflow/core/executor';
import { type ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { clientOf, delay, inTime, serverOf, TIMED_OUT } from './_connection.ts';
import { DEFAULT_QUEUE, EVENTS_MAX_LEN, failureOf, resultOf, wholeNumber } from './_protocol.ts';

export interface BullMQExecutorOptions {
  /**
   * The Redis that holds the queue, as BullMQ takes it: `{ url: 'redis://host:6379' }`,
   * ioredis options (`{ host, port, password, tls }`), or an ioredis client. Workers must use
   * the same server and queue.
   */
  connection: ConnectionOptions;
  /** The queue's name: one per fleet of workers that run the same pipelines. @default 'memoflow' */
  queue?: string;
  /** BullMQ's key prefix in Redis. @default 'bull' */
  prefix?: string;
  /** Jobs added per `addBulk` call. @default 1000 */
  batchSize?: number;
  /**
   * Items of a mapped node per job. Each job costs Redis a few dozen commands, so a job per
   * item of a large map spends more on the queue than on the items. @default a node's missing items in at most 64 jobs of at most 100 items
   */
  itemsPerJob?: number;
  /**
   * How often jobs not heard from are checked (ms): a job that vanished without its completion
   * reaching this process (an event stream trimmed under load, say) is enqueued again; the
   * worker then finds its result in the cache. @default 10000
   */
  checkEvery?: number;
  /** How long the queue's Redis may take to answer at first (ms) before the run's tasks fail. @default 10000 */
  connectTimeout?: number;
  /** Receives a warning when no worker listens on the queue (the run waits for one). @default process.emitWarning */
  onWarning?: (message: string) => void;
}

interface Waiter {
  task: NodeTask;
  resolve: (result: TaskResult) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
  since: number;
}

/** Jobs whose state is checked per round of `checkEvery`. */
const CHECK_BATCH = 1_000;

/**
 * Runs a Runner's misses on BullMQ workers (`memoflow worker`, or `startWorker`).
 *
 * @example
 * const executor = new BullMQExecutor({ connection: { url: process.env.REDIS_URL }, queue: 'etl' });
 * const runner = new Runner({ executor, cache: { backend: new RedisCache({ url: process.env.REDIS_URL }) } });
 * await runner.run(pipeline, inputs);
 * await executor.close();
 */
export class BullMQExecutor implements Executor {
  readonly name = 'bullmq';
  readonly itemsPerTask: number | undefined;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #ready: Promise<unknown>;
  /** The connections this executor made, which close() ends even when their server is gone. */
  readonly #owned: Redis[] = [];
  readonly #batchSize: number;
  readonly #checkEvery: number;
  readonly #warn: (message: string) => void;
  /** The queue's Redis, for messages: its URL without credentials. */
  readonly #server: string;
  #warnedNoWorker = false;
  /** Job id (= task key) → the tasks waiting on it. */
  readonly #waiting = new Map<string, Waiter[]>();
  readonly #watched = new WeakSet<AbortSignal>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: BullMQExecutorOptions) {
    if (options?.connection === undefined) {
      throw new ConfigError(
        `BullMQExecutor needs \`connection\`: the Redis its workers use, e.g. { connection: { url: 'redis://127.0.0.1:6379' } }.`,
      );
    }
    this.#batchSize = wholeNumber('BullMQExecutor', options.batchSize, 1_000, 'batchSize');
    this.itemsPerTask =
      options.itemsPerJob === undefined
        ? undefined
        : wholeNumber('BullMQExecutor', options.itemsPerJob, 1, 'itemsPerJob');
    this.#checkEvery = wholeNumber('BullMQExecutor', options.checkEvery, 10_000, 'checkEvery');
    const connectTimeout = wholeNumber('BullMQExecutor', options.connectTimeout, 10_000, 'connectTimeout');
    this.#warn = options.onWarning ?? ((message) => process.emitWarning(message));
    this.#server = serverOf(options.connection);
    const name = options.queue ?? DEFAULT_QUEUE;
    const prefix = options.prefix ? { prefix: options.prefix } : {};
    const client = clientOf(options.connection, () => this.#closed);
    if (client !== options.connection) this.#owned.push(client);
    // Events are read with a blocking command: a connection of their own.
    const eventsClient = client.duplicate();
    this.#owned.push(eventsClient);
    for (const owned of this.#owned) owned.on('error', () => {});
    this.#queue = new Queue(name, {
      connection: client,
      ...prefix,
      streams: { events: { maxLen: EVENTS_MAX_LEN } },
    });
    this.#events = new QueueEvents(name, { connection: eventsClient, ...prefix });
    // Errors reach the waiting tasks through failed commands; an unhandled 'error' would end the process.
    this.#queue.on('error', () => {});
    this.#events.on('error', () => {});
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#settle(jobId, resultOf(returnvalue)));
    this.#events.on('failed', ({ jobId, failedReason }) => this.#settle(jobId, failureOf(failedReason)));
    // Another coordinator cancelled a job this one also waits for: enqueue it again.
    this.#events.on('removed', ({ jobId }) => this.#resubmit(jobId));
    this.#ready = inTime(
      Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]),
      connectTimeout,
    );
    // A rejection is handed to the tasks of each `execute`: none goes unhandled meanwhile.
    this.#ready.catch(() => {});
  }

  execute(tasks: readonly NodeTask[], options: { signal: AbortSignal }): Promise<TaskResult>[] {
    const { signal } = options;
    if (signal.aborted) return tasks.map(() => Promise.reject(signal.reason));
    const promises = tasks.map(
      (task) =>
        new Promise<TaskResult>((resolve, reject) => {
          const waiter = { task, resolve, reject, signal, since: performance.now() };
          const waiters = this.#waiting.get(task.key);
          if (waiters) waiters.push(waiter);
          else this.#waiting.set(task.key, [waiter]);
        }),
    );
    // One listener per run, however many of its nodes it hands over.
    if (!this.#watched.has(signal)) {
      this.#watched.add(signal);
      signal.addEventListener('abort', () => void this.#withdraw(signal), { once: true });
    }
    this.#timer ??= setInterval(() => void this.#check(), this.#checkEvery).unref();
    void this.#submit(tasks);
    return promises;
  }

  /** Stops listening and closes the queue's connections; tasks still waiting reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const jobId of [...this.#waiting.keys()])
      this.#settle(jobId, new Error('the BullMQ executor was closed while the task waited'));
    const graceful = (async () => {
      await Promise.allSettled([this.#events.close(), this.#queue.close()]);
      await Promise.allSettled(this.#owned.map((client) => client.quit()));
    })();
    // A graceful close waits on a server that does not answer: past a second, cut the connections.
    if ((await Promise.race([graceful, delay(1_000)])) === TIMED_OUT)
      for (const client of this.#owned) client.disconnect();
  }

  /** Enqueues tasks in batches; a batch that cannot be enqueued fails its tasks. */
  async #submit(tasks: readonly NodeTask[]): Promise<void> {
    try {
      await this.#ready;
    } catch (error) {
      for (const task of tasks) this.#settle(task.key, this.#failure('is unreachable', error));
      return;
    }
    for (let start = 0; start < tasks.length; start += this.#batchSize) {
      const batch = tasks.slice(start, start + this.#batchSize).filter((task) => this.#waiting.has(task.key));
      if (batch.length === 0) continue;
      try {
        await this.#queue.addBulk(batch.map(jobOf));
      } catch (error) {
        for (const task of batch) this.#settle(task.key, this.#failure('refused the jobs', error));
      }
    }
    await this.#warnWithoutWorkers();
  }

  /** Says so, once, when no worker listens on the queue: a run would wait for one without a word. */
  async #warnWithoutWorkers(): Promise<void> {
    if (this.#warnedNoWorker || this.#waiting.size === 0) return;
    const workers = await this.#queue.getWorkersCount().catch(() => -1);
    if (workers !== 0) return;
    this.#warnedNoWorker = true;
    this.#warn(
      `memoflow: no worker takes jobs from the BullMQ queue \`${this.#queue.name}\`: the run waits until one does. Start one with \`memoflow worker <pipeline module> --redis <url> --queue ${this.#queue.name}\`.`,
    );
  }

  /** Resolves or rejects every task waiting on a job. */
  #settle(jobId: string, outcome: TaskResult | Error): void {
    const waiters = this.#waiting.get(jobId);
    if (!waiters) return;
    this.#waiting.delete(jobId);
    for (const waiter of waiters) {
      if (outcome instanceof Error) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
    if (this.#waiting.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** A run stopped: its tasks reject, and its jobs that no worker has started are removed. */
  async #withdraw(signal: AbortSignal): Promise<void> {
    const withdrawn: string[] = [];
    for (const [jobId, waiters] of this.#waiting) {
      const staying = waiters.filter((waiter) => waiter.signal !== signal);
      for (const waiter of waiters) if (waiter.signal === signal) waiter.reject(signal.reason);
      if (staying.length > 0) this.#waiting.set(jobId, staying);
      else {
        this.#waiting.delete(jobId);
        withdrawn.push(jobId);
      }
    }
    // An active job is locked and stays (remove answers 0): its result is stored as usual.
    await Promise.allSettled(withdrawn.map((jobId) => this.#queue.remove(jobId)));
  }

  #resubmit(jobId: string): void {
    const waiter = this.#waiting.get(jobId)?.[0];
    if (waiter && !this.#closed)
      void this.#queue.add(waiter.task.node, waiter.task, jobOf(waiter.task).opts).catch(() => {});
  }

  /** Enqueues again the jobs waited on for a while that are no longer in the queue. */
  async #check(): Promise<void> {
    const now = performance.now();
    const due: string[] = [];
    for (const [jobId, waiters] of this.#waiting) {
      if (now - waiters[0]!.since >= this.#checkEvery) due.push(jobId);
      if (due.length >= CHECK_BATCH) break;
    }
    const states = await Promise.all(due.map((jobId) => this.#queue.getJobState(jobId).catch(() => 'error')));
    due.forEach((jobId, i) => {
      if (states[i] === 'unknown') this.#resubmit(jobId);
      const waiters = this.#waiting.get(jobId);
      // Checked: not due again for another round.
      if (waiters) for (const waiter of waiters) waiter.since = now;
    });
  }

  #failure(what: string, cause: unknown): BackendError {
    return backendFailure(
      'bullmq',
      `The BullMQ queue \`${this.#queue.name}\` on ${this.#server} ${what}`,
      cause,
    );
  }
}

/** A task as a job: its id the task's key; removed once finished, so a later submission runs again. */
function jobOf(task: NodeTask) {
  return {
    name: task.node,
    data: task,
    opts: { jobId: task.key, removeOnComplete: true, removeOnFail: true },
  };
}
