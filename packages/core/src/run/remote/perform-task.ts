/**
 * The worker's side of a run on an executor: one task performed against the worker's own copy
 * of the pipeline. The worker derives the task's key from its own code and environment and
 * refuses a task whose key differs, so a worker running other code never stores a result under
 * the run's key. Values come from, and go to, the cache the run reads.
 */
import { availableParallelism, hostname } from 'node:os';
import type { CacheBackend } from '../../backends/contract.ts';
import { BackendError, ConfigError, SignatureMismatchError } from '../../errors.ts';
import { storeResult } from '../../memo/index.ts';
import type { Pipeline } from '../../pipeline/index.ts';
import { decodeEntry, encodeEntry, MISS, v8Serializer } from '../../serializer/index.ts';
import { hash, hashParts } from '../../util/index.ts';
import { FairLimiter } from '../fair-limiter.ts';
import { computeItems, itemsOf } from '../map.ts';
import { NodeRun } from '../node-run.ts';
import type { NodeSignatureParts, RunContext } from '../types.ts';
import { wiringOf } from '../wiring.ts';
import type { NodeTask, TaskResult } from './task.ts';

export interface PerformOptions {
  /** The cache the run reads: upstream values come from it, the result goes to it. */
  backend: CacheBackend;
  /** Names this worker in the result, and so in the run's report. @default `host:pid` */
  worker?: string;
}

const never = new AbortController().signal;

/**
 * Performs one task: checks its key (or each item's) against this process's code, computes
 * what is not stored yet (a task can be delivered twice), stores the results, and reports their
 * output hashes. Rejects with `SignatureMismatchError` when a key differs, and with the node's
 * `NodeFailedError` when it throws (for an item, with the item's position as `item`).
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
  const { target, stored } = await prepare(pipeline, task, backend, task ? ownKeysOf(task) : []);
  if (task.items) return { ...(await performItems(target, task, stored, backend)), worker };

  const signature = target.signature();
  if (signature.key !== task.key) throw mismatch(task, signature);
  const found = storedResult(target, stored[0]);
  if (found) return { ...found, computeMs: 0, worker };

  const started = performance.now();
  const value =
    target.node.map !== undefined
      ? await computeItems(target, itemsOf(target))
      : await target.invoke(target.args());
  const computeMs = performance.now() - started;
  const bytes = encoded(target, value);
  const outputHash = hash(bytes);
  const info = { node: target.name, computeMs, ttl: target.node.fn.options.ttl, value, outputHash };
  const meta = { node: target.name, ...signature, outputHash, timestamp: Date.now(), computeMs };
  if (target.node.fn.options.retention === 'latest') await storeResult(backend, bytes, info, meta, 'latest');
  else await Promise.all([backend.setBlob(task.key, bytes, info), backend.setMeta(meta)]);
  await assertKept(backend, target, [task.key]);
  return { outputHash, bytes: bytes.length, computeMs, worker };
}

/** Items of a mapped node, each checked against its own key, computed unless stored, stored each under its key. */
async function performItems(
  target: NodeRun,
  task: NodeTask,
  stored: readonly (Uint8Array | undefined)[],
  backend: CacheBackend,
): Promise<Omit<TaskResult, 'worker'>> {
  const name = target.node.map!;
  const items = task.items!;
  const values = items.map((item) => decodeForTask(item.value, 'items'));
  items.forEach((item, i) => {
    const signature = target.signature({ name, value: values[i] });
    if (signature.key !== item.key) throw mismatch(task, signature);
  });
  const results = await Promise.all(
    items.map((item, i) => {
      const found = storedResult(target, stored[i]);
      if (found) return { ...found, computeMs: 0 };
      return target.inSlot(async () => {
        const started = performance.now();
        const value = await target.invoke(target.args({ [name]: values[i] })).catch((error: unknown) => {
          throw Object.assign(
            target.failure((error as Error).cause ?? error, ` on item ${item.index} of \`${name}\``),
            {
              item: item.index,
            },
          );
        });
        const computeMs = performance.now() - started;
        const bytes = encoded(target, value);
        const outputHash = hash(bytes);
        const info = { node: target.name, computeMs, ttl: target.node.fn.options.ttl, value, outputHash };
        await backend.setBlob(item.key, bytes, info);
        return { outputHash, bytes: bytes.length, computeMs };
      });
    }),
  );
  await assertKept(backend, target, ownKeysOf(task));
  let bytes = 0;
  let computeMs = 0;
  for (const result of results) {
    bytes += result.bytes;
    computeMs += result.computeMs;
  }
  return {
    outputHash: hashParts(['memoflow/items', ...results.map((r) => r.outputHash)]),
    bytes,
    computeMs,
    items: results,
  };
}

