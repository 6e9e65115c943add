/**
 * The JSON the server answers and the page reads: one set of shapes for both sides, with no
 * imports, so the page's build takes this file alone.
 */

/** A node's state in a run; `not-run` when the run did not need it (or there is no run yet). */
export type NodeState = 'hit' | 'miss' | 'failed' | 'skipped' | 'disabled' | 'not-run';

/** Every state, in the order the legend lists them. */
export const NODE_STATES: readonly NodeState[] = ['hit', 'miss', 'failed', 'skipped', 'disabled', 'not-run'];

/** One box of the drawn graph: a node, or an external input of the pipeline. */
export interface GraphBox {
  name: string;
  kind: 'node' | 'input';
  /** The input a node is mapped over, if it is. */
  map?: string;
  /** The box's centre, and its size, in the layout's units (pixels at zoom 1). */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An edge from a producer (or an input) to a node taking it, as the layout routed it. */
export interface GraphEdge {
  from: string;
  to: string;
  points: [number, number][];
}

/** `GET /api/graph`: the pipeline laid out once, when the server starts. */
export interface GraphData {
  /** What the pipeline is called here (the module path, and the export when named). */
  pipeline: string;
  width: number;
  height: number;
  boxes: GraphBox[];
  edges: GraphEdge[];
}

/** What a run did with one node, as a box, a row or a history line shows it. */
export interface NodeRunView {
  node: string;
  state: NodeState;
  /** Why it missed: new, code, env, inputs, deps, recompute, evicted. */
  reason?: string;
  /** What changed, e.g. ``input `threshold` ``. */
  changed?: string[];
  /** Milliseconds computing (a miss) or saved (a hit). */
  ms?: number;
  /** Bytes of its value read (a hit) or written (a miss). */
  bytes?: number;
  /** For a mapped node: its items and how many hit. */
  items?: { total: number; hits: number; misses: number };
  key?: string;
  error?: { name: string; message: string };
  worker?: string;
}

/** A run, as the runs list shows it. */
export interface RunHead {
  id: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number;
  pipeline?: string;
  source: string;
  /** Nodes per status. */
  counts: Record<string, number>;
}

/** `GET /api/status`: the last run's state of every node of the pipeline. */
export interface StatusData {
  /** The run the states are from; none when no run was recorded. */
  run?: RunHead;
  /** Whether the cache keeps a run history at all. */
  history: boolean;
  /** By node name; a node the run did not need is absent. */
  nodes: Record<string, NodeRunView>;
}

/** A node's entry in one past run. */
export interface NodeHistoryEntry extends NodeRunView {
  runId: string;
  startedAt: number;
}

/** The parts of a node's last recorded signature, each a name → hash table. */
export interface SignatureView {
  key: string;
  /** Milliseconds since the epoch. */
  recordedAt: number;
  computeMs?: number;
  outputHash?: string;
  code: Record<string, string>;
  env: Record<string, string>;
  inputs: Record<string, string>;
  deps: Record<string, string>;
}

/** `GET /api/nodes/:name`. */
export interface NodeDetail {
  name: string;
  inputs: string[];
  map?: string;
  /** Where the node's function is defined (`file:line`), when known. */
  location?: string;
  /** The backend's last recorded signature of the node; none before its first computation. */
  signature?: SignatureView;
  /** The node in the last run that had it. */
  last?: NodeRunView & { runId: string };
  /** The node in every recorded run that had it, newest first. */
  history: NodeHistoryEntry[];
}

/** `GET /api/nodes/:name/value`: a bounded picture of the stored value, never a computation. */
export interface ValuePreview {
  node: string;
  key?: string;
  /** Stored bytes. */
  bytes?: number;
  /** `util.inspect` of the value, depth- and length-limited. */
  text?: string;
  /** Why there is no text: nothing stored, too large to preview, not decodable. */
  message?: string;
  /** For a mapped node: how many items are stored, and how many are shown. */
  items?: { stored: number; shown: number };
}

/** `GET /api/runs/:id`. */
export interface RunDetail {
  head: RunHead;
  outputs: string[];
  backend: string;
  nodes: NodeRunView[];
}

/** One node whose state differs between two runs, and why. */
export interface NodeChange {
  node: string;
  /** Its state in the first run; `not-run` when that run did not have it. */
  from: NodeState;
  to: NodeState;
  /** Why, in words: a miss reason and what changed. */
  why: string[];
}

/** `GET /api/diff/:a/:b`: what changed from run `a` to run `b`. */
export interface RunDiffView {
  a: RunHead;
  b: RunHead;
  changes: NodeChange[];
  /** Nodes in the same state in both. */
  unchanged: number;
}

/** A node's share of the cache. */
export interface CacheNodeView {
  name: string;
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

/** `GET /api/cache`. */
export interface CacheView {
  backend: string;
  location?: string;
  entries: number;
  bytes: number;
  nodes: CacheNodeView[];
}

/** `POST /api/cache/prune` with `{ node }`: what was removed. */
export interface PruneAnswer {
  node: string;
  entries: number;
  bytes: number;
}

/** The header every request that changes something must carry: a page of another site cannot set it. */
export const CHANGE_HEADER = 'x-memoflow-ui';

/**
 * The server-sent events of `GET /api/events`: `ready` first, naming the newest run then (a run
 * that ended between the page's load and its listening shows by it), then `run` and `cache`.
 */
export type LiveEvent =
  | { type: 'ready'; newest: string | null }
  | { type: 'run'; run: RunHead }
  | { type: 'cache'; node: string };

/** The mark the page sets once the graph is drawn with its states: how first paint is measured. */
export const GRAPH_DRAWN_MARK = 'memoflow:graph-drawn';
