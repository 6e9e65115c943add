import type { Pipeline } from '../pipeline/index.ts';
import type { MissReason } from '../report/index.ts';
import { hashParts } from '../util/index.ts';
import { itemsOf, lookupItems, nodeSignature } from './map.ts';
import type { NodeRun } from './node-run.ts';
import { planRuns } from './schedule.ts';
import type { NodeSignatureParts, RunContext } from './types.ts';

/**
 * What a run would do with a node, found without running anything:
 * - `hit`: its key is stored; the run would read it.
 * - `miss`: the run would compute it (`reason` says why).
 * - `unknown`: an upstream node it reads will run first (`pendingUpstream`), so its key depends
 *   on bytes nobody has yet. It may still hit: an upstream that recomputes to the same bytes
 *   leaves its key unchanged (early cutoff).
 * - `disabled`: it runs without a cache (the runner's cache is off, or the node's `cache: false`).
 */
export type ExplainStatus = 'hit' | 'miss' | 'unknown' | 'disabled';

/** One node's line in an explain report. */
export interface NodeExplanation {
  node: string;
  status: ExplainStatus;
  /** Why it would miss (status `miss`): the vocabulary of the run report. */
  reason?: MissReason;
  /**
   * What changed since the node's last recorded signature, where known, as in the run report:
   * ``helper `scale` (helpers.ts)``, ``input `threshold` ``, ``package `lodash` 4.17.20 → 4.17.21``.
   */
  changed?: string[];
  /**
   * The key a run would look up: equal to the run report's `key`. Absent while upstream output
   * is pending, and for a node mapped item by item that would hit on every item (it has no
   * single key then, as in the run report).
   */
  key?: string;
  /**
   * The upstream nodes it reads that will run before it (they miss, or run uncached): its key is
   * known only once they have. Set for status `unknown`, and for a `miss` that needs no key to
   * be certain (`new`: nothing was ever recorded for the node; `recompute`).
   */
  pendingUpstream?: string[];
  /** For a node mapped over an array and cached item by item: how many items would hit and miss. */
  items?: { total: number; hits: number; misses: number };
  /** Size of the stored result a hit would read. */
  bytes?: number;
  /** Milliseconds the hit would save: the stored compute time, where recorded. */
  savedMs?: number;
  /** What the node's code depends on that no hash can see, each `file:line: what and the fix`. */
  unseen?: string[];
  /** Imports a `dependencyDepth` cut left out of the node's code hash. */
  cut?: string[];
}

/** What `runner.explain()` found: per node, in topological order, what a run would do and why. */
export interface ExplainReport {
  /** The nodes the requested outputs need, in topological order. */
  nodes: NodeExplanation[];
  /** `[upstream, downstream]` pairs among those nodes. */
  edges: [string, string][];
  /** The backend's name (`memory`, `disk`, …), or `none` when the runner's cache is disabled. */
  backend: string;
}

/** Options of `runner.explain()`. */
export interface ExplainOptions {
  /** The outputs a run would produce; only the nodes they need are explained. @default every node */
  outputs?: readonly string[];
}

/**
 * Explains a run without running it: every node's key is derived as the run derives it (the
 * same NodeRun code), looked up with reads only, and a miss compared with the node's last
 * recorded signature. An upstream hit's output hash comes from its stored entry, as in a run.
 */
export async function explainRun(
  pipeline: Pipeline,
  context: RunContext,
  outputs: readonly string[] | undefined,
): Promise<ExplainReport> {
  const { plan, runs } = planRuns(pipeline, context, outputs);
  const known = new Set<NodeRun>();
  const explained = new Map<NodeRun, Promise<NodeExplanation>>();
  // Plan order is topological: each node starts once its producers are explained, independent ones at once.
  for (const run of runs) {
    const producers = run.node.inputs.flatMap((name) => run.producerOf(name) ?? []);
    const after = Promise.all(producers.map((producer) => explained.get(producer)));
    explained.set(
      run,
      after.then(() => explainNode(run, known)),
    );
  }
  const nodes = await Promise.all(runs.map((run) => explained.get(run)!));
  return { nodes, edges: pipeline.edges(plan), backend: context.backend?.name ?? 'none' };
}

