/**
 * The coordinator's side of a run on an executor: turning a miss into a task (its upstream values
 * by cache key), handing it over, and reading the result back from the cache the worker wrote.
 */

import { decodeEntry, encodeEntry, MISS, v8Serializer } from '../../serializer/index.ts';
import { hash, hashParts } from '../../util/index.ts';
import type { NodeRun } from '../node-run.ts';
import type { NodeSignatureParts } from '../types.ts';
import type { NodeTask, TaskResult, UpstreamRef } from './task.ts';

/** Values read back from the cache per `getMany`. */
const READ_BATCH = 1_000;

/**
 * Whether a node's misses go to the run's executor: it must read and write the run's own cache,
 * which is where workers put results. A node with a cache of its own (or none), or one that may
 * not write, is computed here.
 */
export function runsRemotely(run: NodeRun): boolean {
  const { executor, backend } = run.context;
  return executor !== undefined && backend !== undefined && run.backend === backend && run.writes;
}

/** Computes a miss of a whole node on the executor, then reads its value from the cache. */
export async function computeRemotely(run: NodeRun, signature: NodeSignatureParts): Promise<void> {
  await run.noteMiss(signature);
  const task = { ...(await taskBase(run, signature, false)), key: signature.key };
  const [pending] = run.context.executor!.execute([task], { signal: run.context.cancel });
  const result = await onWorkers(
    run,
    pending!.catch((error: unknown) => {
      throw run.failure(error);
    }),
  );
  if (needsValue(run)) {
    const [value] = await readResults(run, [signature.key]);
    run.setOutput(value, result.outputHash);
  } else run.setOutputInCache(result.outputHash);
  Object.assign(run.report, {
    status: 'miss',
    computeMs: result.computeMs,
    bytesWritten: result.bytes,
  });
  if (result.worker) run.report.worker = result.worker;
}

/**
 * Computes the missing items of a node mapped over an array (cached item by item) on the
 * executor, in tasks of several items (`itemsPerTask`), all handed over at once, then reads
 * their values back.
 */
export async function computeItemsRemotely(
  run: NodeRun,
  missing: readonly number[],
  items: readonly unknown[],
  keys: readonly { key: string }[],
  itemDone: (count?: number) => void,
): Promise<{ values: unknown[]; hashes: string[] }> {
  const name = run.node.map!;
  const executor = run.context.executor!;
  const base = await taskBase(run, run.codeAndEnv(), true);
  const size = executor.itemsPerTask ?? Math.min(100, Math.ceil(missing.length / 64));
  const batches: number[][] = [];
  for (let start = 0; start < missing.length; start += size) batches.push(missing.slice(start, start + size));
  const tasks: NodeTask[] = batches.map((batch) => {
    const batchItems = batch.map((i) => ({
      index: i,
      key: keys[i]!.key,
      value: encodeForTask(run, items[i], `item ${i} of \`${name}\``),
    }));
    return {
      ...base,
      key: hashParts(['memoflow/items', ...batchItems.map((item) => item.key)]),
      items: batchItems,
    };
  });
  const pending = executor.execute(tasks, { signal: run.context.cancel });
  const results: TaskResult[] = await onWorkers(
    run,
    Promise.all(
      pending.map((result, j) =>
        result.then(
          (done) => {
            itemDone(batches[j]!.length);
            return done;
          },
          (error: unknown) => {
            const item = (error as { item?: unknown })?.item;
            throw run.failure(
              error,
              ` on item ${typeof item === 'number' ? item : batches[j]![0]} of \`${name}\``,
            );
          },
        ),
      ),
    ),
  );
  for (const result of results) run.report.bytesWritten += result.bytes;
  // The workers hashed what they stored: the output hashes come with their results.
  const hashes = results.flatMap((result) => result.items!.map((item) => item.outputHash));
  const values = await readResults(
    run,
    missing.map((i) => keys[i]!.key),
  );
  return { values, hashes };
}

/** Waits for `work` on the workers, the progress line showing the node as running meanwhile. */
async function onWorkers<T>(run: NodeRun, work: Promise<T>): Promise<T> {
  run.context.progress?.started(run.name);
  try {
    return await work;
  } finally {
    run.context.progress?.released(run.name);
  }
}

/**
 * Whether this process needs a remotely computed value: the run returns it, or a child reads it
 * here (a child computed here, one mapped over it item by item, one whose `key` function takes
 * it). Otherwise it stays in the cache, and children on workers read it from there.
 */
