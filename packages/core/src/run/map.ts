import { quote } from '../errors.ts';
import { warnOnce } from '../memo/index.ts';
import type { MissReason } from '../report/index.ts';
import { decodeEntry, encodeEntry, MISS } from '../serializer/index.ts';
import { composeKey } from '../signature/index.ts';
import { hash, hashParts } from '../util/index.ts';
import { explainMiss } from './miss-reasons.ts';
import type { NodeRun } from './node-run.ts';
import { itemCounter } from './progress.ts';
import { computeItemsRemotely, runsRemotely } from './remote/dispatch.ts';
import { shareComputation } from './shared.ts';
import type { MapItem } from './types.ts';

/** The items of the input a mapped node maps over; anything but an array fails the node. */
export function itemsOf(run: NodeRun): unknown[] {
  const name = run.node.map!;
  const producer = run.producerOf(name);
  const items = producer ? producer.outputValue() : run.context.inputs[name];
  if (!Array.isArray(items)) {
    throw run.failure(
      new TypeError(
        `it maps over \`${name}\`, which is ${quote(items)}, not an array. Give it an array, or drop the \`map\` option.`,
      ),
    );
  }
  return items;
}

/** Calls a mapped node's function on every item, bounded by the run's limit, keeping the items' order. */
export function computeItems(run: NodeRun, items: unknown[]): Promise<unknown[]> {
  const name = run.node.map!;
  const itemDone = itemCounter(run.context.progress, run.name, items.length, 0);
  return Promise.all(
    items.map((item, i) =>
      run.inSlot(async () => {
        const value = await invokeItem(run, name, item, i);
        itemDone();
        return value;
      }),
    ),
  );
}

function invokeItem(run: NodeRun, name: string, item: unknown, index: number): Promise<unknown> {
  return run.invoke(run.args({ [name]: item })).catch((error) => {
    throw run.failure(error.cause ?? error, ` on item ${index} of \`${name}\``);
  });
}

/**
 * Runs a node mapped over an array, caching each item on its own: an item is keyed by its
 * content (never its position), so adding one item computes one, and reordering computes none.
 * Lookups are batched: in-process backends answer synchronously, the rest in one `getMany`.
 */
export async function runPerItem(run: NodeRun): Promise<void> {
  const backend = run.backend!;
  const name = run.node.map!;
  const items = itemsOf(run);
  const keys = items.map((value) => run.itemKey({ name, value } satisfies MapItem));
  const { values, hashes, missing, savedMs, bytesRead } = await lookupItems(
    run,
    keys.map(({ key }) => key),
  );

  // The node-level signature explains a miss and is recorded as meta: all hits need neither.
  const nodeParts =
    missing.length > 0
      ? nodeSignature(
          run,
          keys.map((k) => k.inputs.digest()),
        )
      : undefined;
  let explained: { reason: MissReason; changed: string[] } | undefined;
  if (nodeParts) {
    const previous = await backend.getMeta(run.name).catch(() => undefined);
    explained = run.reads ? explainMiss(previous, nodeParts) : { reason: 'recompute', changed: [] };
  }
  const started = performance.now();
  let joined = { count: 0, savedMs: 0 };
  const itemDone = itemCounter(run.context.progress, run.name, items.length, items.length - missing.length);
  if (missing.length > 0 && runsRemotely(run)) {
    const computed = await computeItemsRemotely(run, missing, items, keys, itemDone);
    missing.forEach((i, j) => {
      values[i] = computed.values[j];
      hashes[i] = computed.hashes[j]!;
    });
  } else joined = await computeItemsHere(run, missing, items, keys, values, hashes, itemDone);
  // Items another run computed meanwhile count as hits here.
  const misses = missing.length - joined.count;
  const outputHash = hashParts(['memoflow/map', ...hashes]);
  run.setOutput(values, outputHash);
  Object.assign(run.report, {
    status: misses > 0 ? 'miss' : 'hit',
    key: nodeParts?.key,
    items: { total: items.length, hits: items.length - misses, misses },
    bytesRead,
    savedMs: savedMs + joined.savedMs,
  });
  if (nodeParts && explained && misses > 0) {
    run.report.reason = explained.reason;
    if (explained.changed.length > 0) run.report.changed = explained.changed;
    run.report.computeMs = performance.now() - started;
    if (run.writes) {
      const meta = {
        node: run.name,
        ...nodeParts,
        outputHash,
        timestamp: Date.now(),
        computeMs: run.report.computeMs,
      };
      await backend.setMeta(meta).catch((error) => warnOnce(backend, error));
    }
  }
}

/**
 * Looks the items' keys up: in-process backends answer synchronously (`peek`), the rest in one
 * `getMany`. An entry that does not decode is a miss. Shared by a run and its dry run.
 */