/** Explains one node whose producers are explained; adds it to `known` when its output is known without running. */
async function explainNode(run: NodeRun, known: Set<NodeRun>): Promise<NodeExplanation> {
  const explanation = await explainStatus(run, known);
  const { warnings, cut } = run.prepared.analysis;
  return withDefined({
    ...explanation,
    unseen: warnings.length > 0 ? warnings : undefined,
    cut: cut.length > 0 ? cut : undefined,
  });
}

async function explainStatus(run: NodeRun, known: Set<NodeRun>): Promise<NodeExplanation> {
  const node = run.name;
  if (!run.backend) return { node, status: 'disabled' };
  const pendingUpstream = pendingUpstreamOf(run, known);
  if (pendingUpstream.length > 0) return explainPending(run, pendingUpstream);
  if (run.perItem) return explainItems(run, known);
  const key = run.key();
  if ((run.node.map === undefined && run.peek(key)) || (await run.lookup(key))) {
    known.add(run);
    const { bytesRead, savedMs } = run.report;
    return withDefined({ node, status: 'hit', key, bytes: bytesRead, savedMs });
  }
  return explainMiss(run, run.signature());
}

async function explainMiss(
  run: NodeRun,
  signature: NodeSignatureParts,
  items?: NodeExplanation['items'],
): Promise<NodeExplanation> {
  const { reason, changed } = await run.missReason(signature);
  return withDefined({
    node: run.name,
    status: 'miss',
    reason,
    changed: changed.length > 0 ? changed : undefined,
    key: signature.key,
    items,
  });
}

/**
 * The upstream nodes whose output this node's key needs but which will only have one after
 * running. Output hashes count for hashed inputs; values count for the mapped input and for
 * a `key` function (it is called with every argument).
 */
function pendingUpstreamOf(run: NodeRun, known: ReadonlySet<NodeRun>): string[] {
  const { map, fn } = run.node;
  const ignored = new Set(fn.options.ignore ?? []);
  const pending: string[] = [];
  for (const name of new Set(run.node.inputs)) {
    if (ignored.has(name) && name !== map && !fn.options.key) continue;
    const producer = run.producerOf(name);
    if (producer && !known.has(producer)) pending.push(producer.name);
  }
  return pending;
}

/**
 * A node whose key waits on upstream output. Whatever that output is, a node the backend never
 * recorded a signature for misses as `new`, and a `recompute` node misses; any other may still
 * hit (early cutoff), so it is `unknown`.
 */
async function explainPending(run: NodeRun, pendingUpstream: string[]): Promise<NodeExplanation> {
  const node = run.name;
  if (!run.reads) return { node, status: 'miss', reason: 'recompute', pendingUpstream };
  const previous = await run.backend!.getMeta(node).catch(() => undefined);
  if (!previous) return { node, status: 'miss', reason: 'new', pendingUpstream };
  return { node, status: 'unknown', pendingUpstream };
}

/**
 * A node mapped over an array and cached item by item: each item is keyed and looked up as
 * `runPerItem` does (live values first, then one `getMany`); only when some item misses is
 * there a node-level signature to explain the miss with.
 */
async function explainItems(run: NodeRun, known: Set<NodeRun>): Promise<NodeExplanation> {
  const name = run.node.map!;
  const items = itemsOf(run);
  const keys = items.map((value) => run.itemKey({ name, value }));
  const {
    values,
    hashes,
    missing,
    bytesRead: bytes,
  } = await lookupItems(
    run,
    keys.map(({ key }) => key),
  );
  const misses = missing.length;
  const counts = { total: items.length, hits: items.length - misses, misses };
  if (misses === 0) {
    run.setOutput(values, hashParts(['memoflow/map', ...hashes]));
    known.add(run);
    return { node: run.name, status: 'hit', items: counts, bytes };
  }
  // The node-level signature a per-item run records as meta.
  const signature = nodeSignature(
    run,
    keys.map(({ inputs }) => inputs.digest()),
  );
  return explainMiss(run, signature, counts);
}

function withDefined(explanation: NodeExplanation): NodeExplanation {
  for (const field of Object.keys(explanation) as (keyof NodeExplanation)[])
    if (explanation[field] === undefined) delete explanation[field];
  return explanation;
}