function needsValue(run: NodeRun): boolean {
  if (run.wanted) return true;
  return run
    .children()
    .some(
      (child) =>
        !runsRemotely(child) ||
        child.node.fn.options.key !== undefined ||
        (child.perItem && child.node.map === run.name),
    );
}

/** What every task of a node shares: its inputs, its upstream values by reference, the settings. */
async function taskBase(
  run: NodeRun,
  signature: { codeHash: string; envHash: string },
  perItem: boolean,
): Promise<Omit<NodeTask, 'key'>> {
  const { context, node } = run;
  // Entries, then fromEntries: own properties, so an input named `__proto__` travels like any other.
  const external: [string, unknown][] = [];
  const upstream: [string, UpstreamRef][] = [];
  for (const input of node.inputs) {
    if (perItem && input === node.map) continue;
    const producer = run.producerOf(input);
    if (producer) upstream.push([input, await refOf(producer)]);
    else external.push([input, context.inputs[input]]);
  }
  return {
    v: 1,
    node: run.name,
    codeHash: signature.codeHash,
    envHash: signature.envHash,
    ...(await inputsOf(run, Object.fromEntries(external))),
    upstream: Object.fromEntries(upstream),
    settings: {
      env: [...context.env],
      ...(context.envHash === undefined ? {} : { envHash: context.envHash }),
      dependencyDepth: context.dependencyDepth,
      perItemCaching: context.perItemCaching,
    },
  };
}

/** Inputs records up to this size travel in the task; larger ones through the cache. */
const INLINE_INPUTS = 64 * 1024;

/** A node's inputs for its tasks: in the task when small, else stored once under their content hash. */
async function inputsOf(
  run: NodeRun,
  external: Record<string, unknown>,
): Promise<Pick<NodeTask, 'inputs' | 'inputsKey'>> {
  const inputs = encodeForTask(run, external, 'its inputs');
  if (inputs.length <= INLINE_INPUTS) return { inputs };
  const bytes = Buffer.from(inputs, 'base64');
  const inputsKey = hash(bytes);
  await run.context.backend!.setBlob(inputsKey, bytes, { node: run.name });
  return { inputs: '', inputsKey };
}

const refs = new WeakMap<NodeRun, Promise<UpstreamRef>>();

/**
 * Where a finished node's value is for a worker: under its own key when the run's cache holds it
 * whole, else (a node cached item by item, or not in the run's cache) stored there under its
 * content hash first, once.
 */
function refOf(run: NodeRun): Promise<UpstreamRef> {
  let ref = refs.get(run);
  if (!ref) {
    ref = upload(run);
    refs.set(run, ref);
  }
  return ref;
}

async function upload(run: NodeRun): Promise<UpstreamRef> {
  const backend = run.context.backend!;
  const outputHash = run.outputHashOf();
  const { key, status } = run.report;
  const storedWhole =
    !run.perItem && run.backend === backend && key !== undefined && (status === 'hit' || run.writes);
  if (storedWhole) return { key, outputHash };
  const bytes = encodeEntry(run.outputValue(), run.memo.serializer, run.name);
  const contentKey = hash(bytes);
  await backend.setBlob(contentKey, bytes, { node: run.name });
  return { key: contentKey, outputHash };
}

/** Base64 of `value`'s stored form; a value that cannot travel fails the node, saying which. */
function encodeForTask(run: NodeRun, value: unknown, what: string): string {
  try {
    return Buffer.from(encodeEntry(value, v8Serializer, run.name)).toString('base64');
  } catch (error) {
    throw run.failure(
      new TypeError(
        `${what} cannot be sent to a worker: ${(error as Error).message} Pass values that structured clone keeps (plain data, typed arrays, Maps, Dates).`,
      ),
    );
  }
}

/** The values workers stored under `keys`, read in batches. */
async function readResults(run: NodeRun, keys: readonly string[]): Promise<unknown[]> {
  const backend = run.context.backend!;
  const read: unknown[] = [];
  for (let start = 0; start < keys.length; start += READ_BATCH) {
    const batch = keys.slice(start, start + READ_BATCH);
    const found = await backend.getMany(batch);
    found.forEach((bytes, i) => {
      const value = bytes ? decodeEntry(bytes, run.memo.serializer) : MISS;
      if (value === MISS) {
        throw run.failure(
          new Error(
            `a worker computed it, but its value (key ${batch[i]}) is not in the run's cache ${backend.name}: workers must write to the cache the run reads.`,
          ),
        );
      }
      read.push(value);
    });
  }
  return read;
}
