/**
 * What a run did, per node: the data behind the verbose line, the text and Markdown reports and
 * the Mermaid graph.
 */

import { renderMarkdown, renderMermaid } from './markdown.ts';
import { renderLine, renderText } from './text.ts';

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

/**
 * A run report: what each node did and why, with renderers for a terminal, a CI job summary and
 * a graph. `JSON.stringify(report)` gives the plain data.
 *
 * @example
 * const { report } = await runner.run(pipeline, inputs);
 * console.error(report.toText());
 * if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, report.toMarkdown());
 */
export class RunReport implements RunReportData {
  nodes: NodeReport[];
  edges: [string, string][];
  backend: string;
  startedAt: number;
  durationMs: number;

  constructor(data: RunReportData) {
    this.nodes = [...data.nodes];
    this.edges = [...data.edges];
    this.backend = data.backend;
    this.startedAt = data.startedAt;
    this.durationMs = data.durationMs;
  }

  /** The one line verbose mode prints: `[CACHE] rows: ✓ HIT | clean: ✗ MISS inputs (1.02s)`. */
  toLine(): string {
    return renderLine(this);
  }

  /** A table for a terminal, one row per node, and a summary line. No colours. */
  toText(): string {
    return renderText(this);
  }

  /** A heading, summary, table and Mermaid graph, ready for `$GITHUB_STEP_SUMMARY`. */
  toMarkdown(): string {
    return renderMarkdown(this);
  }

  /** A Mermaid `flowchart LR` of the run, nodes coloured by status. */
  toMermaid(): string {
    return renderMermaid(this);
  }

  /** The report as plain data. */
  toJSON(): RunReportData {
    return {
      nodes: this.nodes,
      edges: this.edges,
      backend: this.backend,
      startedAt: this.startedAt,
      durationMs: this.durationMs,
    };
  }
}