const ownKeysOf = (task: NodeTask): string[] =>
  task.items ? task.items.map((item) => item.key) : [task.key];

/** A result stored already (by an earlier delivery of the task), if its bytes decode. */
function storedResult(
  target: NodeRun,
  bytes: Uint8Array | undefined,
): { outputHash: string; bytes: number } | undefined {
  if (!bytes || decodeEntry(bytes, target.memo.serializer) === MISS) return undefined;
  return { outputHash: hash(bytes), bytes: bytes.length };
}

function encoded(target: NodeRun, value: unknown): Uint8Array {
  try {
    return encodeEntry(value, target.memo.serializer, target.name);
  } catch (error) {
    throw target.failure(error);
  }
}

/**
 * A cache that lost its server stores nothing without saying so: the run would wait on a value
 * that is not there. Every key written must be there now.
 */
async function assertKept(backend: CacheBackend, target: NodeRun, keys: readonly string[]): Promise<void> {
  const kept = await Promise.all(keys.map((key) => backend.has(key)));
  const lost = keys.filter((_, i) => !kept[i]);
  if (lost.length === 0) return;
  throw new BackendError(
    backend.name,
    `Node \`${target.name}\` was computed, but the ${backend.name} cache did not keep ${lost.length === 1 ? 'its result' : `${lost.length} of its results`} (key ${lost[0]}): is it reachable from this worker?`,
  );
}

/**
 * The task's node in a run of its own, its upstream values read from the cache, together with
 * whatever is stored under the task's own keys already (one `getMany`).
 */
async function prepare(
  pipeline: Pipeline,
  task: NodeTask,
  backend: CacheBackend,
  ownKeys: readonly string[],
): Promise<{ target: NodeRun; stored: (Uint8Array | undefined)[] }> {
  if (task?.v !== 1) {
    throw new ConfigError(
      `A task of format ${JSON.stringify(task?.v)} reached a worker that reads format 1: run the same memoflow version on the coordinator and its workers.`,
    );
  }
  const plan = pipeline.plan([task.node]);
  const wiring = wiringOf(plan);
  const inputs = (await inputsOf(task, backend)) as Record<string, unknown>;
  const context: RunContext = {
    inputs,
    backend,
    envHash: task.settings.envHash,
    env: task.settings.env,
    dependencyDepth: task.settings.dependencyDepth,
    perItemCaching: task.settings.perItemCaching,
    limit: new FairLimiter(availableParallelism()),
    executor: undefined,
    cancel: never,
  };
  // Only the node and the nodes it takes values from: their ancestors' values are in the cache.
  const runs: NodeRun[] = new Array(plan.length);
  const position = plan.findIndex((node) => node.name === task.node);
  for (const i of [position, ...wiring[position]!.producers])
    if (i !== -1) runs[i] = new NodeRun(plan[i]!, context, wiring[i]!, runs);
  const target = runs[position]!;
  const upstream = Object.entries(task.upstream);
  const producers = upstream.map(([input]) => {
    const producer = target.producerOf(input);
    if (!producer) {
      throw new SignatureMismatchError(
        task.node,
        ['code'],
        `refused by worker ${hostname()}:${process.pid}: in the run, \`${task.node}\` takes \`${input}\` from an upstream node; in this worker's pipeline it does not. Deploy the run's pipeline module to every worker.`,
      );
    }
    return producer;
  });
  const found = await backend.getMany([...upstream.map(([, ref]) => ref.key), ...ownKeys]);
  upstream.forEach(([input, ref], i) => {
    const bytes = found[i];
    const value = bytes ? decodeEntry(bytes, producers[i]!.memo.serializer) : MISS;
    if (value === MISS) {
      throw new BackendError(
        backend.name,
        `The value of \`${input}\` (upstream of \`${task.node}\`, key ${ref.key}) is not in this worker's ${backend.name} cache: workers must use the cache the run reads.`,
      );
    }
    producers[i]!.setOutput(value, ref.outputHash);
  });
  return { target, stored: found.slice(upstream.length) };
}

/** The task's inputs record: in the task, or in the cache under `inputsKey`. */
async function inputsOf(task: NodeTask, backend: CacheBackend): Promise<unknown> {
  if (task.inputsKey === undefined) return decodeForTask(task.inputs, 'inputs');
  const bytes = await backend.getBlob(task.inputsKey);
  const value = bytes ? decodeEntry(bytes, v8Serializer) : MISS;
  if (value === MISS) {
    throw new BackendError(
      backend.name,
      `The inputs of \`${task.node}\` (key ${task.inputsKey}) are not in this worker's ${backend.name} cache: workers must use the cache the run reads.`,
    );
  }
  return value;
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
