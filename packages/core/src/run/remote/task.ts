/**
 * The executor seam: where a Runner's misses are computed. The Runner schedules, looks every
 * node up and does the fan-in; an executor only computes the misses it is handed, elsewhere
 * (BullMQ workers, say), and writes each result to the cache the run reads. Values travel
 * through that cache: a task names its upstream values by cache key, and a result is only the
 * output hash of what was stored.
 */
import { MemoflowError, SignatureMismatchError } from '../../errors.ts';

/** Where an upstream value of a task is: its cache key, and the output hash its signature uses. */
export interface UpstreamRef {
  key: string;
  outputHash: string;
}

/**
 * One miss to compute: a node, or one item of a node mapped over an array. Plain JSON, so that
 * any queue can carry it; values are `encodeEntry` bytes in base64.
 */
export interface NodeTask {
  /** The task format. */
  v: 1;
  /** The pipeline node (its output name). */
  node: string;
  /** The key the run derived: the worker derives its own and refuses the task when they differ. */
  key: string;
  /** The run's code and env hashes, to say which differs when the keys do. */
  codeHash: string;
  envHash: string;
  /**
   * The node's inputs that the run's inputs provide, as one encoded record (base64); empty when
   * the record is large and travels through the cache instead (`inputsKey`).
   */
  inputs: string;
  /** Where the inputs record is in the cache (its content hash), when it is over 64 KiB. */
  inputsKey?: string;
  /** Each input an upstream node produces → where its value is stored. */
  upstream: Record<string, UpstreamRef>;
  /**
   * For items of a node mapped over an array (cached item by item): each item's position, key
   * and value (encoded, base64). The task's own `key` then stands for the batch: a hash of the
   * items' keys.
   */
  items?: { index: number; key: string; value: string }[];
  /** The Runner's settings that a key depends on. */
  settings: { env: string[]; envHash?: string; dependencyDepth?: number; perItemCaching: boolean };
}

/** What a worker reports for a task: the result itself is in the cache, under the task's key. */
export interface TaskResult {
  /** Content hash of the stored bytes. */
  outputHash: string;
  /** Size of the stored bytes. */
  bytes: number;
  /** Milliseconds the computation took (0 when the worker found the result already stored). */
  computeMs: number;
  /** Which worker computed it (host and pid, or the executor's own name for it). */
  worker?: string;
  /** For a task of items: each item's result, in the task's order (the totals above are their sums). */
  items?: { outputHash: string; bytes: number; computeMs: number }[];
}

/**
 * Computes a run's misses somewhere else. A Runner with an executor hands it every miss of a
 * node that uses the run's cache; the executor resolves each task once its result is stored in
 * that cache, or rejects with the node's error (see `errorFromJSON`). When `signal` aborts, tasks
 * not started yet are withdrawn and reject with the signal's reason; started ones finish.
 */
export interface Executor {
  /** For reports and messages, e.g. `bullmq`. */
  readonly name: string;
  /**
   * Items of a mapped node per task. A task per item costs a queue its round trips per item;
   * by default a node's missing items are split into at most 64 tasks of at most 100 items.
   */
  readonly itemsPerTask?: number;
  /** One promise per task, in order. */
  execute(tasks: readonly NodeTask[], options: { signal: AbortSignal }): Promise<TaskResult>[];
}

/** An error as it crosses processes: what a worker reports for a task that failed. */
export interface ErrorJSON {
  name: string;
  message: string;
  stack?: string;
  /** A MemoflowError's code. */
  code?: string;
  /** The position of the item that failed, for a task of items. */
  item?: number;
  /** SignatureMismatchError: the node, and what differs. */
  node?: string;
  differs?: string[];
}

/**
 * The error a node's function threw (unwrapped from memoflow's NodeFailedError), as JSON, with
 * the failing item's position when the error carries one (`item`).
 */
export function errorToJSON(error: unknown): ErrorJSON {
  const cause = error instanceof MemoflowError && error.code === 'NODE_FAILED' ? error.cause : error;
  const json: ErrorJSON =
    cause instanceof Error
      ? { name: cause.name, message: cause.message, stack: cause.stack }
      : { name: 'Error', message: String(cause) };
  if (cause instanceof MemoflowError) json.code = cause.code;
  const item = (error as { item?: unknown } | null)?.item;
  if (typeof item === 'number') json.item = item;
  if (cause instanceof SignatureMismatchError)
    Object.assign(json, { node: cause.node, differs: [...cause.differs] });
  return json;
}

/** The error `errorToJSON` described, rebuilt with its name, message, the worker's stack and `item`. */
export function errorFromJSON(json: ErrorJSON): Error {
  const error =
    json.code === 'SIGNATURE_MISMATCH'
      ? new SignatureMismatchError(json.node ?? '', json.differs ?? [], json.message)
      : new Error(json.message);
  error.name = json.name;
  if (json.stack) error.stack = json.stack;
  if (json.item !== undefined) Object.assign(error, { item: json.item });
  return error;
}