export async function lookupItems(run: NodeRun, keys: readonly string[]) {
  const backend = run.backend!;
  const values: unknown[] = new Array(keys.length);
  const hashes: string[] = new Array(keys.length);
  const missing: number[] = [];
  let savedMs = 0;
  let bytesRead = 0;
  const pending: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const live = run.reads ? backend.peek?.(keys[i]!) : undefined;
    if (live && live.outputHash !== undefined) {
      values[i] = live.value;
      hashes[i] = live.outputHash;
      savedMs += live.computeMs ?? 0;
      bytesRead += live.bytes?.length ?? 0;
    } else pending.push(i);
  }
  if (pending.length > 0 && run.reads) {
    const found = await backend
      .getMany(pending.map((i) => keys[i]!))
      .catch(() => pending.map(() => undefined));
    const hits: string[] = [];
    pending.forEach((i, j) => {
      const bytes = found[j];
      const value = bytes ? decodeEntry(bytes, run.memo.serializer) : MISS;
      if (bytes && value !== MISS) {
        values[i] = value;
        hashes[i] = hash(bytes);
        bytesRead += bytes.length;
        hits.push(keys[i]!);
      } else missing.push(i);
    });
    savedMs += await storedComputeMs(run, hits);
  } else missing.push(...pending);
  return { values, hashes, missing, savedMs, bytesRead };
}

/**
 * The compute time stored with the entries under `keys`, summed: what the hits saved. Only a
 * backend with `computeTimes` says; a failure there costs the figure, never the run.
 */
async function storedComputeMs(run: NodeRun, keys: readonly string[]): Promise<number> {
  const backend = run.backend!;
  if (keys.length === 0 || !backend.computeTimes) return 0;
  const times = await backend.computeTimes(keys).catch(() => []);
  let total = 0;
  for (const ms of times) total += ms ?? 0;
  return total;
}

/**
 * Computes the missing items in this process, storing each as it completes. An item another run
 * is computing under the same key in the same cache is waited for instead (when the node reads
 * the cache); returns how many were, and the compute time they saved.
 */
async function computeItemsHere(
  run: NodeRun,
  missing: readonly number[],
  items: readonly unknown[],
  keys: readonly { key: string }[],
  values: unknown[],
  hashes: string[],
  itemDone: () => void,
): Promise<{ count: number; savedMs: number }> {
  const name = run.node.map!;
  const joined = { count: 0, savedMs: 0 };
  const computeItem = (i: number) =>
    run.inSlot(async () => {
      const itemStarted = performance.now();
      const value = await invokeItem(run, name, items[i], i);
      const computeMs = performance.now() - itemStarted;
      const outputHash = run.writes
        ? await storeItem(run, keys[i]!.key, value, computeMs)
        : hash(encodeEntry(value, run.memo.serializer, run.name));
      return { value, outputHash, computeMs };
    });
  await Promise.all(
    missing.map(async (i) => {
      // Outside the limit: waiting for another run's item takes no slot.
      const { result, joined: wasJoined } = run.reads
        ? await shareComputation(run.backend!, keys[i]!.key, () => computeItem(i))
        : { result: await computeItem(i), joined: false };
      values[i] = result.value;
      hashes[i] = result.outputHash!;
      itemDone();
      if (!wasJoined) return;
      joined.count++;
      joined.savedMs += result.computeMs ?? 0;
    }),
  );
  return joined;
}

/** Stores one item's result under its own key; the node's meta is written once, for the whole node. */
async function storeItem(run: NodeRun, key: string, value: unknown, computeMs: number): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = encodeEntry(value, run.memo.serializer, run.name);
  } catch (error) {
    throw run.failure(error);
  }
  const outputHash = hash(bytes);
  const info = { node: run.name, computeMs, ttl: run.node.fn.options.ttl, value, outputHash };
  await run.backend!.setBlob(key, bytes, info).catch((error) => warnOnce(run.backend!, error));
  run.report.bytesWritten += bytes.length;
  return outputHash;
}

/** The node-level signature of a mapped node: its items' input hashes, in order, stand for the mapped input. */
export function nodeSignature(run: NodeRun, itemInputsHashes: string[]) {
  const whole = run.signature();
  const itemsHash = hashParts(['memoflow/items', ...itemInputsHashes]);
  const inputsHash = hashParts([whole.inputsHash, itemsHash]);
  return {
    ...whole,
    key: composeKey(whole.codeHash, whole.envHash, inputsHash, whole.depsHash),
    inputsHash,
    inputParts: { ...whole.inputParts, [run.node.map!]: itemsHash },
  };
}
