/**
 * What changed between two recorded runs, node by node: which nodes changed state (status or
 * key), why (the later run's miss reason and what changed), and their times. The data behind
 * `memoflow runs diff` and the UI's diff of two runs.
 */
import type { MissReason, NodeReport, NodeStatus, RunRecord } from '../report/index.ts';

/** A node's state in one run: its status there, or `absent` when that run did not need it. */
export type NodeState = NodeStatus | 'absent';

/** One node whose state differs between the two runs. */
export interface NodeChange {
  node: string;
  /** Its status in the earlier run (`a`). */
  before: NodeState;
  /** Its status in the later run (`b`). */
  after: NodeState;
  /** Whether its signature key differs (present in both runs with a key in each). */
  keyChanged: boolean;
  /** Why it missed (or failed) in `b`. */
  reason?: MissReason;
  /** What changed, as `b`'s report says, e.g. ``input `threshold` ``. */
  changed?: string[];
  /** Milliseconds spent computing it in each run (0 for a hit). */
  computeMs: { before?: number; after?: number };
  /** A mapped node's item counts in each run. */
  items?: { before?: NodeReport['items']; after?: NodeReport['items'] };
  /** The error of `b`, when it failed there. */
  error?: { name: string; message: string };
}

/** What `diffRuns(a, b)` returns. */
export interface RunDiff {
  /** The earlier run's id. */
  a: string;
  /** The later run's id. */
  b: string;
  /** The nodes whose status or key differs, or that only one run needed: in `b`'s order, then those only `a` had. */
  nodes: NodeChange[];
  /** How many nodes both runs needed kept their status and key. */
  unchanged: number;
  durationMs: { before: number; after: number };
}

/**
 * The nodes that changed state from run `a` to run `b`, and why.
 *
 * @example
 * const history = historyOf(cache)!;
 * const [b, a] = await history.listRuns({ limit: 2 });
 * const diff = diffRuns((await history.getRun(a.id))!, (await history.getRun(b.id))!);
 * for (const change of diff.nodes) console.log(change.node, change.before, '→', change.after, change.reason ?? '');
 */
export function diffRuns(a: RunRecord, b: RunRecord): RunDiff {
  const earlier = new Map(a.report.nodes.map((node) => [node.node, node]));
  const nodes: NodeChange[] = [];
  let unchanged = 0;
  for (const after of b.report.nodes) {
    const before = earlier.get(after.node);
    earlier.delete(after.node);
    const keyChanged = before?.key !== undefined && after.key !== undefined && before.key !== after.key;
    if (before && before.status === after.status && !keyChanged) unchanged++;
    else nodes.push(changeOf(after.node, before, after, keyChanged));
  }
  for (const [name, before] of earlier) nodes.push(changeOf(name, before, undefined, false));
  return {
    a: a.id,
    b: b.id,
    nodes,
    unchanged,
    durationMs: { before: a.durationMs, after: b.durationMs },
  };
}

function changeOf(
  node: string,
  before: NodeReport | undefined,
  after: NodeReport | undefined,
  keyChanged: boolean,
): NodeChange {
  const change: NodeChange = {
    node,
    before: before?.status ?? 'absent',
    after: after?.status ?? 'absent',
    keyChanged,
    computeMs: { before: spent(before), after: spent(after) },
  };
  if (after?.reason !== undefined) change.reason = after.reason;
  if (after?.changed !== undefined && after.changed.length > 0) change.changed = [...after.changed];
  if (before?.items !== undefined || after?.items !== undefined) {
    change.items = { before: before?.items, after: after?.items };
  }
  if (after?.error !== undefined) change.error = after.error;
  return change;
}

/** Time a node took computing in a run: its compute time, 0 when it hit; undefined when it was not in the run. */
function spent(node: NodeReport | undefined): number | undefined {
  if (node === undefined) return undefined;
  return node.computeMs ?? 0;
}
