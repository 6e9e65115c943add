/**
 * The worker's side of a run on an executor: one task performed against the worker's own copy
 * of the pipeline. The worker derives the task's key from its own code and environment and
 * refuses a task whose key differs, so a worker running other code never stores a result under
 * the run's key. Values come from, and go to, the cache the run reads.
 */
import { availableParallelism, hostname } from 'node:os';
import pLimit from 'p-limit';
import { hash } from './_hash.ts';
import { computeItems, itemsOf } from './_run-map.ts';
import { NodeRun, type NodeSignatureParts, type RunContext } from './_run-node.ts';
import { wiringOf } from './_run-wiring.ts';
import { storeResult } from './_store.ts';
import type { CacheBackend } from './backend.ts';
import { BackendError, ConfigError, SignatureMismatchError } from './errors.ts';
import type { NodeTask, TaskResult } from './executor.ts';
import type { Pipeline } from './pipeline.ts';
import { decodeEntry, encodeEntry, MISS, v8Serializer } from './serializer.ts';

export interface PerformOptions {
  /** The cache the run reads: upstream values come from it, the result goes to it. */
  backend: CacheBackend;
  /** Names this worker in the result, and so in the run's report. @default `host:pid` */
  worker?: string;
}

const never = new AbortController().signal;

/**
 * Performs one task: checks its key against this process's code, computes the node (or one item
 * of it) unless the result is stored already (a task can be delivered twice), stores the result,
 * and reports its output hash. Rejects with `SignatureMismatchError` when the keys differ, and
 * with the node's `NodeFailedError` when it throws.
 *
 * @example
 * worker.process((job) => performTask(pipeline, job.data, { backend: redisCache }));
 */
export async function performTask(
  pipeline: Pipeline,
  task: NodeTask,
  options: PerformOptions,
): Promise<TaskResult> {
  const { backend } = options;
  const worker = options.worker ?? `${hostname()}:${process.pid}`;
  const target = await prepare(pipeline, task, backend);
  const item = task.item && { name: target.node.map!, value: decodeForTask(task.item.value, 'item') };
  const signature = target.signature(item);
  if (signature.key !== task.key) throw mismatch(task, signature);

  const stored = await backend.getBlob(task.key).catch(() => undefined);
  if (stored && decodeEntry(stored, target.memo.serializer) !== MISS)
    return { outputHash: hash(stored), bytes: stored.length, computeMs: 0, worker };

  const started = performance.now();
  let value: unknown;
  if (item) value = await target.invoke(target.args({ [item.name]: item.value }));
  else if (target.node.map !== undefined) value = await computeItems(target, itemsOf(target));
  else value = await target.invoke(target.args());
  const computeMs = performance.now() - started;

  let bytes: Uint8Array;
  try {
    bytes = encodeEntry(value, target.memo.serializer, target.name);
  } catch (error) {
    throw target.failure(error);
  }
  const outputHash = hash(bytes);
  const info = { node: target.name, computeMs, ttl: target.node.fn.options.ttl, value, outputHash };
  if (item) await backend.setBlob(task.key, bytes, info);
  else {
    const meta = { node: target.name, ...signature, outputHash, timestamp: Date.now(), computeMs };
    await storeResult(backend, bytes, info, meta, target.node.fn.options.retention);
  }
  // A cache that lost its server stores nothing without saying so: the run would wait on a
  // value that is not there.
  if (!(await backend.has(task.key))) {
    throw new BackendError(
      backend.name,
      `Node \`${target.name}\` was computed, but the ${backend.name} cache did not keep its result (key ${task.key}): is it reachable from this worker?`,
    );
  }
  return { outputHash, bytes: bytes.length, computeMs, worker };
}

/** The task's node in a run of its own, its upstream values read from the cache. */
async function prepare(pipeline: Pipeline, task: NodeTask, backend: CacheBackend): Promise<NodeRun> {
  if (task?.v !== 1) {
    throw new ConfigError(
      `A task of format ${JSON.stringify(task?.v)} reached a worker that reads format 1: run the same memoflow version on the coordinator and its workers.`,
    );
  }
  const plan = pipeline.plan([task.node]);
  const wiring = wiringOf(plan);
  const inputs = decodeForTask(task.inputs, 'inputs') as Record<string, unknown>;
  const context: RunContext = {
    inputs,
    backend,
    envHash: task.settings.envHash,
    env: task.settings.env,
    dependencyDepth: task.settings.dependencyDepth,
    perItemCaching: task.settings.perItemCaching,
    limit: pLimit(availableParallelism()),
    executor: undefined,
    cancel: never,
  };
  const runs: NodeRun[] = new Array(plan.length);
  for (let i = 0; i < plan.length; i++) runs[i] = new NodeRun(plan[i]!, context, wiring[i]!, runs);
  const target = runs.find((run) => run.name === task.node)!;
  for (const [input, ref] of Object.entries(task.upstream)) {
    const producer = target.producerOf(input);
    if (!producer) {
      throw new SignatureMismatchError(
        task.node,
        ['code'],
        `refused by worker ${hostname()}:${process.pid}: in the run, \`${task.node}\` takes \`${input}\` from an upstream node; in this worker's pipeline it does not. Deploy the run's pipeline module to every worker.`,
      );
    }
    const bytes = await backend.getBlob(ref.key);
    const value = bytes ? decodeEntry(bytes, producer.memo.serializer) : MISS;
    if (value === MISS) {
      throw new BackendError(
        backend.name,
        `The value of \`${input}\` (upstream of \`${task.node}\`, key ${ref.key}) is not in this worker's ${backend.name} cache: workers must use the cache the run reads.`,
      );
    }
    producer.setOutput(value, ref.outputHash);
  }
  return target;
}

function decodeForTask(base64: string, what: string): unknown {
  const value = decodeEntry(Buffer.from(base64, 'base64'), v8Serializer);
  if (value === MISS) {
    throw new ConfigError(
      `A task's ${what} do not decode in this worker (another Node major, or another memoflow version): run the coordinator and its workers on the same versions.`,
    );
  }
  return value;
}

/** Which of the key's parts differ between the run and this worker, and what to do about it. */
function mismatch(task: NodeTask, own: NodeSignatureParts): SignatureMismatchError {
  const differs: string[] = [];
  if (own.codeHash !== task.codeHash) differs.push('code');
  if (own.envHash !== task.envHash) differs.push('env');
  if (differs.length === 0) differs.push('inputs');
  const what = differs
    .map((part) =>
      part === 'code'
        ? `its code (the run's ${task.codeHash.slice(0, 12)}…, this worker's ${own.codeHash.slice(0, 12)}…)`
        : part === 'env'
          ? `its environment (Node major, platform, package versions or env vars: ${Object.keys(own.envParts).join(', ')})`
          : 'the key of its inputs (another memoflow version?)',
    )
    .join(' and ');
  return new SignatureMismatchError(
    task.node,
    differs,
    `refused by worker ${hostname()}:${process.pid}: ${what} ${differs.length > 1 ? 'differ' : 'differs'} from the run's, so its result would not be the one key ${task.key.slice(0, 12)}… promises. Deploy the run's pipeline module (and package versions) to every worker.`,
  );
}
