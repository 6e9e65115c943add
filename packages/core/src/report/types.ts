/** The data of a run report: what each node did and why, as plain JSON. */

/** What happened to a node in a run. */
export type NodeStatus = 'hit' | 'miss' | 'disabled' | 'failed' | 'skipped';

/** Why a node missed: found by comparing its signature with the last one its backend recorded. */
export type MissReason = 'new' | 'code' | 'env' | 'inputs' | 'deps' | 'recompute' | 'evicted';

/** One node's line in a run report. */
export interface NodeReport {
  node: string;
  status: NodeStatus;
  /** Why it missed (status `miss` or `failed`). */
  reason?: MissReason;
  /**
   * What changed, where known, e.g. ``helper `scale` ``, ``input `threshold` ``,
   * ``package `lodash` 4.17.20 → 4.17.21``, ``upstream `rows` ``, ``env `REGION` ``.
   */
  changed?: string[];
  /** The signature key the result is stored under. */
  key?: string;
  /** Milliseconds spent computing (misses). */
  computeMs?: number;
  /** Milliseconds the hit saved: the stored compute time (hits). */
  savedMs?: number;
  bytesRead: number;
  bytesWritten: number;
  /** For a node mapped over an array: how many items hit and missed. */
  items?: { total: number; hits: number; misses: number };
  /** The error of a failed node. */
  error?: { name: string; message: string };
  /** Where a miss was computed, when an executor ran it elsewhere (e.g. `host:pid`). */
  worker?: string;
  /** What the node's code depends on that no hash can see, each `file:line: what and the fix`. */
  unseen?: string[];
}

/** A run report as plain data (what `toJSON()` returns). */
export interface RunReportData {
  /** The nodes the run needed, in topological order. */
  nodes: NodeReport[];
  /** `[upstream, downstream]` pairs among those nodes. */
  edges: [string, string][];
  /** The backend's name (`memory`, `disk`, …), or `none` when caching was disabled. */
  backend: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number;
}

/** Who recorded a run: a program through the library, or `memoflow run`. */
export type RunSource = 'library' | 'cli';

/** One run as its cache's history keeps it: the report and what the run was asked for. */
export interface RunRecord {
  /**
   * Sortable and unique: the start time to the millisecond and a random suffix, e.g.
   * `20261207T195800123Z-ab12`. Ids sort as the runs started.
   */
  id: string;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs: number;
  /** A label for the pipeline; `memoflow run` gives the module path and export, e.g. `pipeline.ts#pipeline`. */
  pipeline?: string;
  source: RunSource;
  /** The run's report: every node with its status, reason, what changed, key, times and bytes. */
  report: RunReportData;
  /** The outputs the run was asked for. */
  outputs: string[];
}

/** A run in a history listing: its record without the report, with the count of nodes per status. */
export interface RunSummary {
  id: string;
  startedAt: number;
  durationMs: number;
  pipeline?: string;
  source: RunSource;
  /** How many nodes ended in each status (every status present, 0 when none). */
  counts: Record<NodeStatus, number>;
}
